"""History: what st.train.fit returns — every record it logged (step logs, epoch summaries,
diagnostics events) in order, the per-epoch summaries, and ways to save and plot them."""
from __future__ import annotations

import json
import math
from typing import Any, Callable, Optional

from .._typing import PathLike

__all__ = ["History"]


def _json_safe(x):
    """x with non-finite floats as None (strict JSON has no nan/inf)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def json_line(record):
    """One record as a line of strict JSON (nan and inf written as null)."""
    return json.dumps(_json_safe(record), allow_nan=False)


class History:
    """The log of one fit() run.

    records: every record in order, each a dict with a "type":
      "step"   every log_every optimizer steps: epoch, step, loss (that step's), loss_avg (mean
               since the previous step record), lr, grad_norm (global, before clipping),
               samples_per_s, grad_norms (name -> norm, when tracked);
      "epoch"  each epoch's end (the same dicts as .epochs);
      "grad_flag", "loss_spike", "skipped_step", "early_stop": diagnostics events.
    epochs: per-epoch dicts: epoch (0-based), steps (optimizer steps so far), train_loss (the
      sample-weighted mean over the epoch's batches), val_loss and val_<metric> (when val_data
      is given), lr (at the epoch's end), time (seconds the epoch took).
    best: the best epoch dict by the early-stopping monitor if one was given, else by val_loss
      when there was validation data, else by train_loss (None before any epoch ended).
    stopped_early: whether early stopping (or a callback's stop_training) ended the run.
    skipped_steps: how many steps on_nonfinite="skip" skipped.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.stopped_early = False
        self.skipped_steps = 0
        self.monitor: Optional[tuple[str, str]] = None  # (key, mode) ranking epochs for .best
        self._sink: Optional[Callable[[dict[str, Any]], None]] = None  # the JSONL writer during fit

    @property
    def epochs(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("type") == "epoch"]

    @property
    def best(self) -> Optional[dict[str, Any]]:
        epochs = self.epochs
        if not epochs:
            return None
        key, mode = self.monitor or (("val_loss" if "val_loss" in epochs[-1] else "train_loss"), "min")
        scored = [e for e in epochs if isinstance(e.get(key), (int, float)) and math.isfinite(e[key])]
        if not scored:
            return None
        pick = min if mode == "min" else max
        return pick(scored, key=lambda e: e[key])

    def _add(self, record):
        self.records.append(record)
        if self._sink is not None:
            self._sink(record)

    def _add_all(self, records):
        for r in records:
            self._add(r)

    def state_dict(self) -> dict[str, Any]:
        return {"records": self.records, "stopped_early": self.stopped_early, "skipped_steps": self.skipped_steps}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.records = [dict(r) for r in sd["records"]]
        self.stopped_early = bool(sd["stopped_early"])
        self.skipped_steps = int(sd["skipped_steps"])

    def to_json(self, path: PathLike) -> PathLike:
        """Writes {"epochs", "records", "best", "stopped_early", "skipped_steps"} as JSON (nan
        and inf as null); returns path."""
        doc = {"epochs": self.epochs, "records": self.records, "best": self.best,
               "stopped_early": self.stopped_early, "skipped_steps": self.skipped_steps}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_json_safe(doc), f, indent=1, allow_nan=False)
            f.write("\n")
        return path

    def plot(self, path: PathLike) -> PathLike:
        """Loss, learning-rate and metric curves as a PNG (needs matplotlib); returns path."""
        from .plots import plot_history
        return plot_history(self, path)

    def __repr__(self):
        return (f"History(epochs={len(self.epochs)}, records={len(self.records)}, best={self.best}, "
                f"stopped_early={self.stopped_early}, skipped_steps={self.skipped_steps})")
