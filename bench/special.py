"""erfc and erfinv on float32 and float64 vectors: steepest's per-element kernels (double
arithmetic, float lanes rounded once; erfinv refined by Newton steps) vs torch's, on the same
data, interleaved round-robin in one process (warm-up, then the median of repeats). One thread,
CPU time per call (time.process_time_ns).

    PYTHONPATH=python python bench/special.py [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## erfc / erfinv".
"""
import argparse
import statistics
import time

import numpy as np
import torch
from results import write_section

import steepest as st

N = 1_000_000


def time_call(fn, k=3):
    t0 = time.process_time_ns()
    for _ in range(k):
        fn()
    return (time.process_time_ns() - t0) / k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    st.set_num_threads(1)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = ["| op | dtype | steepest ms | torch ms | torch/steepest |", "| --- | --- | --- | --- | --- |"]
    for name, lo, hi in (("erfc", -5.0, 5.0), ("erfinv", -1.0, 1.0)):
        for dt in (np.float32, np.float64):
            x = rng.uniform(lo, hi, N).astype(dt)
            xs, xt = st.from_numpy(x), torch.from_numpy(x)
            fs, ft = getattr(st, name), getattr(torch, name)
            fs(xs), ft(xt)  # warm-up
            ts, tt = [], []
            for _ in range(5):
                ts.append(time_call(lambda f=fs, v=xs: f(v)))
                tt.append(time_call(lambda f=ft, v=xt: f(v)))
            a, b = statistics.median(ts) / 1e6, statistics.median(tt) / 1e6
            rows.append(f"| {name} | {np.dtype(dt).name} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")
    table = "\n".join(rows)
    print(table)
    if not args.no_write:
        write_section("erfc / erfinv", "PYTHONPATH=python python bench/special.py", table,
                      f"{N:,} elements, one thread, CPU time per call on a shared machine. erfinv pays for its "
                      "accuracy: a polynomial guess plus Newton steps through the C library's erf/erfc, exp and "
                      "log (one step for float32, two or three for float64), where torch evaluates a rational "
                      "approximation.")


if __name__ == "__main__":
    main()
