"""conv2d forward + backward, steepest vs torch on the same float32 data and weights, at the
sizes of a digits CNN (batch 32 of 1x8x8 images) and an MNIST CNN (batch 32 of 1x28x28, then
32x14x14), 3x3 kernels with padding 1. Interleaved round-robin in one process: warm-up, then
the median of repeats, at 1 and 2 threads. A first layer's input needs no gradient (as in
training: the images are data); later layers compute the input gradient too. GFLOP/s counts
2 * multiply-adds of every GEMM the step needs (forward, weight gradient, input gradient), per
second of CPU time. Wall and CPU times are both reported: on a shared machine the wall time
includes waiting for a core.

    PYTHONPATH=python python bench/conv.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## conv2d".
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as TF

import steepest as st

F = st.nn.functional
# (name, input shape, out channels, whether the input needs a gradient)
CASES = [
    ("digits conv1", (32, 1, 8, 8), 16, False),
    ("digits conv2", (32, 16, 8, 8), 32, True),
    ("mnist conv1", (32, 1, 28, 28), 32, False),
    ("mnist conv2", (32, 32, 14, 14), 64, True),
]


def time_batch(fn, k):
    """(wall ns, process CPU ns) per call. On a shared machine the wall time includes waiting for
    a core; the CPU time (all of the process's threads together) does not."""
    t0, c0 = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(k):
        fn()
    return (time.perf_counter_ns() - t0) / k, (time.process_time_ns() - c0) / k


def steps(shape, out_ch, input_grad):
    rng = np.random.default_rng(0)
    n, c, h, w = shape
    x = rng.standard_normal(shape).astype(np.float32)
    wt = (rng.standard_normal((out_ch, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(out_ch).astype(np.float32)
    g = rng.standard_normal((n, out_ch, h, w)).astype(np.float32)
    xs = st.from_numpy(x.copy()).requires_grad_(input_grad)
    ws, bs, gs = st.from_numpy(wt.copy()).requires_grad_(), st.from_numpy(b.copy()).requires_grad_(), st.from_numpy(g)
    xt = torch.tensor(x, requires_grad=input_grad)
    wtt, bt, gt = torch.tensor(wt, requires_grad=True), torch.tensor(b, requires_grad=True), torch.tensor(g)

    def step_st():
        xs.grad = ws.grad = bs.grad = None
        F.conv2d(xs, ws, bs, padding=1).backward(gs)

    def step_t():
        xt.grad = wtt.grad = bt.grad = None
        TF.conv2d(xt, wtt, bt, padding=1).backward(gt)

    macs = n * out_ch * h * w * c * 9
    flops = 2 * macs * (3 if input_grad else 2)
    return step_st, step_t, flops


def measure(name, shape, out_ch, input_grad, threads, repeats):
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    fs, ft, flops = steps(shape, out_ch, input_grad)
    k = max(1, int(2e8 // flops))
    for _ in range(3):
        fs(), ft()
    a, b = [], []
    for _ in range(repeats):
        a.append(time_batch(fs, k))
        b.append(time_batch(ft, k))
    ms, mt = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
    cs, ct = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
    return (name, shape, out_ch, threads, ms / 1e3, mt / 1e3, mt / ms, cs / 1e3, ct / 1e3, ct / cs, flops / cs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    repeats = 5 if args.quick else 15
    load0 = os.getloadavg()
    rows = []
    for name, shape, out_ch, input_grad in CASES:
        for th in (1, 2):
            rows.append(measure(name, shape, out_ch, input_grad, th, repeats))
            print(rows[-1], flush=True)
    lines = ["| conv2d 3x3 pad 1 (fwd+bwd, f32) | input | out ch | threads | steepest wall µs | torch wall µs | "
             "torch/steepest (wall) | steepest CPU µs | torch CPU µs | torch/steepest (CPU) | steepest GFLOP/CPU-s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, shape, oc, th, ms, mt, ratio, cs, ct, cratio, gs in rows:
        lines.append(f"| {name} | {shape} | {oc} | {th} | {ms:.0f} | {mt:.0f} | {ratio:.2f}x | {cs:.0f} | {ct:.0f} | "
                     f"{cratio:.2f}x | {gs:.1f} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        from results import write_section
        load = "/".join(f"{a:.1f}" for a in (load0[0], os.getloadavg()[0]))
        write_section("conv2d", "PYTHONPATH=python python bench/conv.py", table,
                      "torch/steepest > 1 means steepest is faster. CPU µs: the process's CPU time per step, "
                      "all threads together (for 2 threads, total work rather than latency). Load average at "
                      f"the start/end of this run: {load} on 2 cores shared with other jobs, so wall times, and "
                      "2-thread rows most, measure contention as much as the kernels; the 1-thread CPU-time "
                      "ratio is the steadiest comparison. The layers with 16+ input channels run their forward, "
                      "input gradient and weight gradient as direct convolutions (kernels/cpu/conv_direct.hpp, "
                      "isa/conv.cpp: no column matrix, no col2im; vectors across output channels); the first "
                      "layers (one input channel) run im2col + GEMM for the weight gradient.")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
