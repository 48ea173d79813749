"""What every CLI task shares: thread count, the output folder, the warmup-cosine schedule,
the per-epoch summary line (printed by us when tqdm's bar, which prints its own, is off) and
the fit() call with the CLI's defaults."""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import IO, Any, Callable, Optional

from .. import _core, optim, train
from ..train.callbacks import TrainState
from ..train.history import History
from .errors import UsageError


def setup(args: argparse.Namespace) -> float:
    """Applies --threads and --seed; returns a started timer (time.perf_counter value)."""
    threads = getattr(args, "threads", None)
    if threads:
        _core.set_num_threads(threads)
    _core.manual_seed(args.seed)
    return time.perf_counter()


def out_dir(path: str) -> str:
    """The output folder, created (with parents) when the first result is written: a run that
    fails earlier leaves nothing behind. A clear error when a file is in the way."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--out {path}: exists and is not a directory")
    return path


def out_file(folder: str, name: str) -> str:
    """The path of a result in the output folder, creating the folder now."""
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def schedule(optimizer: Any, total_steps: int, warmup_fraction: float = 0.1) -> Any:
    """Linear warmup over the first warmup_fraction of the steps, then cosine decay to 1/100
    of the peak: big early steps would throw Adam's young moment estimates around."""
    warmup = min(total_steps - 1, max(1, int(round(warmup_fraction * total_steps)))) if total_steps > 1 else 0
    peak = optimizer.param_groups[0]["lr"]
    return optim.lr_scheduler.warmup_cosine(optimizer, warmup, max(total_steps, 1), min_lr=peak / 100)


def bar_visible(args: argparse.Namespace) -> bool:
    return not args.no_progress and sys.stderr.isatty()


class EpochPrinter:
    """Prints one line per epoch (when fit's own progress bar and its lines are off)."""

    def __init__(self, epochs: int, stream: Optional[IO[str]] = None, labels: Optional[dict[str, str]] = None) -> None:
        self.epochs = epochs
        self.stream = stream or sys.stdout
        self.labels: dict[str, str] = labels or {}

    def on_epoch_end(self, state: TrainState) -> None:
        rec = state.epoch_record
        parts = [f"epoch {rec['epoch'] + 1}/{self.epochs}", f"step {rec['steps']}",
                 f"train_loss {rec['train_loss']:.4f}"]
        for k, v in rec.items():
            if k.startswith("val_") and isinstance(v, float):
                parts.append(f"{self.labels.get(k, k)} {v:.4f}")
        parts.append(f"lr {rec['lr']:.3g}")
        print("  ".join(parts), file=self.stream, flush=True)


def run_fit(args: argparse.Namespace, model: Any, optimizer: Any, train_data: Any,
            val_data: Optional[Iterable[Any]], epochs: int, loss_fn: Callable[..., Any],
            metrics: Optional[dict[str, Callable[..., Any]]] = None, callbacks: Sequence[Any] = (),
            max_steps: Optional[int] = None, val_name: str = "val",
            make_schedule: Optional[Callable[[Any, int], Any]] = None) -> History:
    """st.train.fit with the CLI's choices: a warmup-cosine schedule (or make_schedule(optimizer,
    total_steps)) stepped per optimizer step over the whole run, clipping when --clip is given,
    a progress bar on a terminal."""
    steps_per_epoch = math.ceil(len(train_data))
    total = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    sched = (make_schedule or schedule)(optimizer, total)
    shown = bar_visible(args)
    cbs = list(callbacks)
    if not shown:
        cbs.insert(0, EpochPrinter(epochs, labels={"val_loss": f"{val_name}_loss",
                                                   "val_accuracy": f"{val_name}_accuracy"}))
    return train.fit(model, optimizer, train_data, loss_fn=loss_fn, epochs=epochs, val_data=val_data,
                     metrics=metrics, scheduler=sched, clip_grad_norm=getattr(args, "clip", None),
                     progress=shown, max_steps=max_steps, callbacks=cbs)


def rank() -> int:
    """This process's rank when training data-parallel (--nproc), else 0."""
    from .. import distributed as dist
    return dist.get_rank() if dist.is_initialized() else 0


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0
