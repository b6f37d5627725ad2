#!/usr/bin/env python3
"""PyTorch reference timings for the shapes CudaKernelBench measures (same output format), run in the
same session on the GPU machine by scripts/gpu-check.sh. A reference only: never part of FlashJ."""
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

WARMUP, RUNS = 3, 20
dev = torch.device("cuda")
half = torch.float16


def median_ms(fn):
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(RUNS):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[RUNS // 2]


def report(kernel, shape, ms, amount, unit):
    scale = 1e9 if unit == "GB/s" else 1e12
    print(f"torch | {kernel} | {shape} | {ms:.4f} ms | {amount / (ms * 1e-3) / scale:.1f} {unit}", flush=True)


def rand(*shape):
    return torch.rand(*shape, device=dev, dtype=half) * 2 - 1


print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
for m, n, k in [(512, 4096, 4096), (4096, 4096, 4096), (2048, 14336, 4096), (8192, 8192, 8192)]:
    x, w = rand(m, k), rand(n, k)
    report("gemm fp16", f"m={m} n={n} k={k}", median_ms(lambda: F.linear(x, w)), 2.0 * m * n * k, "TFLOP/s")
for n, k in [(4096, 4096), (14336, 4096), (4096, 14336), (128256, 4096)]:
    x, w = rand(1, k), rand(n, k)
    report("gemv fp16", f"n={n} k={k}", median_ms(lambda: F.linear(x, w)), 2.0 * n * k, "GB/s")


def flash(tokens, heads, kv_heads, d, causal):
    q, k, v = rand(1, heads, tokens, d), rand(1, kv_heads, tokens, d), rand(1, kv_heads, tokens, d)
    flops = 4.0 * tokens * tokens * d * heads / (2 if causal else 1)
    for name, backend in [("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)]:
        try:
            with sdpa_kernel(backend):
                ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=kv_heads != heads))
            report(f"flash attention fp16 (sdpa {name})", f"N={tokens} heads={heads}/{kv_heads} d={d}"
                   + (" causal" if causal else ""), ms, flops, "TFLOP/s")
        except RuntimeError as e:
            print(f"torch | sdpa {name} | N={tokens} heads={heads}/{kv_heads} d={d} | unavailable: {str(e).splitlines()[0]}")


for causal in (True, False):
    flash(4096, 32, 8, 128, causal)
    flash(4096, 32, 32, 64, causal)
flash(16384, 32, 8, 128, True)
for kv in (1024, 4096, 32768):
    q, k, v = rand(1, 32, 1, 128), rand(1, 8, kv, 128), rand(1, 8, kv, 128)
    ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
    report("decode attention fp16 (sdpa)", f"kv={kv} heads=32/8 d=128", ms, 2.0 * 2 * kv * 8 * 128, "GB/s")

# Issue #8 (quantized weights): fp16 products at 1 and 16 tokens on the GEMV shapes, and torch._scaled_mm for the
# W8A8 FP8 GEMM (row-wise scales where this torch supports them, else one scale per tensor).
for n, k in [(4096, 14336), (14336, 4096)]:
    for tokens in (1, 16):
        x, w = rand(tokens, k), rand(n, k)
        report("fp16 matmul (reference)", f"rows={n} k={k} tokens={tokens}", median_ms(lambda: F.linear(x, w)), 2.0 * n * k,
               "GB/s")
for m, n, k in [(8192, 8192, 8192), (512, 14336, 4096)]:
    fp8 = torch.float8_e4m3fn
    a = rand(m, k).to(fp8)
    b = rand(n, k).to(fp8).t()
    for label, sa, sb in [("row-wise", torch.ones(m, 1, device=dev), torch.ones(1, n, device=dev)),
                          ("tensor-wise", torch.ones((), device=dev), torch.ones((), device=dev))]:
        try:
            ms = median_ms(lambda: torch._scaled_mm(a, b, scale_a=sa, scale_b=sb, out_dtype=half))
            report(f"gemm W8A8 fp8 (torch._scaled_mm {label} scales)", f"m={m} n={n} k={k}", ms, 2.0 * m * n * k, "TFLOP/s")
        except (RuntimeError, TypeError) as e:
            print(f"torch | _scaled_mm {label} | m={m} n={n} k={k} | unavailable: {str(e).splitlines()[0]}")
