"""The nn functions added beside the fused core ops, forward + backward on float32:
rms_norm (one fused C++ kernel each way), group_norm (the layer_norm kernel plus the
per-channel affine), the per-element activation kernels (leaky_relu, elu, hardswish, mish)
and bilinear interpolate (a composition), steepest vs torch.nn.functional on the same data,
interleaved in one process (warm-up, then the median of repeats).

    PYTHONPATH=python python bench/nn_extras.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## nn extras".
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
import steepest.nn.functional as F


def time_batch(fn, k):
    t0 = time.perf_counter_ns()
    for _ in range(k):
        fn()
    return (time.perf_counter_ns() - t0) / k


def step(f, x, g, params=()):
    def run():
        x.grad = None
        for p in params:
            p.grad = None
        f(x).backward(g)
    return run


def cases():
    rng = np.random.default_rng(0)
    out = []

    def both(shape, fs, ft, pshape=None, gshape=None):
        x = rng.standard_normal(shape).astype(np.float32)
        xs, xt = st.from_numpy(x.copy()).requires_grad_(), torch.tensor(x, requires_grad=True)
        ps, pt = [], []
        if pshape is not None:
            w = rng.standard_normal(pshape).astype(np.float32)
            ps, pt = [st.from_numpy(w.copy()).requires_grad_()], [torch.tensor(w, requires_grad=True)]
        with torch.no_grad():
            y = ft(xt, *pt)
        g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        return (step(lambda t: fs(t, *ps), xs, st.from_numpy(g.copy()), ps),
                step(lambda t: ft(t, *pt), xt, torch.tensor(g), pt))

    for shape in ((256, 1024), (4096, 1024)):
        out.append(("rms_norm", shape, *both(shape, lambda t, w: F.rms_norm(t, shape[-1:], w),
                                             lambda t, w: TF.rms_norm(t, shape[-1:], w), shape[-1:])))
    out.append(("group_norm (8 groups)", (32, 64, 32, 32),
                *both((32, 64, 32, 32), lambda t, w: F.group_norm(t, 8, w), lambda t, w: TF.group_norm(t, 8, w), (64,))))
    for name in ("leaky_relu", "elu", "hardswish", "mish"):
        out.append((name, (1 << 20,), *both((1 << 20,), getattr(F, name), getattr(TF, name))))
    out.append(("interpolate bilinear x2", (8, 16, 64, 64),
                *both((8, 16, 64, 64), lambda t: F.interpolate(t, scale_factor=2, mode="bilinear"),
                      lambda t: TF.interpolate(t, scale_factor=2, mode="bilinear"))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    repeats = 5 if args.quick else 11
    threads = st.get_num_threads()
    torch.set_num_threads(threads)
    lines = ["| op (fwd+bwd, f32) | shape | threads | steepest µs | torch µs | torch/steepest |", "|---|---|---|---|---|---|"]
    for name, shape, fs, ft in cases():
        for _ in range(3):
            fs(), ft()
        a, b = [], []
        for _ in range(repeats):
            a.append(time_batch(fs, 3))
            b.append(time_batch(ft, 3))
        ms, mt = statistics.median(a) / 1e3, statistics.median(b) / 1e3
        lines.append(f"| {name} | {shape} | {threads} | {ms:.1f} | {mt:.1f} | {mt / ms:.2f}x |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    if not args.no_write:
        from results import write_section
        write_section("nn extras", "PYTHONPATH=python python bench/nn_extras.py", table,
                      "torch/steepest > 1 means steepest is faster. The machine is shared with other jobs: "
                      "ratios are indicative.")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
