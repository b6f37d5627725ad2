package dev.flashj.format.hf;

import dev.flashj.tokenizer.Tokenizer;

/**
 * Test stand-in for a real tokenizer, so the weight-loading tests do not depend on the tokenizer
 * loaders: it only knows its vocabulary size, and fails on anything else.
 */
public record StubTokenizer(int vocabSize) implements Tokenizer {

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        throw new UnsupportedOperationException("stub tokenizer");
    }

    @Override
    public String decode(int[] ids) {
        throw new UnsupportedOperationException("stub tokenizer");
    }

    @Override
    public String piece(int id) {
        throw new UnsupportedOperationException("stub tokenizer");
    }

    @Override
    public int bosId() {
        return 1;
    }

    @Override
    public int eosId() {
        return 2;
    }

    @Override
    public boolean addBosByDefault() {
        return true;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id == 2;
    }

    @Override
    public StreamDecoder newStreamDecoder() {
        throw new UnsupportedOperationException("stub tokenizer");
    }

    @Override
    public String describe() {
        return "stub, " + vocabSize + " tokens";
    }
}
