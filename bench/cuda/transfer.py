"""CUDA runtime costs, steepest vs torch side by side in one process (interleaved, warm-up,
median of repeats): host-to-device and device-to-host copies (pageable and pinned) at a few
sizes, a same-device dtype-converting copy, and the cost of one allocate + free through the
caching allocator (steady state: no cudaMalloc).

    PYTHONPATH=python python bench/cuda/transfer.py [--quick]

Prints a markdown table (GB/s or microseconds, and steepest/torch ratios). Needs a GPU.
"""
import argparse
import statistics
import sys
import time

import steepest as st

try:
    import torch
except ImportError:  # the table then has steepest's column only
    torch = None


def timed(fn, sync, reps):
    fn()
    sync()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if not st.cuda.is_available():
        print("skipped: no GPU (st.cuda.is_available() is False)")
        return 0
    have_torch = torch is not None and torch.cuda.is_available()
    reps = 5 if args.quick else 20
    st_sync, t_sync = st.cuda.synchronize, (torch.cuda.synchronize if have_torch else (lambda: None))
    rows = []
    for mib in (1, 16, 256):
        n = mib * (1 << 20) // 4
        sx, sp = st.ones(n), st.ones(n).pin_memory()
        sg = sx.cuda()
        cases = {
            "H2D pageable": (lambda: sx.to("cuda"), None),
            "H2D pinned": (lambda: sp.to("cuda", non_blocking=True), None),
            "D2H": (lambda: sg.cpu(), None),
            "D2D f32->f16": (lambda: sg.to(st.float16), None),
        }
        if have_torch:
            tx, tp = torch.ones(n), torch.ones(n).pin_memory()
            tg = tx.cuda()
            tcases = {"H2D pageable": lambda: tx.to("cuda"), "H2D pinned": lambda: tp.to("cuda", non_blocking=True),
                      "D2H": lambda: tg.cpu(), "D2D f32->f16": lambda: tg.to(torch.float16)}
        for name, (fn, _) in cases.items():
            s_t = timed(fn, st_sync, reps)
            t_t = timed(tcases[name], t_sync, reps) if have_torch else float("nan")
            gbs = lambda t: (n * 4) / t / 1e9  # noqa: E731
            rows.append((f"{name} {mib} MiB", f"{gbs(s_t):.1f} GB/s", f"{gbs(t_t):.1f} GB/s", f"{t_t / s_t:.2f}"))
    def alloc_free_st():
        for _ in range(100):
            st.empty(1 << 18, device="cuda")
    def alloc_free_t():
        for _ in range(100):
            torch.empty(1 << 18, device="cuda")
    s_t = timed(alloc_free_st, st_sync, reps) / 100
    t_t = timed(alloc_free_t, t_sync, reps) / 100 if have_torch else float("nan")
    rows.append(("empty(1 MiB) + free", f"{s_t * 1e6:.1f} us", f"{t_t * 1e6:.1f} us", f"{t_t / s_t:.2f}"))
    print(f"GPU: {st.cuda.get_device_name()}; torch {'%s' % torch.__version__ if have_torch else 'absent'}")
    print("| case | steepest | torch | steepest speed / torch |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
