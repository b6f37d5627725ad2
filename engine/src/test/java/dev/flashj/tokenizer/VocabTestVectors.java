package dev.flashj.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test vectors: {@code .inp} holds strings separated by
 * {@code "\n__ggml_vocab_test__\n"} (each one followed by the separator), {@code .out} one line of
 * space-separated ids per string.
 */
record VocabTestVectors(List<String> inputs, List<int[]> expected) {

    static VocabTestVectors read(Path inp, Path out) {
        try {
            String text = Files.readString(inp, StandardCharsets.UTF_8);
            List<String> inputs = new ArrayList<>(Arrays.asList(text.split("\n__ggml_vocab_test__\n", -1)));
            if (inputs.getLast().isEmpty()) {
                inputs.removeLast(); // the separator after the last string
            }
            List<int[]> expected = Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                    .map(line -> line.isBlank() ? new int[0]
                            : Arrays.stream(line.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray())
                    .toList();
            if (inputs.size() != expected.size()) {
                throw new IllegalStateException(inp + " has " + inputs.size() + " strings but " + out + " has "
                        + expected.size() + " lines");
            }
            return new VocabTestVectors(List.copyOf(inputs), expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int size() {
        return inputs.size();
    }
}
