"""st.train.lr_find: the learning-rate range test. Train with a learning rate growing
exponentially from start_lr to end_lr, one batch per rate, watch the smoothed loss, stop when
it diverges, and suggest the rate where it falls fastest. The model, optimizer and random
state are put back afterwards, so the test leaves no trace on a following fit()."""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Callable, Optional

import numpy as np

from .. import _core
from .._typing import PathLike
from ..nn import functional as F
from ._batch import check_iterable, forward, loss_value, split_batch
from .checkpoint import loader_generator

__all__ = ["lr_find", "LRFinderResult"]


class LRFinderResult:
    """lrs: the rates tried; losses: the raw loss at each; smoothed: their bias-corrected
    exponential moving average; suggestion: the suggested rate (None when the curve is too short
    to judge); diverged: whether the sweep stopped at divergence before num_iter."""

    def __init__(self, lrs: list[float], losses: list[float], smoothed: list[float], suggestion: Optional[float],
                 diverged: bool) -> None:
        self.lrs = lrs
        self.losses = losses
        self.smoothed = smoothed
        self.suggestion = suggestion
        self.diverged = diverged

    def plot(self, path: PathLike) -> PathLike:
        """The smoothed loss against the rate (log scale) with the suggestion marked, as a PNG."""
        from .plots import plot_lr_find
        return plot_lr_find(self, path)

    def __repr__(self):
        s = "None" if self.suggestion is None else f"{self.suggestion:.3g}"
        return f"LRFinderResult(points={len(self.lrs)}, suggestion={s}, diverged={self.diverged})"


def suggest_lr(lrs: Sequence[float], smoothed: Sequence[float]) -> Optional[float]:
    """The rule: among the points up to the minimum of the smoothed loss (what comes after it
    is the climb into divergence), the rate where the smoothed loss falls fastest per unit of
    log(lr) — the most negative slope d smoothed / d log10(lr), by central differences.
    None when fewer than 3 points precede the minimum."""
    s = np.asarray(smoothed, dtype=np.float64)
    x = np.log10(np.asarray(lrs, dtype=np.float64))
    if len(s) < 3:
        return None
    end = int(np.argmin(s)) + 1
    if end < 3:
        return None
    slope = np.gradient(s[:end], x[:end])
    return float(lrs[int(np.argmin(slope))])


