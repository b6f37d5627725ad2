#!/usr/bin/env python3
"""PyTorch reference for `flashj bench compare`: times the cases of a --cases file (the one
`flashj bench --device cuda --cases` reads) with PyTorch on the same GPU and writes a report in the
JSON schema of `flashj bench --json`. A reference only, never part of FlashJ; it only measures.

Measured the way the Java harness measures: random inputs in [-1, 1) (weights scaled by 1/sqrt(k)),
input sets rotated so that together they exceed twice the L2, warm-up of at least 3 runs and 0.3 s,
then 7 to 50 timed runs (stopping after 1 s), each between two CUDA events; median, p10 and p90.
FLOP and byte counts are the same formulas as FlashJ's, so rates compare directly. A first run is
checked against float64 on sampled outputs (the error is recorded as check_error).

Per case:
  gemm / gemv   torch.matmul(x[n,k], w[m,k].T) in f16/bf16 ("torch:matmul"); for gemm also
                torch._scaled_mm in FP8 e4m3 with an f16 output (dtype "fp8_e4m3", "torch:_scaled_mm")
  flash-prefill scaled_dot_product_attention, causal, with the flash and the cuDNN backends
  flash-decode  scaled_dot_product_attention of one query over n keys, flash and cuDNN backends
  rmsnorm       torch.nn.functional.rms_norm on f32 rows, then the cast to f16/bf16 (two kernels)
  rope          no PyTorch op: skipped (FlashJ's row stands alone)

Usage: python3 scripts/torch_reference.py --cases scripts/side-by-side-cases.txt --json reference.json
Exit 3 when PyTorch or a CUDA device is missing (the message says which).
"""
import argparse
import datetime
import json
import math
import platform
import sys

INPUT_BUDGET = 768 << 20
MAX_SETS = 256
WARMUP_RUNS, WARMUP_SECONDS = 3, 0.3
MIN_RUNS, MAX_RUNS, MAX_SECONDS = 7, 50, 1.0
TOLERANCE = {"f16": 4e-3, "bf16": 3e-2, "fp8_e4m3": 1e-1}


def read_cases(path):
    """(op, {key: value}, shape text, [dtypes]) per line: OP SHAPE DTYPES, '#' comments, no sweeps."""
    cases = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            fields = text.split()
            if len(fields) != 3 or ".." in fields[1] or "/" in fields[1]:
                sys.exit(f"{path} line {number}: expected OP SHAPE DTYPES with every key and no sweep: {text!r}")
            sizes = {}
            for part in fields[1].split(","):
                key, _, value = part.partition("=")
                sizes[key.strip()] = int(value)
            cases.append((fields[0], sizes, fields[1], fields[2].split(",")))
    return cases


# The work formulas of FlashJ's ops (MatMulOp, FlashPrefillOp, FlashDecodeOp, RmsNormOp), 16-bit activations.
def matmul_work(m, k, n, weight_bytes=2, activation_bytes=2, out_bytes=2):
    return 2.0 * m * k * n, weight_bytes * m * k + activation_bytes * n * k + out_bytes * n * m


def prefill_work(b, h, kvh, n, d):
    return 4.0 * b * h * d * n * (n + 1) / 2, 2.0 * b * n * d * (2 * h + 2 * kvh)


def decode_work(b, h, kvh, n, d):
    return 4.0 * b * h * n * d, 2.0 * b * d * (2.0 * n * kvh + 2 * h)


def rmsnorm_work(rows, dim):
    return 4.0 * rows * dim, 6.0 * rows * dim + 4.0 * dim


def quantile(sorted_values, q):
    rank = q * (len(sorted_values) - 1)
    lo = int(math.floor(rank))
    hi = min(len(sorted_values) - 1, lo + 1)
    return sorted_values[lo] + (rank - lo) * (sorted_values[hi] - sorted_values[lo])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--small-ceilings", action="store_true", help="ceilings on ~10x smaller sizes")
    args = parser.parse_args()
    cases = read_cases(args.cases)
    try:
        import torch
    except ImportError as e:
        print(f"torch_reference: PyTorch is not installed here ({e}); no reference column", file=sys.stderr)
        return 3
    if not torch.cuda.is_available():
        print("torch_reference: PyTorch sees no CUDA device; no reference column", file=sys.stderr)
        return 3
    Reference(torch, args.small_ceilings).run(cases, args.json)
    return 0


