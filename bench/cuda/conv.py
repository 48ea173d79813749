"""CUDA convolution, pooling and batch norm: steepest (im2col + cuBLAS, no cuDNN) vs torch
(cuDNN) on the same GPU, forward and forward + backward, interleaved round-robin in one
process (warm-up, then the median of repeats, each timed between device synchronisations),
ratio printed (> 1: steepest slower). TF32 is off on both sides (float32 products in full
precision), so the comparison is like for like.

    PYTHONPATH=python python bench/cuda/conv.py [--quick] [--no-write]

Needs a CUDA build of steepest, a GPU and torch with CUDA; says so and exits otherwise.
Prints a markdown table and writes it to bench/RESULTS.md under "## cuda conv".
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import steepest as st
import steepest.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from results import write_section  # noqa: E402

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the message below says what is missing
    torch = None


def sync() -> None:
    st.cuda.synchronize()
    torch.cuda.synchronize()


def timed(fn, k: int) -> float:
    sync()
    t0 = time.perf_counter_ns()
    for _ in range(k):
        fn()
    sync()
    return (time.perf_counter_ns() - t0) / k


def pair(shape, rng):
    a = rng.standard_normal(shape).astype(np.float32)
    return st.from_numpy(a).to("cuda"), torch.from_numpy(a).cuda()


def cases(quick: bool):
    rng = np.random.default_rng(0)
    out = {}
    convs = [(64, 16, 8, 8, 16, 3, 1), (64, 64, 32, 32, 64, 3, 1), (32, 128, 16, 16, 256, 3, 2),
             (64, 64, 32, 32, 128, 1, 1)]
    if quick:
        convs = convs[:2]
    for n, c, h, w, o, k, s in convs:
        sx, tx = pair((n, c, h, w), rng)
        sw, tw = pair((o, c, k, k), rng)
        sx.requires_grad_(), tx.requires_grad_(), sw.requires_grad_(), tw.requires_grad_()
        p = k // 2
        name = f"conv2d {n}x{c}x{h}x{w} -> {o}, {k}x{k}/{s}"

        def fwd_s(sx=sx, sw=sw, s=s, p=p):
            with st.no_grad():
                F.conv2d(sx, sw, stride=s, padding=p)

        def fwd_t(tx=tx, tw=tw, s=s, p=p):
            with torch.no_grad():
                TF.conv2d(tx, tw, stride=s, padding=p)

        def step_s(sx=sx, sw=sw, s=s, p=p):
            F.conv2d(sx, sw, stride=s, padding=p).sum().backward()

        def step_t(tx=tx, tw=tw, s=s, p=p):
            TF.conv2d(tx, tw, stride=s, padding=p).sum().backward()

        out[name + " fwd"] = (fwd_s, fwd_t)
        out[name + " fwd+bwd"] = (step_s, step_t)
    sx, tx = pair((64, 64, 32, 32), rng)
    sx.requires_grad_(), tx.requires_grad_()
    out["max_pool2d 3/2 pad 1, 64x64x32x32 fwd+bwd"] = (
        lambda: F.max_pool2d(sx, 3, 2, 1).sum().backward(), lambda: TF.max_pool2d(tx, 3, 2, 1).sum().backward())
    out["avg_pool2d 2, 64x64x32x32 fwd+bwd"] = (
        lambda: F.avg_pool2d(sx, 2).sum().backward(), lambda: TF.avg_pool2d(tx, 2).sum().backward())
    sb, tb = st.nn.BatchNorm2d(64).to("cuda"), torch.nn.BatchNorm2d(64).cuda()
    out["batch_norm2d train, 64x64x32x32 fwd+bwd"] = (lambda: sb(sx).sum().backward(),
                                                      lambda: tb(tx).sum().backward())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    have_torch = torch is not None and torch.cuda.is_available()
    if not (st.cuda.is_available() and have_torch):
        print(f"cuda conv: no CUDA device (steepest: {st.cuda.is_available()}, torch with CUDA: {have_torch}); "
              "nothing to measure")
        return
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    repeats = 5 if args.quick else 15
    rows = ["| case | steepest (us) | torch (us) | steepest / torch |", "| --- | --- | --- | --- |"]
    for name, (fs, ft) in cases(args.quick).items():
        for _ in range(3):  # warm-up (allocator, cuBLAS/cuDNN plans)
            fs(), ft()
        ts, tt = [], []
        for _ in range(repeats):  # interleaved
            ts.append(timed(fs, 5))
            tt.append(timed(ft, 5))
        ms, mt = statistics.median(ts) / 1e3, statistics.median(tt) / 1e3
        rows.append(f"| {name} | {ms:.1f} | {mt:.1f} | {ms / mt:.2f} |")
        print(rows[-1], flush=True)
    if not args.no_write:
        write_section("cuda conv", "PYTHONPATH=python python bench/cuda/conv.py", "\n".join(rows),
                      f"GPU: {torch.cuda.get_device_name()}; float32, TF32 off on both sides, "
                      "torch through cuDNN (benchmark mode).")


if __name__ == "__main__":
    main()
