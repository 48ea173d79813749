"""bfloat16 matrix products: steepest's bfloat16 matmul (its vdpbf16ps kernel on CPUs with
AVX512_BF16) beside torch's bfloat16 matmul and steepest's float32 matmul, square sizes at 1 and
2 threads, interleaved in one process (warm-up, then the median of repeats), with the share of
the bfloat16 ceiling: a register-only vdpbf16ps loop timed in the same run between the repeats.
Optionally a Muon step (8 params of 256x256, Newton-Schulz in bfloat16 and float32) beside
torch.optim.Muon.

    PYTHONPATH=python python bench/bf16_gemm.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## bf16 gemm".
"""
import argparse
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from results import write_section

import steepest as st


def timed(fn, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def timed_both(fn, inner, threads):
    """(wall seconds, process CPU seconds / threads) per call."""
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - w0) / inner, (time.process_time() - c0) / inner / threads


def run_size(n, threads, repeats):
    st.set_num_threads(threads)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(n)
    a32, b32 = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    ta, tb = torch.from_numpy(a32).bfloat16(), torch.from_numpy(b32).bfloat16()
    sa, sb = st.tensor(a32, dtype=st.bfloat16), st.tensor(b32, dtype=st.bfloat16)
    fa, fb = st.tensor(a32), st.tensor(b32)
    fns = {"st": lambda: sa @ sb, "torch": lambda: ta @ tb, "st32": lambda: fa @ fb}
    inner = max(1, int(2e8 / n ** 3))
    for f in fns.values():
        timed(f, inner)
    times = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    peaks, cpu_peaks = [], []
    for _ in range(repeats):
        for k, f in fns.items():
            w, c = timed_both(f, inner, threads)
            times[k].append(w)
            cpu[k].append(c)
        peaks.append(st._core._bf16_peak_gflops(threads, 0.02))
        cpu_peaks.append(st._core._bf16_peak_gflops(threads, 0.02, cpu_time=True))
    flops = 2.0 * n ** 3
    gf = {k: flops / statistics.median(v) / 1e9 for k, v in times.items()}
    gf_cpu = {k: flops / min(v) / 1e9 for k, v in cpu.items()}
    return gf, statistics.median(peaks), gf_cpu, max(cpu_peaks)


def muon_rows(repeats):
    """One Muon step over 8 params of 256x256: steepest (Newton-Schulz in bf16 and in f32)
    beside torch.optim.Muon (which iterates in bfloat16)."""
    if not hasattr(torch.optim, "Muon"):
        return []
    rows = []
    rng = np.random.default_rng(0)
    init = [rng.standard_normal((256, 256)).astype(np.float32) for _ in range(8)]
    grads = [rng.standard_normal((256, 256)).astype(np.float32) for _ in range(8)]
    for threads in (1, 2):
        st.set_num_threads(threads)
        torch.set_num_threads(threads)
        tp = [torch.nn.Parameter(torch.from_numpy(x.copy())) for x in init]
        for p, g in zip(tp, grads):
            p.grad = torch.from_numpy(g)
        topt = torch.optim.Muon(tp, lr=0.02)
        steps = {"torch": topt.step}
        for ns in ("bfloat16", "float32"):
            sp = [st.nn.Parameter(st.tensor(x)) for x in init]
            for p, g in zip(sp, grads):
                p.grad = st.tensor(g)
            steps[ns] = st.optim.Muon(sp, lr=0.02, ns_dtype=ns).step
        for f in steps.values():
            f()
        times = {k: [] for k in steps}
        for _ in range(repeats):
            for k, f in steps.items():
                times[k].append(timed(f, 3))
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        rows.append(f"| Muon step, 8 x 256^2 | {threads} | {med['bfloat16']:.2f} ms (bf16 NS) | "
                    f"{med['torch']:.2f} ms | {med['float32']:.2f} ms (f32 NS) | "
                    f"{med['torch'] / med['bfloat16']:.2f}x | - |")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-muon", action="store_true")
    a = ap.parse_args()
    repeats = 3 if a.quick else 7
    print("bf16 GEMM path:", st._core._bf16_gemm_path())
    head = ["| product | threads | steepest bf16 | torch bf16 | steepest f32 | bf16 vs torch | of bf16 peak |",
            "|---|---|---|---|---|---|---|"]
    lines, cpu_lines = list(head), list(head)

    def row(n, threads, g, peak):
        share = f"{100 * g['st'] / peak:.0f}% (peak {peak:.0f})" if peak > 0 else "-"
        return (f"| square {n}^3 | {threads} | {g['st']:.1f} GF/s | {g['torch']:.1f} GF/s | "
                f"{g['st32']:.1f} GF/s | {g['st'] / g['torch']:.2f}x | {share} |")

    for threads in (1, 2):
        for n in (256, 512, 1024, 2048):
            gf, peak, gf_cpu, cpu_peak = run_size(n, threads, max(3, repeats - (2 if n >= 2048 else 0)))
            lines.append(row(n, threads, gf, peak))
            cpu_lines.append(row(n, threads, gf_cpu, cpu_peak))
            print(lines[-1], "| cpu-time:", cpu_lines[-1], flush=True)
    if not a.no_muon:
        for line in muon_rows(repeats):
            print(line, flush=True)
            lines.append(line)
    table = ("Wall clock, medians of interleaved repeats:\n\n" + "\n".join(lines) +
             "\n\nCPU time (process CPU seconds / threads, best repeat; the peak likewise):\n\n" +
             "\n".join(cpu_lines))
    try:
        flags = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        isa = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_vnni",
                           "avx512_fp16", "amx_bf16") if f" {f} " in flags.replace("\n", " ")]
    except OSError:
        isa = []
    notes = (f"CPU flags: {' '.join(isa) or 'unknown'}; bf16 GEMM path {st._core._bf16_gemm_path()}. "
             "GF/s = 2 n^3 / median time. The peak is a register-only loop of 24 independent vdpbf16ps "
             "(32 multiply-adds each) on as many threads, timed between the repeats so it sees the same "
             "machine load. The CPU-time table counts only the time this process ran, so other "
             "processes sharing the cores distort it less (OpenMP threads spinning at a barrier do count).")
    if not a.no_write:
        write_section("bf16 gemm", "PYTHONPATH=python python bench/bf16_gemm.py", table, notes)


if __name__ == "__main__":
    sys.exit(main())
