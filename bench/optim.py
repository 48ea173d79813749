"""Optimizer steps on float32: steepest's fused multi-tensor step vs torch.optim(fused=True)
(where torch has one), interleaved round-robin in one process (warm-up, then the median of
repeats), 1 and 2 threads, with GB/s and the fraction of the limit: a trivial kernel that
moves the same arrays (reads p, g and the state; writes p and the state; one add each)
through the same chunked driver (steepest._core._optim_touch), measured in the same run.

    PYTHONPATH=python python bench/optim.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## optim".
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

import steepest as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from elementwise import fmt_time  # noqa: E402
from results import write_section  # noqa: E402

# name -> (steepest factory, torch factory or None, state arrays besides p and g)
RULES = {
    "AdamW": (lambda ps: st.optim.AdamW(ps, lr=1e-4),
              lambda ps: torch.optim.AdamW(ps, lr=1e-4, fused=True), 2),
    "Adam": (lambda ps: st.optim.Adam(ps, lr=1e-4), lambda ps: torch.optim.Adam(ps, lr=1e-4, fused=True), 2),
    "SGD momentum": (lambda ps: st.optim.SGD(ps, lr=1e-4, momentum=0.9),
                     lambda ps: torch.optim.SGD(ps, lr=1e-4, momentum=0.9, fused=True), 1),
    "Adagrad": (lambda ps: st.optim.Adagrad(ps, lr=1e-4), lambda ps: torch.optim.Adagrad(ps, lr=1e-4, fused=True), 1),
    "Lion": (lambda ps: st.optim.Lion(ps, lr=1e-5), None, 1),
    # torch has no fused Adadelta: its column is the multi-tensor (foreach) step
    "Adadelta": (lambda ps: st.optim.Adadelta(ps, lr=1e-4),
                 lambda ps: torch.optim.Adadelta(ps, lr=1e-4, foreach=True), 2),
    # SophiaG reads its Hessian EMA without writing it: its limit is reads p, g, m, h and writes
    # p, m (24 B/param), measured by _optim_touch_last_read_only.
    "SophiaG": (lambda ps: st.optim.SophiaG(ps, lr=1e-5), None, 2),
    "ScheduleFreeAdamW": (lambda ps: _train(st.optim.ScheduleFreeAdamW(ps, lr=1e-4)), None, 2),
    # multi-pass rules: the limit is the single pass over their arrays (a lower bound on time)
    "Lamb": (lambda ps: st.optim.Lamb(ps, lr=1e-4), None, 2),
    "Lars": (lambda ps: st.optim.Lars(ps, lr=1e-4, momentum=0.9, weight_decay=1e-4), None, 1),
    "Adafactor": (lambda ps: st.optim.Adafactor(ps, lr=1e-4), lambda ps: torch.optim.Adafactor(ps, lr=1e-4), 1),
    "Muon": (lambda ps: st.optim.Muon(ps, lr=1e-4), lambda ps: torch.optim.Muon(ps, lr=1e-4), 1),
}
READ_ONLY_LAST = {"SophiaG"}


def _train(opt):
    opt.train()
    return opt


def sizes_large(total=16 * 2**20, count=30):
    rng = np.random.RandomState(0)
    w = rng.uniform(0.3, 1.7, count)
    s = np.maximum((w / w.sum() * total).astype(int), 1)
    s[-1] += total - s.sum()
    return [int(x) for x in s]


def make_params(sizes, seed=0, bf16=False):
    """sizes: ints (1-D params) or shape tuples."""
    rng = np.random.RandomState(seed)
    shapes = [s if isinstance(s, tuple) else (s,) for s in sizes]
    arrs = [rng.randn(*s).astype(np.float32) for s in shapes]
    grads = [(rng.randn(*s) * 1e-3).astype(np.float32) for s in shapes]
    sp = [st.from_numpy(a.copy()) for a in arrs]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in arrs]
    for p, t, g in zip(sp, tp, grads):
        p.grad = st.from_numpy(g.copy())
        t.grad = torch.tensor(g.copy())
    if bf16:  # bfloat16 params and grads (steepest keeps float32 masters in the optimizer)
        sp = [p.to(st.bfloat16) for p in sp]
        for p, g in zip(sp, grads):
            p.grad = st.from_numpy(g.copy()).to(st.bfloat16)
    return sp, tp


def timed(fn):
    t0 = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - t0


def measure(rule, sizes, threads, repeats, mode="plain"):
    """mode: plain; clip (fused: st.optim.clip_and_step); clip-eager (st.nn.utils.clip_grad_norm_
    then step); arena (params and grads flattened first); bf16 (steepest: bfloat16 params with
    float32 masters and bfloat16 moments, against steepest's own float32 step as the peer)."""
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    make_st, make_torch, nstate = RULES[rule]
    sp, tp = make_params(sizes)
    so = make_st(sp)
    to = make_torch(tp) if make_torch else None
    numels = [int(np.prod(s)) for s in sizes]
    lim_lists = [[st.zeros([n]) for n in numels] for _ in range(2 + nstate)]
    touch = st._core._optim_touch_last_read_only if rule in READ_ONLY_LAST else st._core._optim_touch
    clip = mode.startswith("clip")
    st_step, torch_step = so.step, (to.step if to else None)
    if mode == "clip":
        def st_step():
            st.optim.clip_and_step(so, 1e9)
    elif mode == "clip-eager":
        def st_step():
            st.nn.utils.clip_grad_norm_(sp, 1e9)
            so.step()
    elif mode == "arena":
        st.optim.flatten_(so)
    elif mode == "bf16":
        bp, _ = make_params(sizes, bf16=True)
        bo = st.optim.AdamW(bp, lr=1e-4, state_dtype=st.bfloat16)
        st_step, torch_step = bo.step, so.step  # the peer: steepest float32
    if clip:
        def torch_step():
            torch.nn.utils.clip_grad_norm_(tp, 1e9)
            to.step()

    def lim():
        touch(lim_lists)
        if clip:  # clip + step reads the grads once more: a read-only streaming pass
            for g in lim_lists[1]:
                st._core._stream_kernel([g], None)
    fns = [("st", st_step), ("lim", lim)] + ([("torch", torch_step)] if torch_step else [])
    for _ in range(3):
        for _, f in fns:
            f()
    times = {k: [] for k, _ in fns}
    for r in range(repeats):
        order = fns if r % 2 == 0 else fns[::-1]
        for k, f in order:
            times[k].append(timed(f))
    med = {k: statistics.median(v) for k, v in times.items()}
    n = sum(numels)
    # reads p, g, state; writes p, state (all but a read-only last array); clip: one more read of g
    writes = nstate if rule in READ_ONLY_LAST else 1 + nstate
    nbytes = n * 4 * ((2 + nstate) + writes + (1 if clip else 0))
    if mode == "bf16":  # reads master, g, m, v; writes master, p, m, v: 4+2+2+2 + 4+2+2+2
        nbytes = n * 20
    return med, nbytes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/RESULTS.md")
    ap.add_argument("--only", default="", help="comma-separated case-name filters (implies --no-write)")
    args = ap.parse_args()
    large = sizes_large(4 * 2**20 if args.quick else 16 * 2**20)
    many = [1000] * 3000
    cases = [("AdamW", large, "16M in 30", "plain"), ("AdamW", many, "3000 x 1000", "plain"),
             ("AdamW arena", many, "3000 x 1000", "arena"),
             ("AdamW + clip_grad_norm_", large, "16M in 30", "clip"),
             ("AdamW + clip_grad_norm_ (eager)", large, "16M in 30", "clip-eager"),
             ("AdamW bf16 + f32 master, bf16 m/v", large, "16M in 30", "bf16"),
             ("SGD momentum", large, "16M in 30", "plain"), ("Adam", large, "16M in 30", "plain"),
             ("Adagrad", large, "16M in 30", "plain"), ("Adadelta", large, "16M in 30", "plain"),
             ("Lion", large, "16M in 30", "plain"),
             ("Lion", many, "3000 x 1000", "plain"),
             ("SophiaG", large, "16M in 30", "plain"), ("SophiaG", many, "3000 x 1000", "plain"),
             ("ScheduleFreeAdamW", large, "16M in 30", "plain"), ("Lamb", large, "16M in 30", "plain"),
             ("Lars", large, "16M in 30", "plain"), ("Adafactor", large, "16M in 30", "plain"),
             ("Adafactor", [(1024, 1024)] * (4 if args.quick else 16), "1024x1024 matrices", "plain"),
             ("Muon", [(256, 256)] * 8, "8 x 256x256", "plain")]
    repeats = 7 if args.quick else 21
    load_before = os.getloadavg()[0]
    lines = ["| case | params | threads | steepest | torch fused | torch / steepest | steepest GB/s | limit GB/s "
             "| of limit |", "|---|---|---|---|---|---|---|---|---|"]
    if args.only:
        cases = [c for c in cases if any(o in c[0] for o in args.only.split(","))]
    for rule, sizes, label, mode in cases:
        for threads in (1, 2):
            med, nbytes = measure(max((k for k in RULES if rule.startswith(k)), key=len), sizes, threads, repeats, mode=mode)
            s, lim, tt = med["st"], med["lim"], med.get("torch")
            row = (f"| {rule} | {label} | {threads} | {fmt_time(s)} | {fmt_time(tt) if tt else '-'} | "
                   f"{(tt / s):.2f}x | " if tt else
                   f"| {rule} | {label} | {threads} | {fmt_time(s)} | - | - | ")
            if mode == "bf16":  # the limit kernel moves float32 streams: no like-for-like limit
                row += f"{nbytes / s:.1f} | - | - |"
            else:
                row += f"{nbytes / s:.1f} | {nbytes / lim:.1f} | {lim / s:.0%} |"
            print(row, flush=True)
            lines.append(row)
    notes = [
        "Ratios are torch time / steepest time (above 1x: steepest is faster). The limit moves the same",
        "arrays as the update (AdamW/Adam: reads p, g, m, v, writes p, m, v = 28 B/param; SGD momentum,",
        "Adagrad, Lion: 20 B/param) with one add per element, through the same chunked multi-tensor",
        "driver. clip rows: steepest computes the global norm in one fused pass and hands the clip",
        "coefficient to the step (st.optim.clip_and_step), so the grads are read once more and never",
        "written; the (eager) row runs st.nn.utils.clip_grad_norm_ (norm pass + scaling pass) then",
        "step(), like torch's clip_grad_norm_, which reads them for the norm and reads+writes them to",
        "scale; the limit counts one extra read. arena: st.optim.flatten_ first (params and grads in",
        "one buffer, state created contiguous, so the step runs as one stream). bf16 row: bfloat16",
        "params and grads, float32 master weights and bfloat16 moments in the optimizer (20 B/param:",
        "reads master 4, g 2, m 2, v 2; writes master 4, param 2, m 2, v 2), compared against",
        "steepest's float32 AdamW (28 B/param) in the 'torch fused' column. Grads are fixed between",
        "steps (the step alone is timed).",
        "SophiaG's limit reads p, g, m, h and writes p, m (24 B/param). ScheduleFreeAdamW moves y, g, z, v",
        "like AdamW (28 B). Lamb, Lars, Adafactor make more than one pass (per-tensor norms, u buffer,",
        "row/column means), so their fraction of the one-pass limit is below 1 by construction; Muon is",
        "matmul-bound (Newton-Schulz) and its limit column is not meaningful. torch columns for Adafactor",
        "and Muon are torch's default (single-tensor) implementations: torch has no fused ones.",
    ]
    print("\n" + "\n".join(notes))
    if args.no_write or args.only:
        return
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    cmd = "PYTHONPATH=python python bench/optim.py" + (" --quick" if args.quick else "")
    write_section("optim", cmd, "\n".join(lines),
                  f"{load} (the machine's 2 cores are shared: with a load above 2, 2-thread rows and absolute "
                  f"times are unreliable; read the 1-thread ratios, all from one interleaved run).\n\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
