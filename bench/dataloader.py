"""DataLoader throughput on a dataset whose __getitem__ is slow Python (each item: decompress
a 32x32x3 uint8 image, random crop and flip with numpy, normalize, and a small pure-Python
checksum; ~0.2 ms), with num_workers 0, 1, 2 and 4: steepest's DataLoader beside torch's on the
same dataset object, interleaved in one process (one warm-up epoch each, then the median of
repeated epochs on persistent workers, so worker start-up is not counted).
A second dataset does the same decode but spends its extra ~0.2 ms waiting (a sleep standing
for reading a file or a network fetch), which workers overlap even when no core is free.

    PYTHONPATH=python python bench/dataloader.py [--quick] [--no-write]

Prints a markdown table and writes it to bench/RESULTS.md under "## dataloader".
"""
import argparse
import os
import statistics
import sys
import time
import zlib

import numpy as np
import torch
import torch.utils.data as tud

import steepest as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import write_section  # noqa: E402

MEAN = np.array([0.49, 0.48, 0.45], np.float32)
STD = np.array([0.25, 0.24, 0.26], np.float32)


class SlowImages:
    """Map-style, library-neutral: returns (float32 CHW numpy image, int label)."""

    def __init__(self, n, work, wait_s=0.0):
        rng = np.random.default_rng(0)
        self.blobs = [zlib.compress(rng.integers(0, 256, (36, 36, 3), np.uint8).tobytes(), 1) for _ in range(n)]
        self.labels = rng.integers(0, 10, n).tolist()
        self.work = work
        self.wait_s = wait_s

    def __len__(self):
        return len(self.blobs)

    def __getitem__(self, i):
        img = np.frombuffer(zlib.decompress(self.blobs[i]), np.uint8).reshape(36, 36, 3)
        y, x = np.random.randint(0, 5, 2)
        img = img[y:y + 32, x:x + 32]
        if np.random.rand() < 0.5:
            img = img[:, ::-1]
        out = ((img.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)
        h = 0
        for v in range(self.work):  # stands for per-item Python work (parsing, augment logic)
            h = (h * 31 + v) & 0xFFFF
        if self.wait_s:
            time.sleep(self.wait_s)
        return np.ascontiguousarray(out), self.labels[i] + (h & 0)


def epoch(loader, n):
    t = time.perf_counter()
    m = 0
    shape = None
    for batch in loader:
        m += len(batch[1])
        shape = tuple(batch[0].shape[1:])
    dt = time.perf_counter() - t
    assert m == n and shape == (3, 32, 32)
    return dt


def make_st(ds, workers, bs):
    return st.data.DataLoader(ds, batch_size=bs, shuffle=True, num_workers=workers, persistent_workers=workers > 0)


def make_torch(ds, workers, bs):
    return tud.DataLoader(ds, batch_size=bs, shuffle=True, num_workers=workers, persistent_workers=workers > 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    n, repeats = (400, 2) if args.quick else (2000, 5)
    datasets = {"CPU-bound": SlowImages(n, work=600), "waiting": SlowImages(n, work=0, wait_s=0.0002)}
    per_item = {}
    for kind, ds in datasets.items():
        t = time.perf_counter()
        for i in range(200):
            ds[i]
        per_item[kind] = (time.perf_counter() - t) / 200
    st.set_num_threads(1)
    torch.set_num_threads(1)
    counts = (0, 1, 2, 4)
    configs = [(kind, lib, w) for kind in datasets for w in counts for lib in ("steepest", "torch")]
    makers = {"steepest": make_st, "torch": make_torch}
    times = {c: [] for c in configs}
    loaders = {c: makers[c[1]](datasets[c[0]], c[2], 32) for c in configs}
    for c in configs:
        epoch(loaders[c], n)  # warm-up, and the workers' start
    for _ in range(repeats):
        for c in configs:
            times[c].append(epoch(loaders[c], n))
    med = {c: statistics.median(v) for c, v in times.items()}
    rows = ["| __getitem__ | num_workers | steepest items/s | torch items/s | steepest / torch | "
            "steepest vs 0 workers |", "| --- | --- | --- | --- | --- | --- |"]
    for kind in datasets:
        for w in counts:
            s_, t_ = n / med[(kind, "steepest", w)], n / med[(kind, "torch", w)]
            rows.append(f"| {kind}, {per_item[kind] * 1e3:.2f} ms | {w} | {s_:,.0f} | {t_:,.0f} | {s_ / t_:.2f}x | "
                        f"{med[(kind, 'steepest', 0)] / med[(kind, 'steepest', w)]:.2f}x |")
    table = "\n".join(rows)
    load = os.getloadavg()[0]
    print(f"{n} items, batch 32, median of {repeats} epochs; load average {load:.1f} on {os.cpu_count()} CPUs\n")
    print(table)
    if not args.no_write:
        notes = (f"{n} items per epoch, batch 32, shuffled, persistent workers (fork; their start-up is in the "
                 f"warm-up epoch, not timed). Both loaders use one thread per process. Items per second are the "
                 f"median of {repeats} epochs after a warm-up epoch, steepest's and torch's loaders "
                 f"interleaved. CPU-bound: decompress, crop, flip, normalize and a Python loop. Waiting: the "
                 f"same decode plus a 0.2 ms sleep (file or network latency). This run's machine has "
                 f"{os.cpu_count()} logical CPUs and was shared with other jobs (load average {load:.0f}): the "
                 f"rows are noisy (the steepest/torch column swings both ways from run to run), and on a busy "
                 f"machine more processes also win a larger share of the CPUs, which is how CPU-bound loading "
                 f"gains past the core count. What holds: the main process stops paying for __getitem__ "
                 f"(1 worker already beats 0), and waiting items overlap almost linearly with the workers. "
                 f"Batches travel back through a pipe (one copy each way), where torch passes tensors in shared "
                 f"memory; with large batches that copy is the difference.")
        write_section("dataloader", "PYTHONPATH=python python bench/dataloader.py", table, notes)


if __name__ == "__main__":
    main()
