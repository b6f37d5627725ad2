package dev.flashj.model.cpu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test helper: reads a little-endian float32 C-order numpy .npy array (format versions 1-3). */
record Npy(int[] shape, float[] data) {

    static Npy readFloat32(Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        buf.get(magic);
        if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(path + ": not a .npy file");
        }
        int major = buf.get();
        buf.get(); // minor
        int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
        byte[] header = new byte[headerLength];
        buf.get(header);
        String h = new String(header, StandardCharsets.ISO_8859_1);
        if (!h.contains("'descr': '<f4'") || !h.contains("'fortran_order': False")) {
            throw new IOException(path + ": expected little-endian float32 in C order, header " + h.trim());
        }
        Matcher m = Pattern.compile("'shape': \\(([0-9, ]*)\\)").matcher(h);
        if (!m.find()) {
            throw new IOException(path + ": no shape in header " + h.trim());
        }
        String[] parts = m.group(1).split(",");
        int count = 0;
        int[] dims = new int[parts.length];
        long n = 1;
        for (String p : parts) {
            if (!p.isBlank()) {
                dims[count] = Integer.parseInt(p.trim());
                n *= dims[count++];
            }
        }
        int[] shape = java.util.Arrays.copyOf(dims, count);
        if (buf.remaining() != n * 4) {
            throw new IOException(path + ": " + buf.remaining() + " data bytes for " + n + " floats");
        }
        float[] data = new float[(int) n];
        buf.asFloatBuffer().get(data);
        return new Npy(shape, data);
    }
}