def _number(name, value, positive=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or \
            (positive and not float(value) > 0):
        raise ValueError(f"lr_find: {name} must be a positive finite number, got {value!r}")
    return float(value)


def _snapshot_optimizer(optimizer):
    sd = optimizer.state_dict()
    state = {i: {k: (v.clone() if isinstance(v, _core.Tensor) else v) for k, v in s.items()}
             for i, s in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}  # load_state_dict deep-copies the groups


def lr_find(model: Any, optimizer: Any, train_data: Iterable[Any], loss_fn: Callable[..., Any] = F.cross_entropy,
            start_lr: float = 1e-7, end_lr: float = 10, num_iter: int = 100, smooth: float = 0.05,
            diverge_factor: float = 4.0) -> LRFinderResult:
    """Runs the learning-rate range test and returns an LRFinderResult.

    Step i (0-based) trains on the next batch (cycling through train_data) with every param
    group's lr set to start_lr * (end_lr / start_lr) ** (i / (num_iter - 1)). The loss is smoothed
    by an exponential moving average giving weight `smooth` to the newest loss (bias-corrected;
    smooth=1 means no smoothing). The sweep stops when the loss is non-finite or the smoothed loss
    exceeds diverge_factor x its lowest value so far. Afterwards the model's parameters and
    buffers, the optimizer (state and hyperparameters), the default RNG and the DataLoader's
    generator are restored. See suggest_lr for the suggestion rule. The moving average lags the
    raw losses by about (1 - smooth) / smooth steps of the sweep, so the steepest descent of the
    smoothed curve, and the suggestion, sit at a higher rate than the raw curve's (up to about 1.5
    decades higher with the defaults): read it as the top of the useful range, and plot the
    curve. (A lag-free smoother is no cure: run backward it drags the divergent tail's huge
    losses into the descent.)
    """
    if loss_fn is None:
        loss_fn = F.cross_entropy
    if not callable(model):
        raise TypeError(f"lr_find: model must be callable (an st.nn.Module), got {type(model).__name__}")
    if not hasattr(optimizer, "param_groups"):
        raise TypeError(f"lr_find: optimizer must be an st.optim optimizer, got {type(optimizer).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"lr_find: loss_fn must be callable, got {type(loss_fn).__name__}")
    check_iterable(train_data, "train_data", "lr_find")
    start_lr, end_lr = _number("start_lr", start_lr), _number("end_lr", end_lr)
    if not end_lr > start_lr:
        raise ValueError(f"lr_find: end_lr ({end_lr:g}) must be greater than start_lr ({start_lr:g})")
    if isinstance(num_iter, bool) or not isinstance(num_iter, numbers.Integral) or num_iter < 2:
        raise ValueError(f"lr_find: num_iter must be an integer >= 2, got {num_iter!r}")
    smooth = _number("smooth", smooth)
    if smooth > 1:
        raise ValueError(f"lr_find: smooth must be in (0, 1], got {smooth!r}")
    diverge_factor = _number("diverge_factor", diverge_factor)
    if not diverge_factor > 1:
        raise ValueError(f"lr_find: diverge_factor must be > 1, got {diverge_factor!r}")

    saved_model = {k: v.clone() for k, v in model.state_dict().items()} if hasattr(model, "state_dict") else None
    saved_opt = _snapshot_optimizer(optimizer)
    saved_rng = _core.get_rng_state()
    gen = loader_generator(train_data)
    saved_gen = gen.get_state() if gen is not None else None
    was_training = getattr(model, "training", None)
    gamma = (end_lr / start_lr) ** (1.0 / (num_iter - 1))
    lrs, losses, smoothed = [], [], []
    avg, best, diverged = 0.0, math.inf, False
    try:
        if hasattr(model, "train"):
            model.train()
        it = iter(train_data)
        for i in range(int(num_iter)):
            lr = start_lr * gamma ** i
            for group in optimizer.param_groups:
                group["lr"] = lr
            try:
                batch = next(it)
            except StopIteration:
                it = iter(train_data)
                try:
                    batch = next(it)
                except StopIteration:
                    raise ValueError("lr_find: train_data yielded no batches") from None
            inputs, targets = split_batch(batch, "lr_find")
            optimizer.zero_grad()
            loss = loss_fn(forward(model, inputs), targets)
            value = loss_value(loss, "lr_find")
            if not math.isfinite(value):
                diverged = True
                break
            loss.backward()
            optimizer.step()
            avg = (1.0 - smooth) * avg + smooth * value
            s = avg / (1.0 - (1.0 - smooth) ** (i + 1))
            lrs.append(lr)
            losses.append(value)
            smoothed.append(s)
            best = min(best, s)
            if s > diverge_factor * best:
                diverged = True
                break
    finally:
        if saved_model is not None:
            model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        optimizer.zero_grad()
        _core.set_rng_state(saved_rng)
        if gen is not None:
            gen.set_state(saved_gen)
        if was_training is False and hasattr(model, "eval"):
            model.eval()
    suggestion = suggest_lr(lrs, smoothed)
    if suggestion is None:
        low = int(np.argmin(smoothed)) + 1 if smoothed else 0
        warnings.warn(f"lr_find: no suggestion: the smoothed loss was lowest at point {low} of {len(lrs)}, too "
                      "early to measure its descent (try more num_iter or a smaller start_lr)", RuntimeWarning,
                      stacklevel=2)
    return LRFinderResult(lrs, losses, smoothed, suggestion, diverged)