class Reference:
    def __init__(self, torch, small):
        import time
        self.torch = torch
        self.F = torch.nn.functional
        self.time = time
        self.small = small
        self.dev = torch.device("cuda")
        props = torch.cuda.get_device_properties(0)
        self.props = props
        self.l2 = getattr(props, "L2_cache_size", 0) or (64 << 20)
        self.gen = torch.Generator(device=self.dev).manual_seed(42)

    # ---- timing -------------------------------------------------------------------------------
    def event_ms(self, launch):
        torch = self.torch
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        launch()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)

    def measure(self, launch_set, sets):
        """launch_set(i) runs on input set i % sets. Returns (runs, median, p10, p90) in ms."""
        i = 1
        began = self.time.perf_counter()
        warm = 0
        while warm < WARMUP_RUNS or self.time.perf_counter() - began < WARMUP_SECONDS:
            self.event_ms(lambda: launch_set(i % sets))
            i += 1
            warm += 1
        times, total = [], 0.0
        while len(times) < MAX_RUNS and (len(times) < MIN_RUNS or total < MAX_SECONDS * 1e3):
            t = self.event_ms(lambda: launch_set(i % sets))
            i += 1
            times.append(t)
            total += t
        times.sort()
        return len(times), quantile(times, 0.5), quantile(times, 0.1), quantile(times, 0.9)

    def best_ms(self, launch):
        """The fastest of 5 timed launches after an untimed one (as FlashJ's ceilings)."""
        self.event_ms(launch)
        return min(self.event_ms(launch) for _ in range(5))

    def sets_for(self, bytes_per_set):
        wanted = -(-2 * self.l2 // max(1, bytes_per_set))
        affordable = INPUT_BUDGET // max(1, bytes_per_set)
        return int(max(1, min(wanted, affordable, MAX_SETS)))

    def rand(self, *shape, dtype, scale=1.0):
        t = self.torch.rand(*shape, device=self.dev, generator=self.gen, dtype=self.torch.float32) * 2 - 1
        return (t * scale).to(dtype)

    # ---- ceilings ------------------------------------------------------------------------------
    def ceilings(self):
        torch = self.torch
        nbytes = (1 << 30) // (16 if self.small else 1)
        src = torch.ones(nbytes // 4, device=self.dev, dtype=torch.float32)
        dst = torch.empty_like(src)
        copy_ms = self.best_ms(lambda: dst.copy_(src))
        del src, dst
        size = 8192 // (4 if self.small else 1)
        a = self.rand(size, size, dtype=torch.float16)
        b = self.rand(size, size, dtype=torch.float16)
        gemm_ms = self.best_ms(lambda: torch.matmul(a, b))
        self.bandwidth = 2.0 * nbytes / (copy_ms * 1e-3)
        self.compute = 2.0 * size ** 3 / (gemm_ms * 1e-3)
        return {"bandwidth_gbps": self.bandwidth / 1e9,
                "bandwidth_how": f"torch copy_ of {nbytes >> 20} MiB (read + write), CUDA events, best of 5",
                "compute_gflops": self.compute / 1e9,
                "compute_how": f"torch.matmul fp16 {size}x{size}x{size}, CUDA events, best of 5"}

    # ---- rows ----------------------------------------------------------------------------------
    def row(self, op, shape, dtype, device, sets, timing, work, check_error):
        runs, median, p10, p90 = timing
        flops, nbytes = work
        seconds = median * 1e-3
        memory = flops / nbytes * self.bandwidth < self.compute
        fraction = nbytes / seconds / self.bandwidth if memory else flops / seconds / self.compute
        if check_error > TOLERANCE.get(dtype, 1e-1):
            print(f"torch_reference: {op} {shape} {dtype} {device}: check error {check_error:.3g} above"
                  f" {TOLERANCE.get(dtype, 1e-1)}", file=sys.stderr)
        print(f"torch_reference: {op:14s} {shape:32s} {dtype:9s} {device:20s} {median:10.4f} ms"
              f" {flops / seconds / 1e12:8.1f} TFLOP/s {nbytes / seconds / 1e9:8.0f} GB/s", flush=True)
        return {"op": op, "shape": shape, "dtype": dtype, "device": device, "runs": runs, "input_sets": sets,
                "median_ms": median, "p10_ms": p10, "p90_ms": p90, "gflops": flops / seconds / 1e9,
                "gbps": nbytes / seconds / 1e9, "bound": "memory" if memory else "compute",
                "ceiling_fraction": fraction, "check_error": check_error}

    @staticmethod
    def relative_error(actual, expected):
        scale = max(float(expected.abs().max()), 1e-6)
        diff = (actual.double() - expected.double()).abs()
        if not bool(diff.isfinite().all()):
            return float("inf")
        return float(diff.max()) / scale

    def matmul(self, op, s, shape, dtype_name, dtype):
        torch = self.torch
        m, k, n = s["m"], s["k"], s["n"]
        sets = self.sets_for(2 * m * k + 2 * n * k)
        ws = [self.rand(m, k, dtype=dtype, scale=1 / math.sqrt(k)) for _ in range(sets)]
        xs = [self.rand(n, k, dtype=dtype) for _ in range(sets)]
        out = torch.matmul(xs[0], ws[0].t())
        rows = []
        error = self.sampled_matmul_error(out, xs[0], ws[0], m, n)
        rows.append(self.row(op, shape, dtype_name, "torch:matmul", sets,
                             self.measure(lambda i: torch.matmul(xs[i], ws[i].t()), sets), matmul_work(m, k, n), error))
        del ws, xs, out
        if op == "gemm" and m % 16 == 0 and k % 16 == 0 and n % 16 == 0 and hasattr(torch, "_scaled_mm"):
            rows.extend(self.fp8(s, shape))
        return rows

    def sampled_matmul_error(self, out, x, w, m, n, samples=48):
        g = self.torch.Generator(device="cpu").manual_seed(11)
        rs = self.torch.randint(0, m, (samples,), generator=g).to(self.dev)
        ts = self.torch.randint(0, n, (samples,), generator=g).to(self.dev)
        expected = (x[ts].double() * w[rs].double()).sum(dim=1)
        return self.relative_error(out[ts, rs], expected)

    def fp8(self, s, shape):
        torch = self.torch
        m, k, n = s["m"], s["k"], s["n"]
        e4m3 = torch.float8_e4m3fn
        sets = self.sets_for(m * k + n * k)
        one = torch.ones((), device=self.dev, dtype=torch.float32)
        ws = [self.rand(m, k, dtype=torch.float32).to(e4m3) for _ in range(sets)]
        xs = [self.rand(n, k, dtype=torch.float32).to(e4m3) for _ in range(sets)]

        def launch(i):
            r = torch._scaled_mm(xs[i], ws[i].t(), scale_a=one, scale_b=one, out_dtype=torch.float16)
            return r[0] if isinstance(r, tuple) else r
        try:
            out = launch(0)
        except RuntimeError as e:
            print(f"torch_reference: gemm {shape} fp8_e4m3: torch._scaled_mm unavailable: {str(e).splitlines()[0]}",
                  file=sys.stderr)
            return []
        error = self.sampled_matmul_error(out, xs[0].float(), ws[0].float(), m, n)
        return [self.row("gemm", shape, "fp8_e4m3", "torch:_scaled_mm", sets, self.measure(launch, sets),
                         matmul_work(m, k, n, weight_bytes=1, activation_bytes=1, out_bytes=2), error)]

    def attention(self, op, s, shape, dtype_name, dtype):
        """flash-prefill (causal, n queries) or flash-decode (one query, every key) with two SDPA backends."""
        torch, F = self.torch, self.F
        from torch.nn.attention import SDPBackend, sdpa_kernel
        b, h, kvh, n, d = s["b"], s["h"], s["kvh"], s["n"], s["d"]
        decode = op == "flash-decode"
        queries = 1 if decode else n
        sets = self.sets_for(2 * b * h * queries * d + 4 * b * kvh * n * d)
        qs = [self.rand(b, h, queries, d, dtype=dtype) for _ in range(sets)]
        ks = [self.rand(b, kvh, n, d, dtype=dtype) for _ in range(sets)]
        vs = [self.rand(b, kvh, n, d, dtype=dtype) for _ in range(sets)]
        work = decode_work(b, h, kvh, n, d) if decode else prefill_work(b, h, kvh, n, d)
        causal = not decode

        def gqa(i):
            return F.scaled_dot_product_attention(qs[i], ks[i], vs[i], is_causal=causal, enable_gqa=kvh != h)

        def repeated(i):
            # For a backend without GQA: k/v repeated to h heads; the copies are part of the timed work.
            k, v = ks[i].repeat_interleave(h // kvh, dim=1), vs[i].repeat_interleave(h // kvh, dim=1)
            return F.scaled_dot_product_attention(qs[i], k, v, is_causal=causal)
        variants = [("", gqa)] + ([(" (k/v repeated to h heads)", repeated)] if kvh != h else [])
        rows = []
        for name, backend in (("sdpa-flash", SDPBackend.FLASH_ATTENTION), ("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION)):
            failure = None
            for suffix, launch in variants:
                try:
                    with sdpa_kernel(backend):
                        out = launch(0)
                        timing = self.measure(launch, sets)
                except (RuntimeError, TypeError) as e:
                    failure = e
                    continue
                error = self.sampled_attention_error(out, qs[0], ks[0], vs[0], h, kvh, n, decode)
                rows.append(self.row(op, shape, dtype_name, "torch:" + name + suffix, sets, timing, work, error))
                break
            else:
                print(f"torch_reference: {op} {shape} torch:{name}: unavailable: {str(failure).splitlines()[0]}",
                      file=sys.stderr)
        return rows

    def sampled_attention_error(self, out, q, k, v, h, kvh, n, decode, samples=16):
        torch = self.torch
        g = torch.Generator(device="cpu").manual_seed(11)
        group = h // kvh
        scale = 1 / math.sqrt(q.shape[-1])
        worst, top = 0.0, 1e-6
        for s in range(samples):
            bb = int(torch.randint(0, q.shape[0], (1,), generator=g))
            hh = int(torch.randint(0, h, (1,), generator=g))
            i = 0 if decode else (n - 1 if s == 0 else int(torch.randint(0, n, (1,), generator=g)))
            keys = n if decode else i + 1
            kk = k[bb, hh // group, :keys].double()
            vv = v[bb, hh // group, :keys].double()
            p = torch.softmax(kk @ q[bb, hh, i].double() * scale, dim=0)
            expected = p @ vv
            diff = (out[bb, hh, i].double() - expected).abs()
            if not bool(diff.isfinite().all()):
                return float("inf")
            worst = max(worst, float(diff.max()))
            top = max(top, float(expected.abs().max()))
        return worst / top

    def rmsnorm(self, s, shape, dtype_name, dtype):
        torch, F = self.torch, self.F
        if not hasattr(F, "rms_norm"):
            print(f"torch_reference: rmsnorm {shape}: this PyTorch has no rms_norm", file=sys.stderr)
            return []
        rows_, dim = s["rows"], s["dim"]
        sets = self.sets_for(4 * rows_ * dim)
        xs = [self.rand(rows_, dim, dtype=torch.float32) for _ in range(sets)]
        weight = (torch.rand(dim, device=self.dev, generator=self.gen) + 0.5)

        def launch(i):
            return F.rms_norm(xs[i], (dim,), weight, 1e-5).to(dtype)
        out = launch(0)
        x = xs[0].double()
        expected = x * torch.rsqrt((x * x).mean(dim=1, keepdim=True) + 1e-5) * weight.double()
        error = self.relative_error(out, expected)
        return [self.row("rmsnorm", shape, dtype_name, "torch:rms_norm+cast", sets, self.measure(launch, sets),
                         rmsnorm_work(rows_, dim), error)]

    def run(self, cases, json_path):
        torch = self.torch
        ceilings = self.ceilings()
        types = {"f16": torch.float16, "bf16": torch.bfloat16}
        results = []
        for op, sizes, shape, dtypes in cases:
            for dtype_name in dtypes:
                if dtype_name not in types:
                    print(f"torch_reference: {op} {shape}: dtype {dtype_name} has no PyTorch reference here", file=sys.stderr)
                    continue
                dtype = types[dtype_name]
                if op in ("gemm", "gemv"):
                    results.extend(self.matmul(op, sizes, shape, dtype_name, dtype))
                elif op in ("flash-prefill", "flash-decode"):
                    results.extend(self.attention(op, sizes, shape, dtype_name, dtype))
                elif op == "rmsnorm":
                    results.extend(self.rmsnorm(sizes, shape, dtype_name, dtype))
                else:
                    print(f"torch_reference: {op} {shape}: no PyTorch reference for this op", file=sys.stderr)
                torch.cuda.empty_cache()
        report = {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "flashj": f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})",
            "java": None,
            "machine": f"{platform.node()}, Python {platform.python_version()}",
            "devices": [{"device": "torch:cuda:0",
                         "description": f"{self.props.name}, {self.props.multi_processor_count} SMs,"
                                        f" {self.l2 >> 20} MiB L2",
                         "ceilings": ceilings, "results": results}]}
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        print(f"torch_reference: wrote {len(results)} rows to {json_path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
