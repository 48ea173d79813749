"""Training-failure diagnostics for st.train.fit: NonFiniteError (which step, which parameter),
per-layer gradient-norm tracking with vanishing/exploding flags (GradNormMonitor) and loss-spike
reports (LossSpikeMonitor). Monitors are callbacks: fit adds default ones, or takes yours."""
from __future__ import annotations

import math
import statistics
import warnings
from collections import deque
from typing import Optional

import numpy as np

from .. import _core

__all__ = ["NonFiniteError", "GradNormMonitor", "LossSpikeMonitor", "param_names", "first_nonfinite_grad"]


class NonFiniteError(RuntimeError):
    """Training produced a non-finite loss or gradient. Attributes: step (1-based optimizer
    step), epoch (0-based), loss (float), param (name of the first parameter, in
    model.named_parameters() order, whose gradient holds a nan or inf; None if none does)."""

    def __init__(self, message: str, *, step: Optional[int] = None, epoch: Optional[int] = None,
                 loss: Optional[float] = None, param: Optional[str] = None) -> None:
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.param = param


def param_names(model, optimizer):
    """(name, param) for every parameter the optimizer updates: the model's qualified names
    ("layers.0.weight") where the model holds it, else "param_groups[g][i]"."""
    by_id: dict[int, str] = {}
    if model is not None and hasattr(model, "named_parameters"):
        for name, p in model.named_parameters():
            by_id.setdefault(id(p), name)
    out = []
    seen = set()
    if model is not None and hasattr(model, "named_parameters"):
        opt_ids = {id(p) for g in optimizer.param_groups for p in g["params"]}
        for name, p in model.named_parameters():
            if id(p) in opt_ids and id(p) not in seen:
                seen.add(id(p))
                out.append((name, p))
    for gi, group in enumerate(optimizer.param_groups):
        for pi, p in enumerate(group["params"]):
            if id(p) not in seen:
                seen.add(id(p))
                out.append((by_id.get(id(p), f"param_groups[{gi}][{pi}]"), p))
    return out


def _grad_is_finite(g):
    try:
        arr = g.numpy()
    except (TypeError, RuntimeError, ValueError):  # dtypes numpy lacks (bfloat16): widen first
        arr = g.to(_core.float32).numpy()
    return bool(np.isfinite(arr).all())


def first_nonfinite_grad(named_params):
    """The name of the first parameter whose grad holds a nan or inf, or None."""
    for name, p in named_params:
        g = p.grad
        if g is not None and not _grad_is_finite(g):
            return name
    return None


def _warn(monitor, message):
    """Warns (at most monitor.max_warnings times, then once that further ones are muted)."""
    monitor._warned += 1
    if monitor._warned <= monitor.max_warnings:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    elif monitor._warned == monitor.max_warnings + 1:
        warnings.warn(f"{type(monitor).__name__}: further warnings muted; they are still recorded in "
                      "history.records", RuntimeWarning, stacklevel=3)


