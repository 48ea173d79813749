"""A 2-layer LSTM on CUDA, steepest vs torch eager (cuDNN), interleaved in one process (warm-up,
then the median of repeats): a training step (forward, backward through all steps, SGD) and an
inference forward under no_grad, on the same weights and inputs.

steepest runs one cuBLAS product and one fused cell kernel per step and layer (and the
mirror image backward); torch's cuDNN LSTM runs persistent fused kernels, so this measures how
far the straightforward per-step design is from the vendor's.

Without a GPU (or without a CUDA build of steepest, or a CUDA torch) it says so and exits 0.

    PYTHONPATH=python python bench/cuda/rnn.py [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def why_no_gpu() -> str | None:
    try:
        import steepest as st
    except ImportError as e:
        return f"steepest is not importable ({e})"
    try:
        import torch
    except ImportError:
        return "torch is not installed (the peer of this benchmark)"
    if not st._core.build_info()["cuda"]:
        return "this build of steepest has no CUDA backend (build with STEEPEST_CUDA=1)"
    if not st.cuda.is_available():
        return "no CUDA device is available to steepest"
    if not torch.cuda.is_available():
        return "torch has no CUDA device (a CUDA build of torch is the peer)"
    return None


def timed(fn, sync) -> float:
    sync()
    t = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    why = why_no_gpu()
    if why:
        print(f"rnn: skipped, {why}.")
        return 0
    import torch

    import steepest as st

    T, B, In, H, layers = (32, 16, 128, 256, 2) if args.quick else (64, 32, 256, 512, 2)
    reps = 5 if args.quick else 15
    rng = np.random.default_rng(0)
    ref = torch.nn.LSTM(In, H, num_layers=layers)
    arrays = [p.detach().numpy().copy() for p in ref.parameters()]
    x_np = rng.standard_normal((T, B, In)).astype(np.float32)
    g_np = rng.standard_normal((T, B, H)).astype(np.float32)

    setups = {}
    for name, lib, sync in (("steepest", st, st.cuda.synchronize), ("torch", torch, torch.cuda.synchronize)):
        m = lib.nn.LSTM(In, H, num_layers=layers).to("cuda")
        with lib.no_grad():
            for p, a in zip(m.parameters(), arrays):
                p.copy_(lib.tensor(a).to("cuda"))
        opt = lib.optim.SGD(m.parameters(), lr=1e-3)
        x = lib.tensor(x_np).to("cuda")
        g = lib.tensor(g_np).to("cuda")

        def train(m=m, opt=opt, x=x, g=g):
            opt.zero_grad()
            out, _ = m(x)
            (out * g).sum().backward()
            opt.step()

        def infer(m=m, x=x, lib=lib):
            with lib.no_grad():
                m(x)

        setups[name] = (train, infer, sync)

    rows = []
    for label, k in (("train step (fwd+bwd+SGD)", 0), ("inference forward", 1)):
        times: dict[str, list[float]] = {"steepest": [], "torch": []}
        for name in times:  # warm-up: allocator caches, cuBLAS/cuDNN plans
            for _ in range(3):
                setups[name][k]()
            setups[name][2]()
        for _ in range(reps):
            for name in times:
                times[name].append(timed(setups[name][k], setups[name][2]))
        ms = {n: 1e3 * statistics.median(v) for n, v in times.items()}
        rows.append((label, ms["steepest"], ms["torch"], ms["steepest"] / ms["torch"]))

    print(f"LSTM layers={layers} T={T} B={B} input={In} hidden={H}, float32, median of {reps}")
    print(f"{'case':<28} {'steepest ms':>12} {'torch ms':>10} {'ratio':>7}")
    for label, a, b, r in rows:
        print(f"{label:<28} {a:>12.3f} {b:>10.3f} {r:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
