"""Batch norm, forward + backward in training mode (batch statistics, running-stat update,
gradients of input, weight and bias): steepest's fused kernel (F.batch_norm) vs
torch.nn.functional.batch_norm on the same float32 data, interleaved round-robin in one process
(warm-up, then the median of repeats). Times are the process's CPU time on one thread
(time.process_time_ns), so other jobs on a shared machine inflate them less than wall time;
--threads 2 adds two-thread rows timed by the wall clock.

    PYTHONPATH=python python bench/batch_norm.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## batch norm".
"""
import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as TF
from results import write_section

import steepest as st

# (N, C, H, W): the digits ResNet's layers, an ImageNet-style mid layer, a BatchNorm1d batch.
SHAPES = [(64, 16, 8, 8), (64, 32, 4, 4), (32, 64, 56, 56), (256, 512)]


def time_batch(fn, k, clock=time.process_time_ns):
    t0 = clock()
    for _ in range(k):
        fn()
    return (clock() - t0) / k


def pair(shape):
    rng = np.random.default_rng(0)
    C = shape[1]
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    xs, gs = st.from_numpy(x.copy()).requires_grad_(), st.from_numpy(g)
    ws, bs = st.ones(C).requires_grad_(), st.zeros(C).requires_grad_()
    rms, rvs = st.zeros(C), st.ones(C)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)
    wt, bt = torch.ones(C, requires_grad=True), torch.zeros(C, requires_grad=True)
    rmt, rvt = torch.zeros(C), torch.ones(C)

    def f_st():
        xs.grad = ws.grad = bs.grad = None
        st.nn.functional.batch_norm(xs, rms, rvs, ws, bs, training=True).backward(gs)

    def f_t():
        xt.grad = wt.grad = bt.grad = None
        TF.batch_norm(xt, rmt, rvt, wt, bt, training=True).backward(gt)

    return f_st, f_t


def measure(shape, threads, repeats):
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    fs, ft = pair(shape)
    k = max(1, int(1e6 // int(np.prod(shape))))
    for _ in range(3):
        fs(), ft()
    clock = time.process_time_ns if threads == 1 else time.perf_counter_ns
    a, b = [], []
    for _ in range(repeats):
        a.append(time_batch(fs, k, clock))
        b.append(time_batch(ft, k, clock))
    ms, mt = statistics.median(a) / 1e3, statistics.median(b) / 1e3
    return shape, threads, ms, mt, mt / ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="also time this many threads (wall clock)")
    args = ap.parse_args()
    repeats = 5 if args.quick else 15
    threads = sorted({1, args.threads})
    rows = [measure(s, th, repeats) for s in SHAPES for th in threads]
    lines = ["| batch_norm (train, fwd+bwd, f32) | threads | steepest µs | torch µs | torch/steepest |",
             "| --- | --- | --- | --- | --- |"]
    lines += [f"| {tuple(s)} | {th} | {ms:.1f} | {mt:.1f} | {r:.2f}x |" for s, th, ms, mt, r in rows]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section("batch norm", "PYTHONPATH=python python bench/batch_norm.py", table,
                      "One thread, CPU time per call (forward and backward), on a shared machine (load ~15 on "
                      "2 cores while measured: treat ratios as +-30%). The column layout (runs under 512 values: "
                      "BatchNorm1d, small images) and the per-channel one both appear.")


if __name__ == "__main__":
    main()
