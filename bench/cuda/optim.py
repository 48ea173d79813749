"""AdamW on CUDA: steepest's multi-tensor step vs torch.optim.AdamW(fused=True), interleaved in
one process (warm-up, then the median of repeats, each timed with CUDA events on the default
stream both libraries launch on), on GPT-like parameter lists from 16M to 1.3B params, 3000
tensors of 1000 elements, and bfloat16 params (steepest: float32 master weights and float32
state; torch fused: bfloat16 params and state, its only bf16 mode). The same run measures a
device-to-device copy's bandwidth (torch's copy_ of a 1 GiB buffer: read + write) and
steepest's limit kernel (_optim_touch: the same arrays through the same launches, one add
each), and prints AdamW's bytes (p, g, m, v read; p, m, v written: 28 B/param in float32) as
GB/s and as a fraction of the copy's.

    PYTHONPATH=python python bench/cuda/optim.py [--quick] [--no-write]

Exits with a message (status 0) where there is no GPU.
"""
import argparse
import os
import statistics
import sys

import steepest as st

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def gpt_shapes(d, layers, vocab=50304):
    """The params of a GPT-2-like model: embeddings, per layer LN, QKV, proj, MLP (with biases)."""
    shapes = [(vocab, d), (1024, d)]
    for _ in range(layers):
        shapes += [(d,), (d,), (3 * d, d), (3 * d,), (d, d), (d,), (d,), (d,), (4 * d, d), (4 * d,), (d, 4 * d), (d,)]
    return shapes + [(d,), (d,)]


CASES = {
    "GPT 16M (d=256, L=4)": gpt_shapes(256, 4),
    "GPT 124M (d=768, L=12)": gpt_shapes(768, 12),
    "GPT 350M (d=1024, L=24)": gpt_shapes(1024, 24),
    "GPT 1.3B (d=2048, L=24)": gpt_shapes(2048, 24),
    "3000 x 1000": [(1000,)] * 3000,
}
QUICK = ["GPT 16M (d=256, L=4)", "GPT 124M (d=768, L=12)", "3000 x 1000"]


def numel(shapes):
    n = 0
    for s in shapes:
        k = 1
        for v in s:
            k *= v
        n += k
    return n


def timed(torch, fn, warmup, repeats):
    """Median milliseconds of fn over repeats, each bracketed by CUDA events, after warm-up."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        out.append(a.elapsed_time(b))
    return statistics.median(out)


def interleaved(torch, fns, warmup, repeats, rounds=5):
    """Each fn timed in turn, `rounds` times round-robin; the median of each's medians."""
    res = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            res[k].append(timed(torch, fn, warmup, repeats))
    return {k: statistics.median(v) for k, v in res.items()}


def copy_gbps(torch, warmup, repeats):
    src = torch.empty(1 << 28, dtype=torch.float32, device="cuda")
    dst = torch.empty_like(src)
    ms = timed(torch, lambda: dst.copy_(src), warmup, repeats)
    return 2 * src.numel() * 4 / (ms * 1e-3) / 1e9


def bench_case(torch, shapes, bf16, warmup, repeats):
    dt_st, dt_t = (st.bfloat16, torch.bfloat16) if bf16 else (st.float32, torch.float32)
    sp = [st.nn.Parameter(st.full(list(s), 0.5, device="cuda").to(dt_st)) for s in shapes]
    for p in sp:
        p.grad = st.full(list(p.shape), 1e-3, device="cuda").to(dt_st)
    tp = [torch.nn.Parameter(torch.full(s, 0.5, device="cuda", dtype=dt_t)) for s in shapes]
    for p in tp:
        p.grad = torch.full(p.shape, 1e-3, device="cuda", dtype=dt_t)
    kw = dict(master_weights=True) if bf16 else {}
    so = st.optim.AdamW(sp, lr=1e-4, **kw)
    to = torch.optim.AdamW(tp, lr=1e-4, fused=True)
    fns = {"steepest": so.step, "torch": to.step}
    if not bf16:
        # The limit: the same four arrays per param through the same launches (one add each).
        ms_state = [st.zeros(list(p.shape), device="cuda") for p in sp]
        vs_state = [st.zeros(list(p.shape), device="cuda") for p in sp]
        grads = [p.grad for p in sp]
        params = [p.detach() for p in sp]
        fns["limit"] = lambda: st._core._optim_touch([params, grads, ms_state, vs_state])
    res = interleaved(torch, fns, warmup, repeats)
    del sp, tp, so, to
    torch.cuda.empty_cache()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("bench/cuda/optim.py: torch is not installed; nothing to compare against")
        return 0
    if not st.cuda.is_available() or not torch.cuda.is_available():
        print("bench/cuda/optim.py: no CUDA device (steepest cuda available: "
              f"{st.cuda.is_available()}, torch: {torch.cuda.is_available()}); nothing to measure")
        return 0
    warmup, repeats = (2, 5) if args.quick else (3, 10)
    copy = copy_gbps(torch, warmup, repeats)
    names = QUICK if args.quick else list(CASES)
    rows = []
    for name in names + ["bf16 " + QUICK[1]]:
        bf16 = name.startswith("bf16 ")
        shapes = CASES[name[5:] if bf16 else name]
        n = numel(shapes)
        r = bench_case(torch, shapes, bf16, warmup, repeats)
        # Bytes steepest moves: float32 p, g, m, v read, p, m, v written; bf16 with masters:
        # g (2) + master, m, v (4 each) read, master, m, v (4 each) + param (2) written.
        nbytes = n * (40 if bf16 else 28)
        gbps = nbytes / (r["steepest"] * 1e-3) / 1e9
        limit = f"{r['limit']:.3f}" if "limit" in r else "-"
        rows.append(f"| {name} | {len(shapes)} | {n / 1e6:.1f}M | {r['steepest']:.3f} | {r['torch']:.3f} | "
                    f"{r['torch'] / r['steepest']:.2f}x | {limit} | {gbps:.0f} | {gbps / copy:.0%} |")
        print(rows[-1], flush=True)
    head = ("| case | tensors | params | steepest ms | torch fused ms | speedup | limit ms | GB/s | of copy bw |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    table = head + "\n" + "\n".join(rows)
    print(f"\ncopy bandwidth (device-to-device copy_, read+write): {copy:.0f} GB/s\n")
    print(table)
    if not args.no_write:
        from results import write_section
        gpu = torch.cuda.get_device_name()
        cmd = "PYTHONPATH=python python bench/cuda/optim.py" + (" --quick" if args.quick else "")
        note = f"GPU: {gpu}. Copy bandwidth measured in the same run: {copy:.0f} GB/s."
        write_section("cuda optim: AdamW", cmd, table, note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
