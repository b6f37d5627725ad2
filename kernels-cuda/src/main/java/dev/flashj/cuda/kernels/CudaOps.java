package dev.flashj.cuda.kernels;

import dev.flashj.FlashjException;
import dev.flashj.cuda.runtime.CudaDevice;
import dev.flashj.cuda.runtime.CudaFunction;
import dev.flashj.cuda.runtime.CudaModule;
import dev.flashj.cuda.runtime.CudaStream;
import dev.flashj.cuda.runtime.DeviceBuffer;
import dev.flashj.cuda.runtime.KernelArgs;
import dev.flashj.model.RopeStyle;

/**
 * Launches the kernels of src/main/cuda on one stream, choosing the variant (tensor-core GEMM or
 * GEMV, flash attention for head_dim 64/128 or the generic one, split-KV decode) and the launch shape.
 * Buffers are passed with byte offsets; "T" below is the ops' {@link CudaStorage}. Layouts are the
 * kernels' (row-major, activations [tokens, heads, head_dim]). Not thread-safe: one per stream user.
 */
public final class CudaOps implements AutoCloseable {
    private static final int BLOCK = 256;
    /** Keys per split below which decode attention does not split further. */
    static final int MIN_KEYS_PER_SPLIT = 64;

    // Kernel names (extern "C" in src/main/cuda); the typed ones get a _f16 / _bf16 suffix.
    private static final String EMBEDDING = "embedding";
    private static final String RMSNORM = "rmsnorm";
    private static final String ROPE = "rope";
    private static final String SILU_MUL = "silu_mul";
    private static final String ADD_BIAS = "add_bias";
    private static final String KV_APPEND = "kv_append";
    /** Graph-invariant forms ({@link #ropeAt}, {@link #kvAppendAt}, {@link #decodeAttentionAt}): positions from device memory. */
    private static final String ROPE_AT = "rope_at";
    private static final String KV_APPEND_AT = "kv_append_at";
    private static final String GEMV = "gemv";
    private static final String GEMM = "gemm";
    private static final String GEMM_SIMPLE = "gemm_simple";
    private static final String FLASH_ATTENTION = "flash_attention_d";
    private static final String FLASH_ATTENTION_GENERIC = "flash_attention_generic";
    private static final String DECODE_ATTENTION = "decode_attention_d";
    private static final String DECODE_ATTENTION_COMBINE = "decode_attention_combine";
    private static final String AT = "_at";
    private static final String ARGMAX = "argmax_f32";
    private static final String TOP_K = "topk_f32";
    private static final String FP8_QUANTIZE_ROWS = "fp8_quantize_rows_f16";
    private static final String FP8_GEMM = "fp8_gemm";
    /** Tokens per block of the quantized tile kernels: "_t8" (one mma N tile) or "_t16" (two). */
    private static final int TILE_TOKENS_SMALL = 8;
    private static final int TILE_TOKENS = 16;
    /** Rows per block of the tile kernels (two 16-row tiles) and of the GGUF kernels (one warp each). */
    private static final int TILE_BLOCK_ROWS = 32;
    private static final int GGUF_BLOCK_ROWS = 8;
    /**
     * Above this many tokens a quantized matrix is expanded to fp16 in a scratch buffer and multiplied by the
     * tensor-core GEMM, rather than re-read by the dequantizing kernels once per 16 tokens (a first guess: tune on a GPU).
     */
    public static final int DEQUANTIZE_ABOVE_TOKENS = 32;

    private final CudaModule module;
    private final CudaStream stream;
    private final CudaStorage storage;
    private final int multiprocessors;
    private final KernelArgs args = new KernelArgs();

    public CudaOps(CudaModule module, CudaStream stream, CudaStorage storage, CudaDevice device) {
        this.module = module;
        this.stream = stream;
        this.storage = storage;
        this.multiprocessors = device.multiprocessors();
    }

    public CudaStorage storage() {
        return storage;
    }

    public CudaStream stream() {
        return stream;
    }

    /** "gemm_f16_f32": a matrix-product kernel for the storage type, writing fp32 or the storage type. */
    private static String matmulKernel(CudaStorage storage, String base, boolean outF32) {
        return storage.kernel(base) + "_" + (outF32 ? "f32" : storage.suffix());
    }

