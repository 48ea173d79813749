"""Optimizer steps on float32: steepest's fused multi-tensor step vs torch.optim(fused=True)
(where torch has one), interleaved round-robin in one process (warm-up, then the median of
repeats), 1 and 2 threads, with GB/s and the fraction of the limit: a trivial kernel that
moves the same arrays (reads p, g and the state; writes p and the state; one add each)
through the same chunked driver (steepest._core._optim_touch), measured in the same run.

    PYTHONPATH=python python bench/optim.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## optim".
"""
import argparse
import datetime
import os
import statistics
import sys
import time

import numpy as np
import torch

import steepest as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from elementwise import fmt_time, machine  # noqa: E402

# name -> (steepest factory, torch factory or None, state arrays besides p and g)
RULES = {
    "AdamW": (lambda ps: st.optim.AdamW(ps, lr=1e-4),
              lambda ps: torch.optim.AdamW(ps, lr=1e-4, fused=True), 2),
    "Adam": (lambda ps: st.optim.Adam(ps, lr=1e-4), lambda ps: torch.optim.Adam(ps, lr=1e-4, fused=True), 2),
    "SGD momentum": (lambda ps: st.optim.SGD(ps, lr=1e-4, momentum=0.9),
                     lambda ps: torch.optim.SGD(ps, lr=1e-4, momentum=0.9, fused=True), 1),
    "Adagrad": (lambda ps: st.optim.Adagrad(ps, lr=1e-4), lambda ps: torch.optim.Adagrad(ps, lr=1e-4, fused=True), 1),
    "Lion": (lambda ps: st.optim.Lion(ps, lr=1e-5), None, 1),
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


def make_params(sizes, seed=0):
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
    return sp, tp


def timed(fn):
    t0 = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - t0


def measure(rule, sizes, threads, repeats, clip=False):
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    make_st, make_torch, nstate = RULES[rule]
    sp, tp = make_params(sizes)
    so = make_st(sp)
    to = make_torch(tp) if make_torch else None
    numels = [int(np.prod(s)) for s in sizes]
    lim_lists = [[st.zeros([n]) for n in numels] for _ in range(2 + nstate)]
    touch = st._core._optim_touch_last_read_only if rule in READ_ONLY_LAST else st._core._optim_touch
    if clip:
        def st_step():
            total = st.optim.get_total_norm([p.grad for p in sp])
            so.step(grad_factor=st.optim.clip.clip_coefficient(1e9, total))

        def torch_step():
            torch.nn.utils.clip_grad_norm_(tp, 1e9)
            to.step()
    else:
        st_step, torch_step = so.step, (to.step if to else None)

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
    return med, nbytes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="don't update bench/RESULTS.md")
    ap.add_argument("--only", default="", help="comma-separated rules to run (implies --no-write)")
    args = ap.parse_args()
    large = sizes_large(4 * 2**20 if args.quick else 16 * 2**20)
    many = [1000] * 3000
    cases = [("AdamW", large, "16M in 30", False), ("AdamW", many, "3000 x 1000", False),
             ("AdamW + clip_grad_norm_", large, "16M in 30", True),
             ("SGD momentum", large, "16M in 30", False), ("Adam", large, "16M in 30", False),
             ("Adagrad", large, "16M in 30", False), ("Lion", large, "16M in 30", False),
             ("Lion", many, "3000 x 1000", False),
             ("SophiaG", large, "16M in 30", False), ("SophiaG", many, "3000 x 1000", False),
             ("ScheduleFreeAdamW", large, "16M in 30", False), ("Lamb", large, "16M in 30", False),
             ("Lars", large, "16M in 30", False), ("Adafactor", large, "16M in 30", False),
             ("Adafactor", [(1024, 1024)] * (4 if args.quick else 16), "1024x1024 matrices", False),
             ("Muon", [(256, 256)] * 8, "8 x 256x256", False)]
    if args.only:
        keep = set(args.only.split(","))
        cases = [c for c in cases if c[0].split(" +")[0] in keep]
        args.no_write = True
    repeats = 7 if args.quick else 21
    lines = ["| case | params | threads | steepest | torch fused | torch / steepest | steepest GB/s | limit GB/s "
             "| of limit |", "|---|---|---|---|---|---|---|---|---|"]
    for rule, sizes, label, clip in cases:
        for threads in (1, 2):
            med, nbytes = measure(rule.split(" +")[0], sizes, threads, repeats, clip=clip)
            s, lim, tt = med["st"], med["lim"], med.get("torch")
            row = (f"| {rule} | {label} | {threads} | {fmt_time(s)} | {fmt_time(tt) if tt else '-'} | "
                   f"{(tt / s):.2f}x | " if tt else
                   f"| {rule} | {label} | {threads} | {fmt_time(s)} | - | - | ")
            row += f"{nbytes / s:.1f} | {nbytes / lim:.1f} | {lim / s:.0%} |"
            print(row, flush=True)
            lines.append(row)
    notes = [
        "Ratios are torch time / steepest time (above 1x: steepest is faster). The limit moves the same",
        "arrays as the update (AdamW/Adam: reads p, g, m, v, writes p, m, v = 28 B/param; SGD momentum,",
        "Adagrad, Lion: 20 B/param) with one add per element, through the same chunked multi-tensor",
        "driver. clip rows: steepest computes the global norm in one fused pass and hands the clip",
        "coefficient to the step (grad_factor), so the grads are read once more and never written;",
        "torch's clip_grad_norm_ reads them for the norm and reads+writes them to scale; its limit",
        "counts one extra read. Grads are fixed between steps (the step alone is timed).",
        "SophiaG's limit reads p, g, m, h and writes p, m (24 B/param). ScheduleFreeAdamW moves y, g, z, v",
        "like AdamW (28 B). Lamb, Lars, Adafactor make more than one pass (per-tensor norms, u buffer,",
        "row/column means), so their fraction of the one-pass limit is below 1 by construction; Muon is",
        "matmul-bound (Newton-Schulz) and its limit column is not meaningful. torch columns for Adafactor",
        "and Muon are torch's default (single-tensor) implementations: torch has no fused ones.",
    ]
    print("\n" + "\n".join(notes))
    if args.no_write:
        return
    table = "\n".join(lines)
    cmd = "PYTHONPATH=python python bench/optim.py" + (" --quick" if args.quick else "")
    section = (f"## optim\n\n`{cmd}` on {machine()}, {datetime.date.today()}, torch {torch.__version__}.\n\n"
               f"{table}\n\n" + "\n".join(notes) + "\n")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    old = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    start = old.find("## optim")
    if start < 0:
        new = old.rstrip() + "\n\n" + section
    else:
        end = old.find("\n## ", start + 1)
        new = old[:start] + section + (old[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(new)
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
