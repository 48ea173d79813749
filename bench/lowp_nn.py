"""bfloat16 conv2d and scaled_dot_product_attention, forward + backward, on one thread:
steepest bfloat16 vs steepest float32 vs torch bfloat16 on the same values. conv2d at the
sizes of a digits CNN, an MNIST CNN and a ResNet stage (64 channels, 3x3, padding 1);
attention at (batch, heads, length, head dim) = (8, 8, 128, 64) and (2, 4, 512, 64).
Interleaved round-robin in one process: warm-up, then the median of repeats. Times are the
process's CPU time per step (on a shared machine the wall time includes waiting for a core);
wall times are printed too.

    PYTHONPATH=python python bench/lowp_nn.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## bf16 nn (conv, attention)".
"""
import argparse
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as TF

import steepest as st

F = st.nn.functional
# (name, input shape, out channels, whether the input needs a gradient)
CONV = [
    ("digits conv2", (32, 16, 8, 8), 32, True),
    ("mnist conv1", (32, 1, 28, 28), 32, False),
    ("mnist conv2", (32, 32, 14, 14), 64, True),
    ("resnet 64ch", (8, 64, 32, 32), 64, True),
]
ATTN = [("sdpa", (8, 8, 128, 64)), ("sdpa long", (2, 4, 512, 64))]


def time_batch(fn, k):
    """(wall ns, process CPU ns) per call."""
    t0, c0 = time.perf_counter_ns(), time.process_time_ns()
    for _ in range(k):
        fn()
    return (time.perf_counter_ns() - t0) / k, (time.process_time_ns() - c0) / k


def conv_steps(shape, out_ch, input_grad):
    rng = np.random.default_rng(0)
    n, c, h, w = shape
    x = rng.standard_normal(shape).astype(np.float32)
    wt = (rng.standard_normal((out_ch, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(out_ch).astype(np.float32)
    g = rng.standard_normal((n, out_ch, h, w)).astype(np.float32)

    def steepest_step(dt):
        xs = st.tensor(x, dtype=dt).requires_grad_(input_grad)
        ws, bs = st.tensor(wt, dtype=dt).requires_grad_(), st.tensor(b, dtype=dt).requires_grad_()
        gs = st.tensor(g, dtype=dt)

        def step():
            xs.grad = ws.grad = bs.grad = None
            F.conv2d(xs, ws, bs, padding=1).backward(gs)
        return step

    xt = torch.tensor(x).bfloat16().requires_grad_(input_grad)
    wtt, bt = torch.tensor(wt).bfloat16().requires_grad_(), torch.tensor(b).bfloat16().requires_grad_()
    gt = torch.tensor(g).bfloat16()

    def torch_step():
        xt.grad = wtt.grad = bt.grad = None
        TF.conv2d(xt, wtt, bt, padding=1).backward(gt)

    flops = 2 * n * out_ch * h * w * c * 9 * (3 if input_grad else 2)
    return steepest_step(st.bfloat16), steepest_step(st.float32), torch_step, flops


def attn_steps(shape):
    rng = np.random.default_rng(1)
    q, k, v, g = (rng.standard_normal(shape).astype(np.float32) for _ in range(4))

    def steepest_step(dt):
        ts = [st.tensor(a, dtype=dt).requires_grad_() for a in (q, k, v)]
        gs = st.tensor(g, dtype=dt)

        def step():
            for t in ts:
                t.grad = None
            F.scaled_dot_product_attention(*ts).backward(gs)
        return step

    tt = [torch.tensor(a).bfloat16().requires_grad_() for a in (q, k, v)]
    gt = torch.tensor(g).bfloat16()

    def torch_step():
        for t in tt:
            t.grad = None
        TF.scaled_dot_product_attention(*tt).backward(gt)

    b, h, L, e = shape
    flops = 2 * b * h * L * L * e * 2 * 3  # two products forward, four backward
    return steepest_step(st.bfloat16), steepest_step(st.float32), torch_step, flops


def measure(fns, flops, repeats):
    k = max(1, int(1e8 // flops))
    for _ in range(3):
        for f in fns:
            f()
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for s, f in zip(samples, fns):
            s.append(time_batch(f, k))
    wall = [statistics.median(x[0] for x in s) / 1e3 for s in samples]
    cpu = [statistics.median(x[1] for x in s) / 1e3 for s in samples]
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    repeats = 5 if args.quick else 11
    st.set_num_threads(1)
    torch.set_num_threads(1)
    rows = []
    for name, shape, oc, ig in CONV:
        *fns, flops = conv_steps(shape, oc, ig)
        rows.append((f"conv2d {name}", f"{shape} -> {oc}", flops) + measure(fns, flops, repeats))
        print(rows[-1], flush=True)
    for name, shape in ATTN:
        *fns, flops = attn_steps(shape)
        rows.append((name, str(shape), flops) + measure(fns, flops, repeats))
        print(rows[-1], flush=True)
    lines = ["| case (fwd+bwd, 1 thread) | shape | steepest bf16 CPU µs | steepest f32 CPU µs | torch bf16 CPU µs | "
             "bf16 speed-up over steepest f32 | steepest bf16 vs torch bf16 | steepest bf16 GFLOP/CPU-s | "
             "wall µs (st bf16 / st f32 / torch bf16) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, shape, flops, wall, cpu in rows:
        lines.append(f"| {name} | {shape} | {cpu[0]:.0f} | {cpu[1]:.0f} | {cpu[2]:.0f} | {cpu[1] / cpu[0]:.2f}x | "
                     f"{cpu[2] / cpu[0]:.2f}x | {flops / cpu[0] / 1e3:.1f} | "
                     f"{wall[0]:.0f} / {wall[1]:.0f} / {wall[2]:.0f} |")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        from results import write_section
        write_section("bf16 nn (conv, attention)", "PYTHONPATH=python python bench/lowp_nn.py", table,
                      "Ratios above 1x: steepest bfloat16 is faster (than its float32 path, or than torch's "
                      "bfloat16). CPU µs: the process's CPU time per step, one thread. bfloat16 conv keeps its "
                      "column matrix in bfloat16 and runs the AVX512_BF16 GEMM; attention runs both products on "
                      "it with float32 scores and softmax. torch's attention is its default CPU backend. "
                      "Where steepest's bfloat16 conv trails torch's, the GEMM kernel is the limit (compare "
                      "its GFLOP/s with _core._bf16_peak_gflops); with one input channel the GEMM's packing "
                      "costs more than the products.")


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    main()
