"""FP8 on the CPU: st._scaled_mm (FP8 operands widened to bfloat16, the bfloat16 GEMM with
float32 accumulation, scales on the float32 result) beside steepest's bfloat16 matmul and
torch._scaled_mm, plus the saturating scaled cast; square sizes, one process, interleaved
(warm-up, then the median of repeats). On the CPU FP8 is a storage and accuracy format, not a
speed-up: the cost is the bfloat16 product plus the widening.

    PYTHONPATH=python python bench/fp8.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## fp8".
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch
from results import write_section

import steepest as st


def timed(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def run(n, repeats):
    rng = np.random.default_rng(n)
    a32, b32 = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    ta, tb = torch.from_numpy(a32).to(torch.float8_e4m3fn), torch.from_numpy(b32).to(torch.float8_e4m3fn).t()
    sa, sb = st.from_numpy(a32).to(st.float8_e4m3fn), st.from_numpy(b32).to(st.float8_e4m3fn).t()
    one_t, one_s = torch.tensor(1.0), st.tensor(1.0)
    a16, b16 = st.from_numpy(a32).bfloat16(), st.from_numpy(b32).bfloat16()
    x32, scale = st.from_numpy(a32), st.tensor(0.5)
    fns = {
        "st _scaled_mm": lambda: st._scaled_mm(sa, sb, one_s, one_s, out_dtype=st.bfloat16),
        "torch _scaled_mm": lambda: torch._scaled_mm(ta, tb, one_t, one_t, out_dtype=torch.bfloat16),
        "st bf16 matmul": lambda: a16 @ b16,
        "st cast": lambda: st._core._float8_scaled_cast(x32, scale, st.float8_e4m3fn),
        "torch cast": lambda: (torch.from_numpy(a32) * 0.5).clamp(-448, 448).to(torch.float8_e4m3fn),
    }
    inner = max(1, int(5e7 / n ** 3))
    for f in fns.values():
        timed(f, inner)
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            times[k].append(timed(f, inner))
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    st.set_num_threads(1)
    torch.set_num_threads(1)
    sizes, repeats = ([256], 3) if args.quick else ([256, 512, 1024], 7)
    rows = ["| n | st _scaled_mm | torch _scaled_mm | st bf16 matmul | st vs torch | st cast | torch cast (clamp+to) |",
            "|---|---|---|---|---|---|---|"]
    for n in sizes:
        t = run(n, repeats)
        gf = {k: 2 * n ** 3 / v / 1e9 for k, v in t.items()}
        rows.append(f"| {n} | {gf['st _scaled_mm']:.1f} GF/s | {gf['torch _scaled_mm']:.1f} GF/s | "
                    f"{gf['st bf16 matmul']:.1f} GF/s | {t['torch _scaled_mm'] / t['st _scaled_mm']:.2f}x | "
                    f"{t['st cast'] * 1e6:.0f} us | {t['torch cast'] * 1e6:.0f} us |")
    table = "\n".join(rows)
    print(table)
    if not args.no_write:
        write_section("fp8", "PYTHONPATH=python python bench/fp8.py", table,
                      "1 thread, wall clock, medians of interleaved repeats; GF/s = 2 n^3 / time; the casts are "
                      "n x n float32 -> float8_e4m3fn with a scale and saturation. On the CPU FP8 is a storage "
                      "and accuracy format, not a speed-up: _scaled_mm widens both operands to bfloat16 and runs "
                      "the bfloat16 GEMM, so it is slower than a bfloat16 matmul by the widening. Load average "
                      f"during the run: {os.getloadavg()[0]:.1f} on 2 cores shared with other builds and tests, "
                      "so the absolute numbers are noisy; the ratios within a row were timed interleaved.")


if __name__ == "__main__":
    main()
