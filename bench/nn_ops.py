"""Fused nn ops, forward + backward: cross_entropy, layer_norm and softmax, steepest
(steepest._core._nn_*) vs torch.nn.functional on the same float32 data, interleaved
round-robin in one process (warm-up, then the median of repeats). The limit column is a
streaming kernel (steepest._core._stream_kernel) moving the bytes the pair must move at least
(forward reads x, backward reads x and g and writes gx), measured in the same run.

    PYTHONPATH=python python bench/nn_ops.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## nn ops".
"""
import argparse
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as TF

import steepest as st
from results import write_section

C = st._core
SHAPES = [(256, 1024), (32, 10), (4096, 1024)]


def time_batch(fn, k):
    t0 = time.perf_counter_ns()
    for _ in range(k):
        fn()
    return (time.perf_counter_ns() - t0) / k


def cases(n, c):
    """name -> (steepest step, torch step, bytes a perfect kernel moves)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c)).astype(np.float32)
    t = rng.integers(0, c, n)
    g = rng.standard_normal((n, c)).astype(np.float32)
    w, b = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    xs, ts, gs = st.from_numpy(x.copy()).requires_grad_(), st.from_numpy(t), st.from_numpy(g)
    ws, bs = st.from_numpy(w.copy()).requires_grad_(), st.from_numpy(b.copy()).requires_grad_()
    xt, tt, gt = torch.tensor(x, requires_grad=True), torch.tensor(t), torch.tensor(g)
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    nbytes = 4 * n * c

    def ce_st():
        xs.grad = None
        C._nn_cross_entropy(xs, ts).backward()

    def ce_t():
        xt.grad = None
        TF.cross_entropy(xt, tt).backward()

    def ln_st():
        xs.grad = ws.grad = bs.grad = None
        C._nn_layer_norm(xs, (c,), ws, bs).backward(gs)

    def ln_t():
        xt.grad = wt.grad = bt.grad = None
        TF.layer_norm(xt, (c,), wt, bt).backward(gt)

    def sm_st():
        xs.grad = None
        C._nn_softmax(xs, -1).backward(gs)

    def sm_t():
        xt.grad = None
        TF.softmax(xt, -1).backward(gt)

    return {
        # forward reads x; backward reads x and writes gx
        "cross_entropy": (ce_st, ce_t, 3 * nbytes),
        # forward reads x, writes y; backward reads x and g, writes gx
        "layer_norm": (ln_st, ln_t, 5 * nbytes),
        # forward reads x, writes y; backward reads y and g, writes gx
        "softmax": (sm_st, sm_t, 5 * nbytes),
    }


def stream_limit(n, c, nbytes, repeats):
    """Time of moving nbytes with no math: reads and writes of (n, c) float32 arrays."""
    arrays = max(1, nbytes // (4 * n * c))
    reads = [st.from_numpy(np.ones((n, c), np.float32)) for _ in range(arrays - 1)]
    out = st.from_numpy(np.ones((n, c), np.float32))
    k = max(1, int(2e6 // (n * c)))
    ts = [time_batch(lambda: C._stream_kernel(reads, out), k) for _ in range(repeats)]
    return statistics.median(ts)


def measure(n, c, threads, repeats):
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    rows = []
    for name, (fs, ft, nbytes) in cases(n, c).items():
        k = max(1, int(3e5 // (n * c)))
        for _ in range(3):  # warm-up
            fs(), ft()
        a, b = [], []
        for _ in range(repeats):
            a.append(time_batch(fs, k))
            b.append(time_batch(ft, k))
        ms, mt = statistics.median(a), statistics.median(b)
        lim = stream_limit(n, c, nbytes, repeats)
        rows.append((name, (n, c), threads, ms / 1e3, mt / 1e3, mt / ms, lim / ms))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    repeats = 5 if args.quick else 15
    thread_counts = [1] if args.quick else sorted({1, st.get_num_threads()})
    rows = []
    for n, c in SHAPES:
        for th in thread_counts:
            rows += measure(n, c, th, repeats)
    lines = ["| op (fwd+bwd, f32) | shape | threads | steepest µs | torch µs | torch/steepest | limit/steepest |",
             "|---|---|---|---|---|---|---|"]
    for name, shape, th, ms, mt, ratio, frac in rows:
        lines.append(f"| {name} | {shape} | {th} | {ms:.1f} | {mt:.1f} | {ratio:.2f}x | {frac:.0%} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section("nn ops", "PYTHONPATH=python python bench/nn_ops.py", table,
                      "torch/steepest > 1 means steepest is faster. limit/steepest: the time a streaming kernel "
                      "needs for the bytes the op must move, over steepest's time (small shapes are per-call "
                      "overhead, not bandwidth). On a shared machine, rows with threads > 1 can show contention rather than the kernels.")


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    main()
