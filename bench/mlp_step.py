"""MLP training steps, steepest vs torch eager, interleaved in one process (warm-up, then the
median of repeats): forward, cross-entropy, backward and a plain SGD update (p -= lr * grad).

  small: 64-128-10, batch 32   (per-op overhead decides)
  large: 784-1024-1024-10, batch 256 (GEMM-bound: reported as GFLOP/s against the sgemm peak
         measured in the same run, the better of steepest's and torch's 1024^3 matmul)

Peak memory of the large step is measured in fresh subprocesses, one per library: the rise of
the peak resident set (VmHWM, reset through /proc/self/clear_refs) over 5 steps, above the
resident set once the model, data and one step's buffers exist.

    PYTHONPATH=python python bench/mlp_step.py [--quick] [--no-write]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = {"small": ([64, 128, 10], 32), "large": ([784, 1024, 1024, 10], 256)}


def build(lib, sizes, batch, seed=0):
    """The same weights and data for both libraries, from numpy."""
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = lib.nn.Linear(a, b)
        bound = 1 / np.sqrt(a)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(rng.uniform(-bound, bound, (b, a)).astype(np.float32)))
            lin.bias.copy_(lib.tensor(rng.uniform(-bound, bound, b).astype(np.float32)))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(lib.nn.ReLU())
    model = lib.nn.Sequential(*layers)
    x = lib.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32))
    y = lib.tensor(rng.integers(0, sizes[-1], batch).astype(np.int64))
    return model, x, y


def make_step(lib, model, x, y, lr=0.01):
    params = list(model.parameters())
    ce = lib.nn.functional.cross_entropy

    def step():
        for p in params:
            p.grad = None
        loss = ce(model(x), y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
        return loss
    return step


def timeit(fn, k):
    t0 = time.perf_counter()
    for _ in range(k):
        fn()
    return (time.perf_counter() - t0) / k


def step_flops(sizes, batch):
    fwd = sum(2 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:]))
    grad_x = sum(2 * batch * a * b for a, b in zip(sizes[1:-1], sizes[2:]))  # no dx for the input
    return fwd + fwd + grad_x  # forward, weight grads, input grads


def sgemm_peak(st, torch, repeats):
    n = 1024
    a = np.random.default_rng(1).standard_normal((n, n)).astype(np.float32)
    sa, ta = st.tensor(a), torch.tensor(a)
    best = 0.0
    for f in (lambda: st.matmul(sa, sa), lambda: torch.matmul(ta, ta)):
        f()
        best = max(best, 2 * n**3 / min(timeit(f, 3) for _ in range(repeats)))
    return best


def memory_child(lib_name, case):
    """Runs in a subprocess: prints the peak RSS rise (bytes) over 5 large steps."""
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
    else:
        import steepest as lib
        lib.set_num_threads(1)
    sizes, batch = CASES[case]
    model, x, y = build(lib, sizes, batch)
    step = make_step(lib, model, x, y)
    step()  # the first step allocates the grads once in both libraries
    for p in model.parameters():
        p.grad = None
    base = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:  # resets the peak (VmHWM) to the current RSS
        f.write("5")
    for _ in range(5):
        step()
    print(json.dumps({"rise": (_status_kib("VmHWM") - base) * 1024}))


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_memory(case):
    out = {}
    for name in ("steepest", "torch"):
        r = subprocess.run([sys.executable, __file__, "--memory-child", name, case], capture_output=True, text=True,
                           check=True)
        out[name] = json.loads(r.stdout.strip().splitlines()[-1])["rise"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--memory-child", nargs=2)
    a = ap.parse_args()
    if a.memory_child:
        return memory_child(*a.memory_child)
    import torch

    import steepest as st
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from results import write_section

    repeats = 5 if a.quick else 11
    lines = ["| case | threads | steepest | torch | speed-up vs torch | steepest GFLOP/s | of sgemm peak |",
             "|---|---|---|---|---|---|---|"]
    for threads in (1, 2):
        st.set_num_threads(threads)
        torch.set_num_threads(threads)
        peak = sgemm_peak(st, torch, 3)
        for case, (sizes, batch) in CASES.items():
            k = 200 if case == "small" else 3
            if a.quick:
                k = max(1, k // 4)
            sm, sx, sy = build(st, sizes, batch)
            tm, tx, ty = build(torch, sizes, batch)
            fs, ft = make_step(st, sm, sx, sy), make_step(torch, tm, tx, ty)
            for _ in range(3):
                fs(), ft()
            ts, tt = [], []
            for _ in range(repeats):
                ts.append(timeit(fs, k))
                tt.append(timeit(ft, k))
            s, t = statistics.median(ts), statistics.median(tt)
            gf = step_flops(sizes, batch) / s
            name = f"{case} {'-'.join(map(str, sizes))} b{batch}"
            fmt = (lambda v: f"{v * 1e6:.1f} µs" if v < 1e-3 else f"{v * 1e3:.2f} ms")
            lines.append(f"| {name} | {threads} | {fmt(s)} | {fmt(t)} | {t / s:.2f}x | {gf / 1e9:.1f} | "
                         f"{gf / peak:.0%} (peak {peak / 1e9:.1f}) |")
            print(lines[-1], flush=True)
    mem = peak_memory("large")
    lines += ["", "| peak memory rise over 5 large steps (1 thread) | steepest | torch |", "|---|---|---|",
              f"| peak RSS rise | {mem['steepest'] / 2**20:.1f} MiB | {mem['torch'] / 2**20:.1f} MiB |"]
    print("\n".join(lines[-4:]))
    if not a.no_write:
        write_section("mlp step", "PYTHONPATH=python python bench/mlp_step.py" + (" --quick" if a.quick else ""),
                      "\n".join(lines),
                      "Each step: zero grads (set to None), forward, cross-entropy, backward, p -= 0.01 * grad for "
                      "every parameter (a Python loop in both libraries). Speed-up = torch time / steepest time. "
                      "GFLOP/s counts the GEMMs (forward, weight grads, input grads except the first layer's).")


if __name__ == "__main__":
    sys.exit(main())
