"""CUDA elementwise, reduction, scan, index and random kernels: steepest vs torch on the same
GPU, interleaved round-robin in one process (warm-up, then the median of repeats, each timed
between device synchronisations), ratio printed (> 1: steepest slower).

    PYTHONPATH=python python bench/cuda/ops.py [--quick] [--no-write]

Needs a CUDA build of steepest, a GPU and torch with CUDA. Prints a markdown table and writes
it to bench/RESULTS.md under "## cuda ops".
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

import steepest as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from results import write_section  # noqa: E402


def sync() -> None:
    st.cuda.synchronize()
    torch.cuda.synchronize()


def cases(n: int):
    rng = np.random.default_rng(0)
    a_np, b_np = rng.uniform(0.5, 2.0, n).astype(np.float32), rng.uniform(0.5, 2.0, n).astype(np.float32)
    sa, sb = st.from_numpy(a_np).to("cuda"), st.from_numpy(b_np).to("cuda")
    ta, tb = torch.from_numpy(a_np).cuda(), torch.from_numpy(b_np).cuda()
    m = max(1, n // 1000)
    s2, t2 = sa.reshape(m, n // m), ta.reshape(m, n // m)
    si = st.from_numpy(rng.integers(0, n, n // 4)).to("cuda")
    ti = torch.from_numpy(rng.integers(0, n, n // 4)).cuda()
    return {
        "add": (lambda: sa + sb, lambda: ta + tb),
        "exp": (lambda: st.exp(sa), lambda: torch.exp(ta)),
        "a * b.T (strided)": (lambda: s2 * s2.t().t(), lambda: t2 * t2.t().t()),
        "sum (all)": (lambda: sa.sum(), lambda: ta.sum()),
        "sum (rows of 1000)": (lambda: s2.sum(1), lambda: t2.sum(1)),
        "argmax (rows)": (lambda: s2.argmax(1), lambda: t2.argmax(1)),
        "cumsum (rows)": (lambda: st.cumsum(s2, 1), lambda: torch.cumsum(t2, 1)),
        "index a[i]": (lambda: sa[si], lambda: ta[ti]),
        "rand": (lambda: st.rand(n, device="cuda"), lambda: torch.rand(n, device="cuda")),
        "randn": (lambda: st.randn(n, device="cuda"), lambda: torch.randn(n, device="cuda")),
    }


def median_time(fn, k: int, repeats: int) -> list:
    times = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter_ns()
        for _ in range(k):
            fn()
        sync()
        times.append((time.perf_counter_ns() - t0) / k)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not (st.cuda.is_available() and torch.cuda.is_available()):
        print(f"cuda ops: no CUDA device (steepest: {st.cuda.is_available()}, torch: {torch.cuda.is_available()}); "
              "nothing to measure")
        return
    sizes = [10**5, 10**7] if args.quick else [10**5, 10**7, 10**8]
    repeats = 5 if args.quick else 15
    rows = ["| case | n | steepest (us) | torch (us) | steepest / torch |", "| --- | --- | --- | --- | --- |"]
    for n in sizes:
        for name, (fs, ft) in cases(n).items():
            for _ in range(3):  # warm-up (allocator, module load)
                fs(), ft()
            ts, tt = [], []
            for _ in range(repeats):  # interleaved
                ts += median_time(fs, 10, 1)
                tt += median_time(ft, 10, 1)
            ms, mt = statistics.median(ts) / 1e3, statistics.median(tt) / 1e3
            rows.append(f"| {name} | {n:.0e} | {ms:.1f} | {mt:.1f} | {ms / mt:.2f} |")
            print(rows[-1], flush=True)
    table = "\n".join(rows)
    if not args.no_write:
        write_section("cuda ops", "PYTHONPATH=python python bench/cuda/ops.py", table,
                      f"GPU: {torch.cuda.get_device_name()}.")


if __name__ == "__main__":
    main()
