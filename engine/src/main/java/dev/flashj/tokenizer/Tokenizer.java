package dev.flashj.tokenizer;

import java.util.Optional;

/** Text to token ids and back. Implementations are immutable and thread-safe. */
public interface Tokenizer {

    int vocabSize();

    /**
     * Encodes text. With {@code addBos} the BOS id is prepended; with {@code parseSpecial} special
     * tokens spelled in the text (e.g. "&lt;s&gt;", "&lt;|im_start|&gt;") become their ids.
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /**
     * Decodes ids to text exactly (byte-fallback and byte-level pieces joined into UTF-8). Control
     * tokens (BOS, EOS, ...) decode to nothing. A SentencePiece tokenizer drops the one space its dummy
     * prefix puts at the start, so {@code decode(encode(s, false, false))} gives back {@code s}.
     */
    String decode(int[] ids);

    /** The raw vocabulary piece of one id, as stored (for display). */
    String piece(int id);

    int bosId();

    int eosId();

    /** Whether the model expects BOS at the start of a prompt. */
    boolean addBosByDefault();

    /** True for ids that end a generation (EOS, EOT and similar). */
    boolean isEndOfGeneration(int id);

    /** A decoder for streaming: feed ids one by one, get text as soon as it is complete UTF-8. */
    StreamDecoder newStreamDecoder();

    /** Incremental decoding state for one stream. Not thread-safe. */
    interface StreamDecoder {
        /** Adds one id and returns the text it completes (may be empty while a UTF-8 sequence is partial). */
        String append(int id);

        /** Returns whatever is buffered (invalid bytes as U+FFFD) and resets. */
        String flush();
    }

    /**
     * The chat template (Jinja source) shipped with the tokenizer: GGUF {@code tokenizer.chat_template}
     * or {@code chat_template} in {@code tokenizer_config.json}.
     */
    default Optional<String> chatTemplate() {
        return Optional.empty();
    }

    /** A one-line description for display, e.g. "SentencePiece BPE, 32000 tokens, BOS 1, EOS 2". */
    String describe();
}
