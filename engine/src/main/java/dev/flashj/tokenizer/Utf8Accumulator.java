package dev.flashj.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Bytes in, text out as soon as it is complete UTF-8: a trailing sequence that is still missing
 * continuation bytes is held back until more bytes arrive or {@link #flush} is called.
 */
final class Utf8Accumulator {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    void add(byte[] bytes) {
        pending.writeBytes(bytes);
    }

    /** The text of all complete sequences so far; an incomplete tail stays buffered. */
    String takeComplete() {
        byte[] bytes = pending.toByteArray();
        int cut = completePrefixLength(bytes);
        pending.reset();
        pending.write(bytes, cut, bytes.length - cut);
        return new String(bytes, 0, cut, StandardCharsets.UTF_8);
    }

    /** Everything buffered, an incomplete tail as U+FFFD. */
    String flush() {
        String text = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return text;
    }

    /** Length of the prefix that does not end inside a (so far valid) multi-byte sequence. */
    static int completePrefixLength(byte[] bytes) {
        int n = bytes.length;
        // a sequence is at most 4 bytes: look back at most 3 for its lead byte
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead
            }
            int expected = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
            return expected > back ? n - back : n;
        }
        return n;
    }
}
