"""A GPT-like transformer training step on CUDA, steepest vs torch eager, interleaved in one
process (warm-up, then the median of repeats): token + position embeddings, pre-norm blocks
(layer_norm, qkv linear, causal scaled_dot_product_attention, projection, GELU MLP), the
vocabulary head, cross-entropy, backward and AdamW. Both libraries run the same model code
(written against the module passed in) on the same weights and data.

Also a GEMM-bound case: a large float32 and bfloat16 matmul, reported in TFLOP/s against the
cuBLAS peak measured in the same run (torch.mm of the same matrices), and the peak device
memory of one training step in each library (st.cuda.max_memory_allocated vs torch's).

Without a GPU (or without a CUDA build of steepest, or a CUDA torch) it says so and exits 0.

    PYTHONPATH=python python bench/cuda/transformer_step.py [--quick]
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


def gpt(lib, vocab, d, heads, layers, T):
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            B, L, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
            q, k, v = (t.reshape(B, L, heads, d // heads).transpose(1, 2) for t in (q, k, v))
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(B, L, d))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(T, d)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.lnf, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)

        def forward(self, idx):
            B, L = idx.shape
            x = self.tok(idx) + self.pos(lib.arange(L, device=idx.device))
            for b in self.blocks:
                x = b(x)
            return self.head(self.lnf(x))

    return GPT()


def load_weights(model, arrays, lib):
    with lib.no_grad():
        for p, a in zip(model.parameters(), arrays):
            p.copy_(lib.tensor(a).to(p.device))


def med(ts):
    return statistics.median(ts)


def timed(fn, sync):
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
        print(f"transformer_step: skipped, {why}.")
        return 0
    import torch

    import steepest as st

    vocab, d, heads, layers, T, B = (512, 128, 4, 2, 64, 8) if args.quick else (8192, 512, 8, 6, 256, 16)
    reps = 5 if args.quick else 20
    rng = np.random.default_rng(0)
    ref = gpt(torch, vocab, d, heads, layers, T)
    arrays = [p.detach().numpy().copy() for p in ref.parameters()]
    idx = rng.integers(0, vocab, size=(B, T + 1))
    runs = {}
    for name, lib, sync in (("steepest", st, st.cuda.synchronize), ("torch", torch, torch.cuda.synchronize)):
        model = gpt(lib, vocab, d, heads, layers, T).to("cuda")
        load_weights(model, arrays, lib)
        opt = lib.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
        x = lib.tensor(idx[:, :T].astype(np.int64)).to("cuda")
        y = lib.tensor(idx[:, 1:].reshape(-1).astype(np.int64)).to("cuda")

        def step(model=model, opt=opt, x=x, y=y, lib=lib):
            opt.zero_grad(set_to_none=True)
            loss = lib.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y)
            loss.backward()
            opt.step()
            return loss

        runs[name] = (step, sync)
    for _ in range(3):  # warm-up: handles, caches, first-touch allocations
        for step, sync in runs.values():
            step()
            sync()
    times = {k: [] for k in runs}
    for _ in range(reps):
        for k, (step, sync) in runs.items():
            times[k].append(timed(step, sync))
    ts, tt = med(times["steepest"]), med(times["torch"])
    print(f"## CUDA transformer step ({torch.cuda.get_device_name()}, vocab {vocab}, d {d}, heads {heads}, "
          f"layers {layers}, T {T}, batch {B}, float32, AdamW)\n")
    print("| case | steepest | torch | torch / steepest |\n|---|---|---|---|")
    print(f"| train step | {ts * 1e3:.2f} ms | {tt * 1e3:.2f} ms | {tt / ts:.2f}x |")

    # Peak device memory of one step, each library counting its own allocations.
    peaks = {}
    for k, (step, sync) in runs.items():
        lib = st if k == "steepest" else torch
        reset = getattr(lib.cuda, "reset_peak_memory_stats", None)
        peak = getattr(lib.cuda, "max_memory_allocated", None)
        if reset is None or peak is None:
            peaks[k] = None
            continue
        sync()
        reset()
        step()
        sync()
        peaks[k] = peak()
    fmt = lambda v: "n/a" if v is None else f"{v / 2**20:.1f} MiB"  # noqa: E731
    print(f"| peak memory of a step | {fmt(peaks['steepest'])} | {fmt(peaks['torch'])} | |")

    # GEMM-bound: TFLOP/s of one large product against torch.mm's (cuBLAS) in the same run.
    n = 2048 if args.quick else 8192
    for dt_name in ("float32", "bfloat16"):
        a_np = rng.standard_normal((n, n)).astype(np.float32)
        b_np = rng.standard_normal((n, n)).astype(np.float32)
        ta = torch.tensor(a_np).to("cuda", getattr(torch, dt_name))
        tb = torch.tensor(b_np).to("cuda", getattr(torch, dt_name))
        sa = st.tensor(a_np).to("cuda").to(getattr(st, dt_name))
        sb = st.tensor(b_np).to("cuda").to(getattr(st, dt_name))
        fs = {"steepest": lambda sa=sa, sb=sb: st.matmul(sa, sb), "torch": lambda ta=ta, tb=tb: torch.mm(ta, tb)}
        sy = {"steepest": st.cuda.synchronize, "torch": torch.cuda.synchronize}
        for k in fs:
            fs[k]()
        gt = {k: [] for k in fs}
        for _ in range(reps):
            for k in fs:
                gt[k].append(timed(fs[k], sy[k]))
        flop = 2.0 * n ** 3
        s_tf, t_tf = flop / med(gt["steepest"]) / 1e12, flop / med(gt["torch"]) / 1e12
        print(f"| matmul {n}^3 {dt_name} (TF32 off) | {s_tf:.1f} TFLOP/s | {t_tf:.1f} TFLOP/s (cuBLAS peak) | "
              f"{s_tf / t_tf:.0%} of peak |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