class GradNormMonitor:
    """Tracks each parameter's gradient L2 norm at every log step (before clipping) and flags

    - vanishing: norm < `vanishing` (default 1e-7): the layer has stopped learning;
    - exploding: norm > `exploding` (default 1e3), or norm > `ratio` (default 10) times the
      median of that parameter's last `window` (default 50) recorded norms and above all of
      them, once at least `min_history` (default 5) norms are recorded. (The "above all" part
      keeps the recurring outliers of small batches late in training, whose median is tiny,
      from being flagged again and again; a growing gradient sets a new high each time.)

    Each flag becomes a warning (at most `max_warnings`, then muted) and a record
    {"type": "grad_flag", "step", "epoch", "param", "norm", "flag": "vanishing"|"exploding",
    "reason"}; the norms go into the step record under "grad_norms" (name -> norm).
    Parameters without a gradient (unused this step) are left out. Pass an instance as
    fit(grad_norms=GradNormMonitor(...)) to change the thresholds.
    """

    def __init__(self, vanishing: float = 1e-7, exploding: float = 1e3, ratio: float = 10.0, window: int = 50,
                 min_history: int = 5, max_warnings: int = 10) -> None:
        for name, v in (("vanishing", vanishing), ("exploding", exploding), ("ratio", ratio)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"GradNormMonitor: {name} must be a positive number, got {v!r}")
        for name, v, low in (("window", window, 1), ("min_history", min_history, 0), ("max_warnings", max_warnings, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"GradNormMonitor: {name} must be an integer >= {low}, got {v!r}")
        self.vanishing = float(vanishing)
        self.exploding = float(exploding)
        self.ratio = float(ratio)
        self.window = window
        self.min_history = min_history
        self.max_warnings = max_warnings
        self._history: dict[str, deque[float]] = {}  # name -> deque of recent norms
        self._warned = 0
        self.flags = 0

    def norms(self, named_params):
        """name -> L2 norm of the gradient, for every parameter that has one."""
        out = {}
        for name, p in named_params:
            g = p.grad
            if g is not None:
                out[name] = float(_core._total_norm([g], 2.0))
        return out

    def check(self, norms, step, epoch):
        """The flag records for these norms; updates the running medians afterwards."""
        flagged = []
        for name, n in norms.items():
            if not math.isfinite(n):
                continue  # the step's own non-finite check reports these
            past = self._history.get(name)
            if n < self.vanishing:
                flagged.append((name, n, "vanishing", f"norm {n:.3g} < {self.vanishing:g}"))
            elif n > self.exploding:
                flagged.append((name, n, "exploding", f"norm {n:.3g} > {self.exploding:g}"))
            elif past is not None and len(past) >= self.min_history:
                med = statistics.median(past)
                if med > 0 and n > self.ratio * med and n > max(past):
                    flagged.append((name, n, "exploding", f"norm {n:.3g} > {self.ratio:g} x running median {med:.3g}"))
            if past is None:
                past = self._history[name] = deque(maxlen=self.window)
            past.append(n)
        records = []
        for name, n, flag, why in flagged:
            self.flags += 1
            _warn(self, f"step {step}: gradient of '{name}' is {flag} ({why})")
            records.append({"type": "grad_flag", "step": step, "epoch": epoch, "param": name, "norm": n,
                            "flag": flag, "reason": why})
        return records

    def on_after_backward(self, state):
        if not state.is_log_step:
            return
        norms = self.norms(state.named_params)
        state.step_record["grad_norms"] = norms
        state.history._add_all(self.check(norms, state.step, state.epoch))

    def state_dict(self):
        return {"history": {k: list(v) for k, v in self._history.items()}, "warned": self._warned,
                "flags": self.flags}

    def load_state_dict(self, sd):
        self._history = {k: deque(v, maxlen=self.window) for k, v in sd["history"].items()}
        self._warned = int(sd["warned"])
        self.flags = int(sd["flags"])


class LossSpikeMonitor:
    """Reports a loss spike when a step's loss exceeds `factor` (default 3) times the running
    average of the previous losses and also lies more than `sigmas` (default 6) running standard
    deviations above it, once `warmup` (default 20) steps have been seen. The average and the
    variance are exponential moving averages with weight `smoothing` (default 0.02, about the
    last 50 steps). The second test keeps the ordinary batch-to-batch noise of a small,
    nearly-fitted loss from being reported; a jump of the loss by orders of magnitude passes both.
    The loss must also exceed every one of the last `window` (default 50) step losses.
    Each spike is a warning (at most `max_warnings`, then muted) and a record {"type":
    "loss_spike", "step", "epoch", "loss", "running_avg", "running_std"}. Spiking losses still
    enter the averages, so a lasting jump in level is reported only while they catch up."""

    def __init__(self, factor: float = 3.0, sigmas: float = 6.0, warmup: int = 20, smoothing: float = 0.02,
                 window: int = 50, max_warnings: int = 10) -> None:
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 1:
            raise ValueError(f"LossSpikeMonitor: factor must be a number > 1, got {factor!r}")
        if isinstance(sigmas, bool) or not isinstance(sigmas, (int, float)) or not sigmas >= 0:
            raise ValueError(f"LossSpikeMonitor: sigmas must be a non-negative number, got {sigmas!r}")
        if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
            raise ValueError(f"LossSpikeMonitor: warmup must be a non-negative integer, got {warmup!r}")
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 < smoothing <= 1:
            raise ValueError(f"LossSpikeMonitor: smoothing must be in (0, 1], got {smoothing!r}")
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"LossSpikeMonitor: window must be a positive integer, got {window!r}")
        self.factor = float(factor)
        self.sigmas = float(sigmas)
        self.warmup = warmup
        self.smoothing = float(smoothing)
        self.max_warnings = max_warnings
        self._mean = 0.0
        self._var = 0.0
        self._recent: deque[float] = deque(maxlen=window)
        self._count = 0
        self._warned = 0
        self.spikes = 0

    @property
    def running_avg(self):
        return self._mean if self._count else None

    @property
    def running_std(self):
        return math.sqrt(self._var) if self._count else None

    def update(self, loss, step, epoch):
        """Feeds one step's loss; returns a spike record or None."""
        if not math.isfinite(loss):
            return None
        rec = None
        if self._count >= max(self.warmup, 1):
            avg, std = self._mean, math.sqrt(self._var)
            if avg > 0 and loss > self.factor * avg and loss > avg + self.sigmas * std and loss > max(self._recent):
                self.spikes += 1
                _warn(self, f"step {step}: loss spike: {loss:.4g} > {self.factor:g} x running average {avg:.4g} "
                            f"(running std {std:.3g})")
                rec = {"type": "loss_spike", "step": step, "epoch": epoch, "loss": loss, "running_avg": avg,
                       "running_std": std}
        if self._count == 0:
            self._mean = loss
        else:  # exponentially weighted mean and variance, updated together
            a, diff = self.smoothing, loss - self._mean
            self._mean += a * diff
            self._var = (1.0 - a) * (self._var + a * diff * diff)
        self._recent.append(loss)
        self._count += 1
        return rec

    def on_step_end(self, state):
        if state.skipped:
            return
        rec = self.update(state.loss, state.step, state.epoch)
        if rec is not None:
            state.history._add(rec)

    def state_dict(self):
        return {"mean": self._mean, "var": self._var, "recent": list(self._recent), "count": self._count,
                "warned": self._warned, "spikes": self.spikes}

    def load_state_dict(self, sd):
        self._mean, self._var = float(sd["mean"]), float(sd["var"])
        self._recent = deque(sd["recent"], maxlen=self._recent.maxlen)
        self._count = int(sd["count"])
        self._warned = int(sd["warned"])
        self.spikes = int(sd["spikes"])
