"""Per-op overhead of autograd: a chain of 100 elementwise ops on 8x8 float32 tensors, forward
+ backward, steepest vs torch eager, interleaved in one process (warm-up, then the median of
repeats). At this size the math is a few nanoseconds: what is measured is dispatch, graph
recording, allocation and the backward engine.

    PYTHONPATH=python python bench/autograd_overhead.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## autograd overhead".
"""
import argparse
import statistics
import sys
import time

import numpy as np
import torch

import steepest as st
from results import write_section

N_OPS = 100


def chain(lib, x, w, b):
    """100 ops: (mul, add, tanh, sub, sigmoid) x 20, then a sum and backward."""
    tanh = lib.tanh
    sigmoid = lib.sigmoid
    y = x
    for _ in range(N_OPS // 5):
        y = y * w
        y = y + b
        y = tanh(y)
        y = y - b
        y = sigmoid(y)
    y.sum().backward()


def forward_only(lib, x, w, b):
    tanh, sigmoid = lib.tanh, lib.sigmoid
    y = x
    for _ in range(N_OPS // 5):
        y = tanh(y * w + b) - b
        y = sigmoid(y)
    return y


def make(lib, shape, requires_grad):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    if lib is st:
        ts = [st.tensor(a) for a in arrs]
    else:
        ts = [torch.tensor(a) for a in arrs]
    for t in ts:
        t.requires_grad_(requires_grad)
    return ts


def bench(fn, args, k):
    t0 = time.perf_counter_ns()
    for _ in range(k):
        for a in args:
            a.grad = None
        fn(*args)
    return (time.perf_counter_ns() - t0) / k


def run(repeats, k):
    st.set_num_threads(1)
    torch.set_num_threads(1)
    rows = []
    for case, fn, rg in [("100 ops fwd+bwd", chain, True), ("100 ops fwd, no grad", forward_only, False)]:
        for shape in [(8, 8), (64, 64)]:
            sargs, targs = make(st, shape, rg), make(torch, shape, rg)
            f_st = (lambda *a: fn(st, *a))
            f_t = (lambda *a: fn(torch, *a))
            for _ in range(3):
                bench(f_st, sargs, k), bench(f_t, targs, k)
            ts, tt = [], []
            for _ in range(repeats):
                ts.append(bench(f_st, sargs, k))
                tt.append(bench(f_t, targs, k))
            s, t = statistics.median(ts) / N_OPS, statistics.median(tt) / N_OPS
            rows.append((case, "x".join(map(str, shape)), s, t))
    return rows


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    rows = run(3 if a.quick else 9, 5 if a.quick else 30)
    lines = ["| case | shape | steepest per op | torch per op | speed-up vs torch |", "|---|---|---|---|---|"]
    for case, shape, s, t in rows:
        lines.append(f"| {case} | {shape} | {fmt(s)} | {fmt(t)} | {t / s:.2f}x |")
    table = "\n".join(lines)
    print(table)
    if not a.no_write:
        write_section("autograd overhead", "PYTHONPATH=python python bench/autograd_overhead.py", table,
                      f"1 thread; per op = (forward + backward of the chain) / {N_OPS}.")


if __name__ == "__main__":
    sys.exit(main())
