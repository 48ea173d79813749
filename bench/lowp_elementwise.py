"""bfloat16 casts and elementwise ops: steepest bf16 beside torch bf16 and steepest's own float32
op on the same values, interleaved round-robin in one process (warm-up, then the median of
repeats), with the streaming limit measured in the same run: steepest._core._stream_kernel
moving the same number of bytes (reads and writes) with no math.

    PYTHONPATH=python python bench/lowp_elementwise.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## bf16 elementwise".
"""
import argparse
import statistics
import subprocess
import time

import numpy as np
import torch

import steepest as st
from results import write_section

SIZES = [10**5, 10**7]

# case -> (bytes read per element, bytes written per element, input dtype, op per library)
CASES = {
    "cast f32 -> bf16": (4, 2, "f32", lambda lib, a, b: a.to(lib.bfloat16)),
    "cast bf16 -> f32": (2, 4, "bf16", lambda lib, a, b: a.to(lib.float32)),
    "add": (4, 2, "bf16", lambda lib, a, b: a + b),
    "mul by scalar": (2, 2, "bf16", lambda lib, a, b: a * 1.5),
    "relu": (2, 2, "bf16", lambda lib, a, b: lib.relu(a)),
    "gelu (tanh)": (2, 2, "bf16", lambda lib, a, b: lib.nn.functional.gelu(a, approximate="tanh")),
    "add f32 + bf16 -> f32": (6, 4, "mixed", lambda lib, a, b: a + b),
}


def time_batch(fn, k):
    t0 = time.perf_counter_ns()
    for _ in range(k):
        fn()
    return (time.perf_counter_ns() - t0) / k


def operands(kind, n):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    s = {"f32": (st.from_numpy(x), st.from_numpy(y))}
    t = {"f32": (torch.from_numpy(x), torch.from_numpy(y))}
    s["bf16"] = tuple(v.to(st.bfloat16) for v in s["f32"])
    t["bf16"] = tuple(v.to(torch.bfloat16) for v in t["f32"])
    s["mixed"] = (s["f32"][0], s["bf16"][1])
    t["mixed"] = (t["f32"][0], t["bf16"][1])
    return s[kind], t[kind], s["f32"]


def measure(case, n, threads, repeats):
    rb, wb, kind, op = CASES[case]
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    (sa, sb), (ta, tb), (fa, fb) = operands(kind, n)
    # The limit: float32 streams holding the same bytes (reads split over two arrays).
    lim_n = max(1, n * (rb + wb) // 8)
    lim_in = [st.zeros(lim_n) for _ in range(max(1, round(rb / (rb + wb) * 2)))]
    lim_out = st.zeros(lim_n) if wb else None
    runners = {
        "st": lambda: op(st, sa, sb),
        "torch": lambda: op(torch, ta, tb),
        "st f32": (lambda: op(st, fa, fb)) if kind != "f32" and "cast" not in case else None,
        "limit": lambda: st._core._stream_kernel(lim_in, lim_out),
    }
    runners = {k: v for k, v in runners.items() if v is not None}
    probe = min(time_batch(runners["st"], 3) for _ in range(3))
    k = max(1, int(2e7 / max(probe, 1.0)))  # about 20 ms per timed batch
    for fn in runners.values():
        time_batch(fn, k)
    samples = {name: [] for name in runners}
    for _ in range(repeats):
        for name, fn in runners.items():
            samples[name].append(time_batch(fn, k))
    med = {name: statistics.median(v) for name, v in samples.items()}
    lim_bytes = (len(lim_in) + (1 if wb else 0)) * lim_n * 4
    return med, n * (rb + wb), lim_bytes


def cpu_flags():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.replace("\n", " ")
    except OSError:
        return "unknown"
    return " ".join(f for f in ("avx2", "fma", "f16c", "avx512f", "avx512_bf16") if f" {f} " in out) or "unknown"


def fmt(ns):
    return f"{ns / 1e3:.1f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/RESULTS.md")
    args = ap.parse_args()
    repeats = 5 if args.quick else 11
    lines = ["| case | n | threads | steepest bf16 | torch bf16 | steepest f32 | vs torch | vs own f32 | "
             "steepest GB/s | limit GB/s | of limit |", "|" + "---|" * 11]
    for case in CASES:
        for n in SIZES:
            for threads in (1, 2):
                med, nbytes, lim_bytes = measure(case, n, threads, repeats)
                s = med["st"]
                f32 = med.get("st f32")
                lim_gbs = lim_bytes / med["limit"]
                row = (f"| {case} | {n:.0e} | {threads} | {fmt(s)} | {fmt(med['torch'])} | "
                       f"{fmt(f32) if f32 else '-'} | {med['torch'] / s:.2f}x | "
                       f"{f'{f32 / s:.2f}x' if f32 else '-'} | {nbytes / s:.1f} | {lim_gbs:.1f} | "
                       f"{nbytes / s / lim_gbs:.0%} |")
                lines.append(row)
                print(row, flush=True)
    notes = (f"CPU flags: {cpu_flags()}; steepest ISA {st.current_isa()}. "
             "Wall clock per call (median of interleaved repeats; each call allocates its output from "
             "the libraries' caches). \"vs torch\" and \"vs own f32\": the other's time over steepest "
             "bfloat16's (above 1x: steepest bfloat16 is faster). GB/s counts the bytes each op must move "
             "(bfloat16: 2 per element, float32: 4); the limit is the streaming kernel moving as many bytes "
             "in the same run. bfloat16 ops convert to float32 in registers around the float32 SIMD kernels "
             "(the ISA's conversion runs: integer rounding to nearest even on AVX2/AVX-512, a NaN stays a NaN). "
             "The limit splits the bytes over equal float32 arrays, so for the mixed add (a float32 and a "
             "bfloat16 input) it is an estimate that the real layout can beat (above 100%).")
    print("\n" + notes)
    if args.no_write:
        return
    cmd = "PYTHONPATH=python python bench/lowp_elementwise.py" + (" --quick" if args.quick else "")
    write_section("bf16 elementwise", cmd, "\n".join(lines), notes)


if __name__ == "__main__":
    main()
