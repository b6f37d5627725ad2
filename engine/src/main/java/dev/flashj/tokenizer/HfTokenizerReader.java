package dev.flashj.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flashj.FlashjException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.IntStream;

/**
 * Reads a Hugging Face {@code tokenizer.json} with a BPE model: SentencePiece-style (byte fallback,
 * {@code ▁} for spaces, merges by rank) or byte-level (GPT-2 family), plus the special-token settings
 * of {@code tokenizer_config.json} and the end ids of {@code generation_config.json} when given.
 */
final class HfTokenizerReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Far above any real vocabulary; guards the arrays sized from ids in the file. */
    private static final int MAX_VOCAB = 1 << 24;

    private final Path file;
    private final JsonNode root;
    private final JsonNode model;

    private HfTokenizerReader(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
        this.model = root.path("model");
    }

    static JsonNode readJson(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw FlashjException.badFile(file, "(root)", "not a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw FlashjException.badFile(file, "(json)", "malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new FlashjException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * @param config           {@code tokenizer_config.json}, if any
     * @param generationConfig {@code generation_config.json}, if any (its eos_token_id adds end ids)
     */
    static Tokenizer read(Path tokenizerJson, Optional<Path> config, Optional<Path> generationConfig) {
        HfTokenizerReader reader = new HfTokenizerReader(tokenizerJson, readJson(tokenizerJson));
        JsonNode configNode = config.filter(Files::isRegularFile).map(HfTokenizerReader::readJson).orElse(null);
        JsonNode generationNode = generationConfig.filter(Files::isRegularFile).map(HfTokenizerReader::readJson)
                .orElse(null);
        return reader.build(configNode, generationNode);
    }

    private Tokenizer build(JsonNode config, JsonNode generationConfig) {
        checkModelType();
        boolean byteLevel = mentionsType(root.path("pre_tokenizer"), "ByteLevel")
                || mentionsType(root.path("decoder"), "ByteLevel");
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        boolean sentencePiece = byteFallback || mentionsType(root.path("pre_tokenizer"), "Metaspace")
                || mentionsType(root.path("decoder"), "Metaspace") || prependsSpaceMark(root.path("normalizer"));
        if (!byteLevel && !sentencePiece) {
            throw FlashjException.badFile(file, "pre_tokenizer", "a BPE model that is neither byte-level (ByteLevel)"
                    + " nor SentencePiece-style (byte_fallback / Metaspace / Prepend \"▁\") is not supported");
        }
        Vocabulary vocabulary = readVocabulary(byteLevel);
        RankMergeRule merges = readMerges(vocabulary);
        SpecialTokens special = readSpecialTokens(vocabulary, config, generationConfig);
        Normalizer.Form form = unicodeNormalization(root.path("normalizer"));
        if (byteLevel) {
            return new ByteLevelBpeTokenizer(vocabulary, special, merges, byteLevelPreTokenizer(),
                    new ByteLevelBpeTokenizer.Options(byteLevelAddsPrefixSpace(),
                            model.path("ignore_merges").asBoolean(false), form, "tokenizer.json"));
        }
        JsonNode metaspace = findType(root.path("pre_tokenizer"), "Metaspace");
        boolean prefix = prependsSpaceMark(root.path("normalizer"))
                || (metaspace != null && !"never".equals(metaspace.path("prepend_scheme").asText("always"))
                && metaspace.path("add_prefix_space").asBoolean(true));
        boolean split = metaspace != null && metaspace.path("split").asBoolean(true);
        boolean onlyFirst = metaspace != null && "first".equals(metaspace.path("prepend_scheme").asText(""))
                && !prependsSpaceMark(root.path("normalizer"));
        return new SentencePieceTokenizer(vocabulary, special, merges,
                new SentencePieceTokenizer.Options(prefix, !onlyFirst, true, split, form, "tokenizer.json"));
    }

    private void checkModelType() {
        if (!model.isObject()) {
            throw FlashjException.badFile(file, "model", "missing or not an object");
        }
        String type = model.path("type").asText("");
        if (type.isEmpty() && model.has("merges")) {
            type = "BPE"; // older files leave the type out
        }
        if (!type.equals("BPE")) {
            throw FlashjException.badFile(file, "model.type", "\"" + type + "\" tokenizers are not supported"
                    + " (only BPE: SentencePiece-style or byte-level)");
        }
    }

    private Vocabulary readVocabulary(boolean byteLevel) {
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw FlashjException.badFile(file, "model.vocab", "missing, empty or not an object");
        }
        JsonNode added = root.path("added_tokens");
        int size = 0;
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            size = Math.max(size, checkedId(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]") + 1);
        }
        for (int i = 0; i < added.size(); i++) {
            size = Math.max(size, checkedId(added.get(i).path("id"), "added_tokens[" + i + "].id") + 1);
        }
        String[] pieces = new String[size];
        TokenType[] types = new TokenType[size];
        String unk = model.path("unk_token").asText(null);
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            int id = e.getValue().asInt();
            pieces[id] = e.getKey();
            types[id] = e.getKey().equals(unk) ? TokenType.UNKNOWN
                    : !byteLevel && byteFallback && SentencePieceTokenizer.byteValue(e.getKey()) != null ? TokenType.BYTE
                    : TokenType.NORMAL;
        }
        for (int i = 0; i < added.size(); i++) {
            JsonNode token = added.get(i);
            int id = token.path("id").asInt();
            if (!token.path("content").isTextual()) {
                throw FlashjException.badFile(file, "added_tokens[" + i + "].content", "missing or not a string");
            }
            String content = token.path("content").asText();
            pieces[id] = content;
            if (types[id] == TokenType.BYTE || content.equals(unk)) {
                continue; // byte-fallback pieces listed as added tokens still decode as bytes
            }
            types[id] = token.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            if (content.equals(unk)) {
                types[id] = TokenType.UNKNOWN;
            }
        }
        for (int id = 0; id < size; id++) {
            if (pieces[id] == null) {
                pieces[id] = ""; // a hole in the id range: never produced, decodes to nothing
                types[id] = TokenType.UNUSED;
            }
        }
        return new Vocabulary(pieces, types);
    }

    private int checkedId(JsonNode node, String field) {
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0 || node.asInt() >= MAX_VOCAB) {
            throw FlashjException.badFile(file, field, "expected a token id in 0.." + (MAX_VOCAB - 1) + ", found " + node);
        }
        return node.asInt();
    }

    private RankMergeRule readMerges(Vocabulary vocabulary) {
        JsonNode merges = model.path("merges");
        if (!merges.isArray()) {
            throw FlashjException.badFile(file, "model.merges", "missing or not an array");
        }
        RankMergeRule.Builder builder = new RankMergeRule.Builder(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            String field = "model.merges[" + i + "]";
            JsonNode merge = merges.get(i);
            String left;
            String right;
            if (merge.isTextual()) {
                String text = merge.asText();
                int space = text.indexOf(' ', 1);
                if (space < 0) {
                    throw FlashjException.badFile(file, field, "expected \"left right\", found \"" + text + "\"");
                }
                left = text.substring(0, space);
                right = text.substring(space + 1);
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                throw FlashjException.badFile(file, field, "expected \"left right\" or [left, right], found " + merge);
            }
            builder.add(requirePiece(vocabulary, left, field), requirePiece(vocabulary, right, field),
                    requirePiece(vocabulary, left + right, field));
        }
        return builder.build();
    }

    private int requirePiece(Vocabulary vocabulary, String piece, String field) {
        int id = vocabulary.id(piece);
        if (id < 0) {
            throw FlashjException.badFile(file, field, "piece \"" + piece + "\" is not in model.vocab");
        }
        return id;
    }

    private SpecialTokens readSpecialTokens(Vocabulary vocabulary, JsonNode config, JsonNode generationConfig) {
        Optional<String> templateBos = templateFirstSpecialToken();
        int bos = tokenFromConfig(vocabulary, config, "bos_token")
                .orElseGet(() -> templateBos.map(vocabulary::id).orElse(-1));
        int eos = tokenFromConfig(vocabulary, config, "eos_token")
                .orElseGet(() -> firstPresent(vocabulary, "</s>", "<|endoftext|>", "<|end_of_text|>"));
        int unk = vocabulary.id(model.path("unk_token").asText(""));
        boolean addBos = config != null && config.path("add_bos_token").isBoolean()
                ? config.path("add_bos_token").asBoolean()
                : bos >= 0 && templateBos.isPresent() && vocabulary.id(templateBos.get()) == bos;
        IntStream.Builder ends = IntStream.builder();
        ends.add(eos);
        KnownTokens.endOfGenerationIds(vocabulary).forEach(ends::add);
        if (generationConfig != null) {
            JsonNode ids = generationConfig.path("eos_token_id");
            for (JsonNode id : ids.isArray() ? ids : List.of(ids)) {
                if (id.canConvertToInt() && vocabulary.contains(id.asInt())) {
                    ends.add(id.asInt());
                }
            }
        }
        Optional<String> template = config == null ? Optional.empty() : chatTemplate(config.path("chat_template"));
        return new SpecialTokens(bos, eos, unk, addBos, ends.build().toArray(), template);
    }

    /** A special token named in tokenizer_config.json, as a string or as {"content": ...}. */
    private Optional<Integer> tokenFromConfig(Vocabulary vocabulary, JsonNode config, String key) {
        if (config == null) {
            return Optional.empty();
        }
        JsonNode node = config.path(key);
        String text = node.isTextual() ? node.asText() : node.path("content").isTextual() ? node.path("content").asText() : null;
        if (text == null) {
            return Optional.empty();
        }
        int id = vocabulary.id(text);
        if (id < 0) {
            throw FlashjException.badFile(file.resolveSibling("tokenizer_config.json"), key,
                    "token \"" + text + "\" is not in the vocabulary of " + file.getFileName());
        }
        return Optional.of(id);
    }

    private static int firstPresent(Vocabulary vocabulary, String... pieces) {
        for (String piece : pieces) {
            int id = vocabulary.id(piece);
            if (id >= 0) {
                return id;
            }
        }
        return -1;
    }

    /** The special token a TemplateProcessing post-processor puts before a single sequence, if any. */
    private Optional<String> templateFirstSpecialToken() {
        JsonNode template = findType(root.path("post_processor"), "TemplateProcessing");
        if (template == null || template.path("single").isEmpty()) {
            return Optional.empty();
        }
        JsonNode first = template.path("single").get(0).path("SpecialToken").path("id");
        return first.isTextual() ? Optional.of(first.asText()) : Optional.empty();
    }

    private static Optional<String> chatTemplate(JsonNode node) {
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isArray()) { // a list of named templates: take "default"
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return Optional.of(named.path("template").asText());
                }
            }
        }
        return Optional.empty();
    }

    private RegexPreTokenizer byteLevelPreTokenizer() {
        JsonNode pre = root.path("pre_tokenizer");
        List<String> regexes = new ArrayList<>();
        List<JsonNode> steps = new ArrayList<>();
        if (pre.path("type").asText("").equals("Sequence")) {
            pre.path("pretokenizers").forEach(steps::add);
        } else if (!pre.isMissingNode() && !pre.isNull()) {
            steps.add(pre);
        }
        for (int i = 0; i < steps.size(); i++) {
            JsonNode step = steps.get(i);
            String field = "pre_tokenizer" + (steps.size() > 1 || pre.has("pretokenizers") ? ".pretokenizers[" + i + "]" : "");
            String type = step.path("type").asText("");
            switch (type) {
                case "ByteLevel" -> {
                    if (step.path("use_regex").asBoolean(true)) {
                        regexes.add(PreTokenizerPatterns.GPT2);
                    }
                }
                case "Split" -> regexes.add(splitRegex(step, field));
                case "Digits" -> regexes.add(step.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+");
                default -> throw FlashjException.badFile(file, field + ".type",
                        "pre-tokenizer \"" + type + "\" is not supported with a byte-level BPE model");
            }
        }
        try {
            return new RegexPreTokenizer(regexes);
        } catch (PatternSyntaxException e) {
            throw FlashjException.badFile(file, "pre_tokenizer", "a split pattern is not a valid Java regex: "
                    + e.getDescription(), e);
        }
    }

    private String splitRegex(JsonNode split, String field) {
        if (!split.path("behavior").asText("Isolated").equals("Isolated") || split.path("invert").asBoolean(false)) {
            throw FlashjException.badFile(file, field + ".behavior", "only Isolated, non-inverted splits are supported");
        }
        JsonNode pattern = split.path("pattern");
        if (pattern.path("Regex").isTextual()) {
            return pattern.path("Regex").asText();
        }
        if (pattern.path("String").isTextual()) {
            return Pattern.quote(pattern.path("String").asText());
        }
        throw FlashjException.badFile(file, field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
    }

    private boolean byteLevelAddsPrefixSpace() {
        JsonNode byteLevel = findType(root.path("pre_tokenizer"), "ByteLevel");
        return byteLevel != null && byteLevel.path("add_prefix_space").asBoolean(false);
    }

    /** Unicode normalisation named by the normalizer (alone or in a Sequence); other kinds are checked here too. */
    private Normalizer.Form unicodeNormalization(JsonNode normalizer) {
        if (normalizer.isMissingNode() || normalizer.isNull()) {
            return null;
        }
        List<JsonNode> steps = new ArrayList<>();
        if (normalizer.path("type").asText("").equals("Sequence")) {
            normalizer.path("normalizers").forEach(steps::add);
        } else {
            steps.add(normalizer);
        }
        Normalizer.Form form = null;
        for (JsonNode step : steps) {
            String type = step.path("type").asText("");
            switch (type) {
                case "NFC", "NFD", "NFKC", "NFKD" -> form = Normalizer.Form.valueOf(type);
                case "Prepend" -> requireSpaceMark(step.path("prepend"), "normalizer Prepend");
                case "Replace" -> {
                    if (!" ".equals(step.path("pattern").path("String").asText(null))
                            || !"▁".equals(step.path("content").asText(null))) {
                        throw FlashjException.badFile(file, "normalizer", "only Replace(\" \", \"▁\") is supported,"
                                + " found " + step);
                    }
                }
                default -> throw FlashjException.badFile(file, "normalizer.type", "normalizer \"" + type
                        + "\" is not supported");
            }
        }
        return form;
    }

    private void requireSpaceMark(JsonNode value, String what) {
        if (!"▁".equals(value.asText(null))) {
            throw FlashjException.badFile(file, "normalizer", what + " must be \"▁\", found " + value);
        }
    }

    private static boolean prependsSpaceMark(JsonNode normalizer) {
        JsonNode prepend = findType(normalizer, "Prepend");
        return prepend != null && "▁".equals(prepend.path("prepend").asText(null));
    }

    private static boolean mentionsType(JsonNode node, String type) {
        return findType(node, type) != null;
    }

    /** The node of a type, itself or inside a Sequence (pretokenizers / normalizers / decoders / processors). */
    private static JsonNode findType(JsonNode node, String type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (type.equals(node.path("type").asText(""))) {
            return node;
        }
        for (String list : List.of("pretokenizers", "normalizers", "decoders", "processors")) {
            for (JsonNode child : node.path(list)) {
                JsonNode found = findType(child, type);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
