"""Recurrent training steps, steepest vs torch eager, interleaved in one process (warm-up,
then the median of repeats): an LSTM (and a GRU) forward over a batch of sequences, a loss of
the outputs, backward. Both libraries start from the same weights and data (numpy). 1-thread
rows time the process's CPU time per step (steadier than wall time on a shared machine);
2-thread rows time wall-clock, which is what a second thread can shorten.

  lstm-1: batch 32, seq 35, input 128, hidden 256, 1 layer
  lstm-2: the same, 2 layers
  gru-1:  the same shape as lstm-1, a GRU

    PYTHONPATH=python python bench/rnn.py [--quick] [--no-write]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

CASES = {"lstm-1": ("LSTM", 1), "lstm-2": ("LSTM", 2), "gru-1": ("GRU", 1)}
B, T, IN, H = 32, 35, 128, 256


def build(lib, cls, layers, seed=0):
    rng = np.random.default_rng(seed)
    m = getattr(lib.nn, cls)(IN, H, num_layers=layers)
    bound = 1 / np.sqrt(H)
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))
    x = lib.tensor(rng.standard_normal((T, B, IN)).astype(np.float32))
    return m, x


def make_step(lib, m, x):
    params = list(m.parameters())

    def step():
        for p in params:
            p.grad = None
        out, _ = m(x)
        loss = (out * out).mean()
        loss.backward()
        return loss
    return step


def timeit(fn, k, clock):
    t0 = clock()
    for _ in range(k):
        fn()
    return (clock() - t0) / k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    import torch

    import steepest as st
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from results import write_section
    reps, k = (5, 3) if a.quick else (15, 5)
    lines = ["| case | threads | steepest | torch | speed-up vs torch |", "|---|---|---|---|---|"]
    for threads in (1, 2):
        st.set_num_threads(threads)
        torch.set_num_threads(threads)
        clock = time.process_time if threads == 1 else time.perf_counter
        for name, (cls, layers) in CASES.items():
            sm, sx = build(st, cls, layers)
            tm, tx = build(torch, cls, layers)
            s_step, t_step = make_step(st, sm, sx), make_step(torch, tm, tx)
            ls, lt = s_step().item(), t_step().item()
            assert abs(ls - lt) <= 1e-4 * abs(lt), (name, ls, lt)
            for _ in range(2):
                s_step()
                t_step()
            ss, ts = [], []
            for _ in range(reps):  # interleaved
                ss.append(timeit(s_step, k, clock))
                ts.append(timeit(t_step, k, clock))
            s, t = statistics.median(ss), statistics.median(ts)
            row = f"| {name} | {threads} | {s * 1e3:.2f} ms | {t * 1e3:.2f} ms | {t / s:.2f}x |"
            print(row, flush=True)
            lines.append(row)
    table = "\n".join(lines)
    if not a.no_write:
        write_section("Recurrent layers (LSTM/GRU training step)", "PYTHONPATH=python python bench/rnn.py", table,
                      f"One step: forward over (seq {T}, batch {B}, input {IN}) with hidden {H}, loss mean(out^2), "
                      "backward (no optimizer update). Median of interleaved repeats after warm-up; CPU time "
                      "per step at 1 thread, wall time at 2. Load average "
                      f"at the end of the run: {os.getloadavg()[0]:.1f} (other jobs shared the CPUs).")


if __name__ == "__main__":
    main()