    /** Every kernel these ops may launch, for checking against the built module. */
    public static java.util.List<String> kernelNames() {
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of(ARGMAX, TOP_K));
        for (CudaStorage s : CudaStorage.values()) {
            for (String base : new String[] {EMBEDDING, RMSNORM, ROPE, SILU_MUL, ADD_BIAS, KV_APPEND, ROPE_AT, KV_APPEND_AT,
                    FLASH_ATTENTION_GENERIC, DECODE_ATTENTION_COMBINE, DECODE_ATTENTION_COMBINE + AT, FLASH_ATTENTION + 64,
                    FLASH_ATTENTION + 128, DECODE_ATTENTION + 64, DECODE_ATTENTION + 128, DECODE_ATTENTION + 64 + AT,
                    DECODE_ATTENTION + 128 + AT}) {
                names.add(s.kernel(base));
            }
            for (String base : new String[] {GEMV, GEMM, GEMM_SIMPLE}) {
                names.add(matmulKernel(s, base, true));
                names.add(matmulKernel(s, base, false));
            }
        }
        // Quantized weights take fp16 activations only.
        names.add(FP8_QUANTIZE_ROWS);
        for (QuantFormat f : QuantFormat.values()) {
            if (!names.contains(f.dequantizeKernel())) {
                names.add(f.dequantizeKernel());
            }
        }
        for (boolean outF32 : new boolean[] {true, false}) {
            names.add(FP8_GEMM + "_" + (outF32 ? "f32" : CudaStorage.F16.suffix()));
            for (QuantFormat f : QuantFormat.values()) {
                for (int tokens : f.tiled() ? new int[] {TILE_TOKENS_SMALL, TILE_TOKENS} : new int[] {0}) {
                    String name = quantKernel(f, tokens, outF32);
                    if (!names.contains(name)) {
                        names.add(name);
                    }
                }
            }
        }
        return names;
    }

    private CudaFunction typed(String base) {
        return module.function(storage.kernel(base));
    }

    private static int blocks(long work, int perBlock) {
        long b = (work + perBlock - 1) / perBlock;
        if (b > Integer.MAX_VALUE) {
            throw new FlashjException("launch too large: " + work + " items");
        }
        return (int) Math.max(1, b);
    }

    /** x fp32 [n, dim] = table T [vocab, dim] rows ids int [n]. */
    public void embedding(DeviceMatrix table, DeviceBuffer ids, DeviceBuffer x, int n) {
        embedding(table, ids, 0, x, n);
    }

    /** {@link #embedding} with the ids at byte {@code idsOffset} of {@code ids}. */
    public void embedding(DeviceMatrix table, DeviceBuffer ids, long idsOffset, DeviceBuffer x, int n) {
        ids.checkRange(idsOffset, 4L * n, "embedding ids");
        args.reset().pointer(table.buffer()).pointer(ids, idsOffset).pointer(x).i32(table.cols());
        typed(EMBEDDING).launch(stream, n, 1, 1, BLOCK, 1, 1, 0, args);
    }

    /** out T [n, dim] at outOffset = rmsnorm(x fp32 [n, dim] at xOffset) * weight fp32 [dim]. */
    public void rmsNorm(DeviceBuffer x, long xOffset, DeviceBuffer weight, DeviceBuffer out, long outOffset, int n, int dim,
                        float eps) {
        args.reset().pointer(x, xOffset).pointer(weight).pointer(out, outOffset).i32(dim).f32(eps);
        typed(RMSNORM).launch(stream, n, 1, 1, BLOCK, 1, 1, 0, args);
    }

    /**
     * Rotates, in place, n tokens of {@code heads} heads in T rows of {@code rowStride} elements starting at
     * {@code offset}; token t is at position firstPosition + t. cos/sin fp32 [positions, rotaryDims / 2].
     */
    public void rope(DeviceBuffer x, long offset, DeviceBuffer cos, DeviceBuffer sin, int n, int heads, long rowStride,
                     int headDim, int rotaryDims, int firstPosition, RopeStyle style) {
        args.reset().pointer(x, offset).pointer(cos).pointer(sin).i64(rowStride).i32(headDim).i32(rotaryDims)
                .i32(firstPosition).i32(style == RopeStyle.INTERLEAVED ? 1 : 0);
        typed(ROPE).launch(stream, n, heads, 1, 64, 1, 1, 0, args);
    }

    /**
     * {@link #rope} for one token whose position is the int at {@code positionOffset} in {@code position} (read when the
     * kernel runs, so a replayed CUDA graph rotates each token by its own position).
     */
    public void ropeAt(DeviceBuffer x, long offset, DeviceBuffer cos, DeviceBuffer sin, int heads, int headDim,
                       int rotaryDims, DeviceBuffer position, long positionOffset, RopeStyle style) {
        position.checkRange(positionOffset, 4, "rope position");
        args.reset().pointer(x, offset).pointer(cos).pointer(sin).i64((long) heads * headDim).i32(headDim).i32(rotaryDims)
                .pointer(position, positionOffset).i32(style == RopeStyle.INTERLEAVED ? 1 : 0);
        typed(ROPE_AT).launch(stream, 1, heads, 1, 64, 1, 1, 0, args);
    }

    /** out[i] = silu(gate[i]) * up[i], T, {@code count} elements (out may be gate). */
    public void siluMul(DeviceBuffer gate, DeviceBuffer up, DeviceBuffer out, long count) {
        args.reset().pointer(gate).pointer(up).pointer(out).i64(count);
        typed(SILU_MUL).launch(stream, Math.min(blocks(count, BLOCK), 65535), 1, 1, BLOCK, 1, 1, 0, args);
    }

    /** Adds bias fp32 [cols] to n rows of T (row stride {@code rowStride} elements) at offset. */
    public void addBias(DeviceBuffer x, long offset, DeviceBuffer bias, int n, int cols, long rowStride) {
        args.reset().pointer(x, offset).pointer(bias).i32(cols).i64(rowStride);
        typed(ADD_BIAS).launch(stream, n, 1, 1, BLOCK, 1, 1, 0, args);
    }

    /** cache T [.., width] rows position .. position+n-1 = values T [n, width]. */
    public void kvAppend(DeviceBuffer values, DeviceBuffer cache, int n, int width, int position) {
        args.reset().pointer(values).pointer(cache).i32(width).i32(position);
        typed(KV_APPEND).launch(stream, n, 1, 1, BLOCK, 1, 1, 0, args);
    }

    /**
     * One token's key and value rows (T [width] at keyOffset and valueOffset) into row {@code position[positionOffset]}
     * (an int in device memory, read when the kernel runs) of the caches T [.., width].
     */
    public void kvAppendAt(DeviceBuffer key, long keyOffset, DeviceBuffer value, long valueOffset, DeviceBuffer keyCache,
                           DeviceBuffer valueCache, int width, DeviceBuffer position, long positionOffset) {
        position.checkRange(positionOffset, 4, "KV append position");
        args.reset().pointer(key, keyOffset).pointer(value, valueOffset).pointer(keyCache).pointer(valueCache).i32(width)
                .pointer(position, positionOffset);
        typed(KV_APPEND_AT).launch(stream, 1, 2, 1, BLOCK, 1, 1, 0, args);
    }

    /**
     * out[t, r] (rows of ldc elements at outOffset; fp32 when {@code outF32}, else T) = x[t, :] . w[r, :] for
     * n tokens of x T [n, w.cols] at xOffset; {@code accumulate} adds to out (the residual add).
     * One token runs the GEMV kernel; more run the tensor-core GEMM when the rows are 16-byte aligned.
     */
    public void matmul(DeviceWeight weight, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset, long ldc, int n,
                       boolean outF32, boolean accumulate) {
        matmul(weight, x, xOffset, out, outOffset, ldc, n, outF32, accumulate, null);
    }

    /**
     * Same, with a scratch buffer of at least {@link #dequantizeScratchBytes} for a quantized weight: above
     * {@link #DEQUANTIZE_ABOVE_TOKENS} tokens the weight is expanded there and multiplied by the fp16 GEMM.
     * Without scratch (null) the dequantizing kernels run for any token count.
     */
    public void matmul(DeviceWeight weight, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset, long ldc, int n,
                       boolean outF32, boolean accumulate, DeviceBuffer dequantizeScratch) {
        switch (weight) {
            case DeviceMatrix m -> matmul16(m, x, xOffset, out, outOffset, ldc, n, outF32, accumulate);
            case QuantizedMatrix q when n > DEQUANTIZE_ABOVE_TOKENS && dequantizeScratch != null -> {
                dequantize(q, dequantizeScratch);
                matmul16(new DeviceMatrix(dequantizeScratch, q.rows(), q.cols()), x, xOffset, out, outOffset, ldc, n, outF32,
                        accumulate);
            }
            case QuantizedMatrix q -> quantizedMatmul(q, x, xOffset, out, outOffset, ldc, n, outF32, accumulate);
        }
    }

    /** Bytes of fp16 the weight expands to (0 for a 16-bit matrix, which needs no scratch). */
    public static long dequantizeScratchBytes(DeviceWeight weight) {
        return weight instanceof QuantizedMatrix q ? 2L * q.rows() * q.cols() : 0;
    }

    /** target fp16 [rows, cols] row-major = the quantized weight, as the dequantizing kernels see it. */
    public void dequantize(QuantizedMatrix w, DeviceBuffer target) {
        target.checkRange(0, dequantizeScratchBytes(w), "dequantize " + w.format());
        CudaFunction kernel = module.function(w.format().dequantizeKernel());
        if (w.format().inPlace()) {
            args.reset().pointer(w.data()).pointer(target).i32(w.rows()).i32(w.cols());
            kernel.launch(stream, blocks(w.rows(), GGUF_BLOCK_ROWS), 1, 1, 256, 1, 1, 0, args);
        } else {
            int chunkCols = w.format() == QuantFormat.FP8_E4M3 ? 32 : 64;
            long pieces = (long) ((w.rows() + 15) / 16) * ((w.cols() + chunkCols - 1) / chunkCols);
            args.reset().pointer(w.data()).pointer(w.params()).i32(w.format().group()).pointer(target).i32(w.rows())
                    .i32(w.cols());
            kernel.launch(stream, blocks(pieces, 8), 1, 1, 256, 1, 1, 0, args);
        }
    }

    private void matmul16(DeviceMatrix w, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset, long ldc, int n,
                          boolean outF32, boolean accumulate) {
        int k = w.cols();
        int rows = w.rows();
        boolean aligned = k % 8 == 0 && xOffset % 16 == 0;
        if (n == 1) {
            args.reset().pointer(x, xOffset).pointer(w.buffer()).pointer(out, outOffset).i32(rows).i32(k)
                    .i32(accumulate ? 1 : 0).i32(aligned ? 1 : 0);
            module.function(matmulKernel(storage, GEMV, outF32)).launch(stream, blocks(rows, 8), 1, 1, 256, 1, 1, 0, args);
            return;
        }
        args.reset().pointer(x, xOffset).pointer(w.buffer()).pointer(out, outOffset).i32(n).i32(rows).i32(k).i64(ldc)
                .i32(accumulate ? 1 : 0);
        if (aligned) {
            module.function(matmulKernel(storage, GEMM, outF32)).launch(stream, blocks(rows, 128), blocks(n, 64), 1, 128, 1, 1, 0,
                    args);
        } else {
            module.function(matmulKernel(storage, GEMM_SIMPLE, outF32)).launch(stream, blocks(rows, 16), blocks(n, 16), 1, 16, 16,
                    1, 0, args);
        }
    }

    /** "int4_gemv_t16_f16_f32": the kernel for a quantized format, tokens per block (tile kernels) and output type. */
    private static String quantKernel(QuantFormat format, int blockTokens, boolean outF32) {
        String base = format.tiled() ? format.kernel() + "_t" + blockTokens : format.kernel();
        return matmulKernel(CudaStorage.F16, base, outF32);
    }

    /**
     * {@link #matmul} for weights kept quantized: the kernels dequantize as they read. Activations must be fp16
     * (the storage of every model whose weights stay quantized). Up to 8 tokens run one mma N tile per block, more
     * run blocks of 16 tokens; prefill thus re-reads the weights once per 16 tokens.
     */
    private void quantizedMatmul(QuantizedMatrix w, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset, long ldc,
                                 int n, boolean outF32, boolean accumulate) {
        if (storage != CudaStorage.F16) {
            throw new FlashjException(w.format() + " weights need fp16 activations, these ops use " + storage);
        }
        int k = w.cols();
        int rows = w.rows();
        if (w.format().inPlace()) {
            if (xOffset % 16 != 0) {
                throw new FlashjException(w.format() + " matmul: activations at byte offset " + xOffset + ", not 16-byte aligned");
            }
            args.reset().pointer(w.data()).pointer(x, xOffset).pointer(out, outOffset).i32(rows).i32(k).i32(n).i64(ldc)
                    .i32(accumulate ? 1 : 0);
            module.function(quantKernel(w.format(), 0, outF32)).launch(stream, blocks(rows, GGUF_BLOCK_ROWS),
                    blocks(n, TILE_TOKENS), 1, 256, 1, 1, 0, args);
            return;
        }
        int blockTokens = n <= TILE_TOKENS_SMALL ? TILE_TOKENS_SMALL : TILE_TOKENS;
        boolean vectorized = k % 8 == 0 && xOffset % 16 == 0;
        args.reset().pointer(w.data()).pointer(w.params()).i32(w.format().group()).pointer(x, xOffset).pointer(out, outOffset)
                .i32(rows).i32(k).i32(n).i64(ldc).i32(accumulate ? 1 : 0).i32(vectorized ? 1 : 0);
        module.function(quantKernel(w.format(), blockTokens, outF32)).launch(stream, blocks(rows, TILE_BLOCK_ROWS),
                blocks(n, blockTokens), 1, 256, 1, 1, 0, args);
    }

    /** Bytes of the activation workspace {@link #fp8Matmul} needs for n tokens of k: E4M3 codes, then fp32 scales. */
    public static long fp8ActivationBytes(int n, int k) {
        long codes = (long) n * fp8PaddedCols(k);
        return codes + 4L * n;
    }

    private static int fp8PaddedCols(int k) {
        return (k + 31) / 32 * 32;
    }

    /**
     * W8A8: quantizes n tokens of fp16 x (at xOffset, rows of w.cols) to E4M3 with one scale per token into
     * {@code workspace} ({@link #fp8ActivationBytes}), then out = (xq . wq) * x_scale * w_scale with FP8 tensor cores
     * on sm_89 and newer (fp16 tensor cores on exactly converted fragments elsewhere). Same out/ldc/accumulate
     * meaning as {@link #matmul}.
     */
    public void fp8Matmul(QuantizedMatrix w, DeviceBuffer x, long xOffset, DeviceBuffer workspace, DeviceBuffer out,
                          long outOffset, long ldc, int n, boolean outF32, boolean accumulate) {
        if (w.format() != QuantFormat.FP8_E4M3) {
            throw new FlashjException("W8A8 matmul needs FP8_E4M3 weights, got " + w.format());
        }
        if (storage != CudaStorage.F16) {
            throw new FlashjException("W8A8 matmul needs fp16 activations, these ops use " + storage);
        }
        int k = w.cols();
        int paddedK = fp8PaddedCols(k);
        long scalesOffset = (long) n * paddedK;
        workspace.checkRange(0, fp8ActivationBytes(n, k), "W8A8 activation workspace");
        args.reset().pointer(x, xOffset).pointer(workspace).pointer(workspace, scalesOffset).i32(k).i32(paddedK);
        module.function(FP8_QUANTIZE_ROWS).launch(stream, n, 1, 1, 256, 1, 1, 0, args);
        args.reset().pointer(workspace).pointer(workspace, scalesOffset).pointer(w.data()).pointer(w.params())
                .pointer(out, outOffset).i32(n).i32(w.rows()).i32(paddedK).i64(ldc).i32(accumulate ? 1 : 0);
        module.function(FP8_GEMM + "_" + (outF32 ? "f32" : CudaStorage.F16.suffix())).launch(stream, blocks(w.rows(), 128),
                blocks(n, 64), 1, 128, 1, 1, 0, args);
    }

    /**
     * Flash attention over a packed batch: q/out T [totalQ, heads, headDim], k/v T [totalK, kvHeads, headDim],
     * cuQ/cuK int [numSeqs + 1] cumulative offsets (at byte offsets), lse fp32 [totalQ, heads] or null. head_dim 64 and 128 use
     * tensor cores; any other head_dim up to 256 the generic kernel.
     */
    public void flashAttention(DeviceBuffer q, long qOffset, DeviceBuffer k, long kOffset, DeviceBuffer v, long vOffset,
                               DeviceBuffer out, long outOffset, DeviceBuffer lse, DeviceBuffer cuQ, long cuQOffset,
                               DeviceBuffer cuK, long cuKOffset,
                               int numSeqs, int totalQ, int maxQ, int heads, int kvHeads, int headDim, float scale,
                               boolean causal) {
        checkHeads(heads, kvHeads, headDim);
        long lseAddress = lse == null ? 0 : lse.address();
        if (headDim == 64 || headDim == 128) {
            args.reset().pointer(q, qOffset).pointer(k, kOffset).pointer(v, vOffset).pointer(out, outOffset)
                    .devicePointer(lseAddress).pointer(cuQ, cuQOffset).pointer(cuK, cuKOffset).i32(heads).i32(kvHeads).f32(scale).i32(causal ? 1 : 0);
            typed(FLASH_ATTENTION + headDim).launch(stream, blocks(maxQ, 64), heads, numSeqs, 128, 1, 1, 0, args);
        } else {
            args.reset().pointer(q, qOffset).pointer(k, kOffset).pointer(v, vOffset).pointer(out, outOffset)
                    .devicePointer(lseAddress).pointer(cuQ, cuQOffset).pointer(cuK, cuKOffset).i32(numSeqs).i32(totalQ).i32(heads).i32(kvHeads)
                    .i32(headDim).f32(scale).i32(causal ? 1 : 0);
            typed(FLASH_ATTENTION_GENERIC).launch(stream, blocks(totalQ, 4), heads, 1, 128, 1, 1, 0, args);
        }
    }

    private static void checkHeads(int heads, int kvHeads, int headDim) {
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new FlashjException("attention: " + kvHeads + " KV heads do not divide " + heads + " query heads");
        }
        if (headDim <= 0 || headDim > 256) {
            throw new FlashjException("attention: head_dim " + headDim + " outside 1..256");
        }
    }

    /** Whether {@link #decodeAttention} has a split-KV kernel for this head size (else use flash attention). */
    public static boolean hasDecodeKernel(int headDim) {
        return headDim == 64 || headDim == 128;
    }

    /**
     * Splits of the KV for decode: enough blocks to fill the GPU twice, at least 64 keys each. The kernels of
     * {@link #decodeAttentionAt} apply the same rule on the device (decode_active_splits in decode_attention.cu) as
     * min(splits for the longest cache, splits by length): equal to this, since the length term grows with kvLen.
     */
    public static int decodeSplits(int kvLen, int heads, int multiprocessors) {
        int forOccupancy = Math.max(1, (2 * multiprocessors + heads - 1) / heads);
        return decodeSplitsWithin(kvLen, forOccupancy);
    }

    /**
     * Splits for kvLen keys, at least {@link #MIN_KEYS_PER_SPLIT} keys each and at most maxSplits: the rule
     * decode_active_splits applies on the device, with maxSplits = the plan for the session's longest cache.
     */
    static int decodeSplitsWithin(int kvLen, int maxSplits) {
        int byLength = (kvLen + MIN_KEYS_PER_SPLIT - 1) / MIN_KEYS_PER_SPLIT;
        return Math.max(1, Math.min(maxSplits, byLength));
    }

    /** Floats of partial output {@link #decodeAttention} needs for up to maxKvLen keys (partial_lse: heads * splits more). */
    public static long decodePartialFloats(int heads, int headDim, int maxKvLen, int multiprocessors) {
        int splits = decodeSplits(maxKvLen, heads, multiprocessors);
        return (long) heads * splits * (headDim + 1);
    }

    /**
     * One query per head (q T [heads, headDim] at qOffset) against the first kvLen rows of a contiguous
     * cache (k, v T [.., kvHeads, headDim]), split-KV then combined: out T [heads, headDim] at outOffset,
     * lse fp32 [heads] or null. partial: {@link #decodePartialFloats} floats.
     */
    public void decodeAttention(DeviceBuffer q, long qOffset, DeviceBuffer k, DeviceBuffer v, DeviceBuffer partial,
                                DeviceBuffer out, long outOffset, DeviceBuffer lse, int heads, int kvHeads, int headDim,
                                int kvLen, float scale) {
        checkHeads(heads, kvHeads, headDim);
        if (!hasDecodeKernel(headDim)) {
            throw new FlashjException("decode attention: no split-KV kernel for head_dim " + headDim + " (64 or 128)");
        }
        int splits = decodeSplits(kvLen, heads, multiprocessors);
        int chunk = (kvLen + splits - 1) / splits;
        long lseOffset = 4L * heads * splits * headDim;
        partial.checkRange(0, lseOffset + 4L * heads * splits, "decode attention partials");
        args.reset().pointer(q, qOffset).pointer(k).pointer(v).pointer(partial).pointer(partial, lseOffset).i32(heads)
                .i32(kvHeads).i32(kvLen).i32(chunk).f32(scale);
        typed(DECODE_ATTENTION + headDim).launch(stream, heads, splits, 1, 128, 1, 1, 0, args);
        args.reset().pointer(partial).pointer(partial, lseOffset).pointer(out, outOffset).devicePointer(lse == null ? 0 : lse.address())
                .i32(splits).i32(headDim);
        typed(DECODE_ATTENTION_COMBINE).launch(stream, heads, 1, 1, 128, 1, 1, 0, args);
    }

    /**
     * {@link #decodeAttention} with kvLen read from device memory when the kernels run (int at {@code kvLenOffset} in
     * {@code kvLen}), for caches of at most {@code maxKvLen} keys: the grid is planned for maxKvLen, and the kernels
     * apply {@link #decodeSplits}'s rule to the actual kvLen (blocks past it exit), so the result has the same bits as
     * {@link #decodeAttention} with that kvLen. partial: {@link #decodePartialFloats} floats for maxKvLen.
     */
    public void decodeAttentionAt(DeviceBuffer q, long qOffset, DeviceBuffer k, DeviceBuffer v, DeviceBuffer partial,
                                  DeviceBuffer out, long outOffset, DeviceBuffer lse, int heads, int kvHeads, int headDim,
                                  DeviceBuffer kvLen, long kvLenOffset, int maxKvLen, float scale) {
        checkHeads(heads, kvHeads, headDim);
        if (!hasDecodeKernel(headDim)) {
            throw new FlashjException("decode attention: no split-KV kernel for head_dim " + headDim + " (64 or 128)");
        }
        kvLen.checkRange(kvLenOffset, 4, "decode attention kv length");
        int maxSplits = decodeSplits(maxKvLen, heads, multiprocessors);
        long lseOffset = 4L * heads * maxSplits * headDim;
        partial.checkRange(0, lseOffset + 4L * heads * maxSplits, "decode attention partials");
        args.reset().pointer(q, qOffset).pointer(k).pointer(v).pointer(partial).pointer(partial, lseOffset).i32(heads)
                .i32(kvHeads).pointer(kvLen, kvLenOffset).i32(maxSplits).i32(MIN_KEYS_PER_SPLIT).f32(scale);
        typed(DECODE_ATTENTION + headDim + AT).launch(stream, heads, maxSplits, 1, 128, 1, 1, 0, args);
        args.reset().pointer(partial).pointer(partial, lseOffset).pointer(out, outOffset).devicePointer(lse == null ? 0 : lse.address())
                .pointer(kvLen, kvLenOffset).i32(maxSplits).i32(MIN_KEYS_PER_SPLIT).i32(headDim);
        typed(DECODE_ATTENTION_COMBINE + AT).launch(stream, heads, 1, 1, 128, 1, 1, 0, args);
    }

    /** result int [1] and fp32 [1] (at valueOffset) = argmax and max of x fp32 [n]. */
    public void argmax(DeviceBuffer x, int n, DeviceBuffer resultIndex, DeviceBuffer resultValue) {
        args.reset().pointer(x).i32(n).pointer(resultIndex).pointer(resultValue);
        module.function(ARGMAX).launch(stream, 1, 1, 1, 1024, 1, 1, 0, args);
    }

    /** The k largest of x fp32 [n], descending: indices int [k], values fp32 [k]. scratch: fp32 [n]. */
    public void topK(DeviceBuffer x, DeviceBuffer scratch, int n, int k, DeviceBuffer indices, DeviceBuffer values) {
        if (k < 1 || k > n) {
            throw new FlashjException("top-k: k " + k + " outside 1.." + n);
        }
        args.reset().pointer(x).pointer(scratch).i32(n).i32(k).pointer(indices).pointer(values);
        module.function(TOP_K).launch(stream, 1, 1, 1, 1024, 1, 1, 0, args);
    }

    @Override
    public void close() {
        args.close();
    }
}
