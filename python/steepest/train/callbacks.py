"""EarlyStopping and the TrainState that fit hands to callbacks.

A callback is any object with some of these methods, called by fit in this order:
  on_after_backward(state)  after a step's gradients are complete, before clipping and the
                            optimizer step (state.named_params, state.is_log_step);
  on_step_end(state)        after each optimizer step (or skipped step: state.skipped);
  on_epoch_end(state)       after each epoch's evaluation (state.epoch_record).
Set state.stop_training = True to end the run after the current epoch. A callback with
state_dict()/load_state_dict() has that state saved in fit's checkpoints."""
from __future__ import annotations

import math
from typing import Any, Optional

__all__ = ["EarlyStopping", "TrainState"]


class TrainState:
    """What a callback sees. model, optimizer, scheduler, history; epoch (0-based), step (1-based
    count of optimizer steps, skipped ones included), loss (this step's mean micro-batch loss),
    lr, skipped, is_log_step, step_record (the dict being logged this step, when is_log_step),
    epoch_record (in on_epoch_end), named_params ((name, param) pairs), stop_training."""

    def __init__(self, model, optimizer, scheduler, history, named_params):
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.history = history
        self.named_params = named_params
        self.epoch = 0
        self.step = 0
        self.loss: Optional[float] = None
        self.lr: Optional[float] = None
        self.skipped = False
        self.is_log_step = False
        self.step_record: Any = None
        self.epoch_record: Any = None
        self.stop_training = False


class EarlyStopping:
    """Stops training when `monitor` (a key of the epoch records: "val_loss", "train_loss",
    "val_<metric>") has not improved by more than `min_delta` for `patience` epochs in a row.
    mode="min" (lower is better) or "max". The run ends after the epoch that used up the
    patience; history.stopped_early is then True and history.best is ranked by `monitor`."""

    def __init__(self, monitor: str = "val_loss", patience: int = 3, mode: str = "min", min_delta: float = 0.0) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be the name of an epoch value (str), got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive integer, got {patience!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be a non-negative number, got {min_delta!r}")
        self.monitor = monitor
        self.patience = patience
        self.mode = mode
        self.min_delta = float(min_delta)
        self.best: Optional[float] = None
        self.best_epoch: Optional[int] = None
        self.wait = 0

    def _improved(self, value):
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, state: TrainState) -> None:
        rec = state.epoch_record
        if self.monitor not in rec:
            have = ", ".join(k for k in rec if k not in ("type",))
            raise KeyError(f"EarlyStopping: monitor {self.monitor!r} is not in the epoch record (have: {have})")
        value = float(rec[self.monitor])
        if math.isfinite(value) and self._improved(value):
            self.best, self.best_epoch, self.wait = value, rec["epoch"], 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop_training = True
            state.history._add({"type": "early_stop", "epoch": rec["epoch"], "step": state.step,
                                "monitor": self.monitor, "best": self.best, "best_epoch": self.best_epoch})

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = sd["best"], sd["best_epoch"], int(sd["wait"])
