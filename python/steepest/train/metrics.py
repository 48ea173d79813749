"""Evaluation for st.train: evaluate() (mean loss and metrics over a data set, in eval mode
without gradients) and the accuracy metric."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable, Optional

import numpy as np

from .. import _core
from ..autograd import no_grad
from ..nn import functional as F
from ._batch import batch_size, check_iterable, forward, loss_value, split_batch

__all__ = ["evaluate", "accuracy"]


def _numpy(t):
    t = t.detach()
    if not t.is_floating_point() or t.dtype in (_core.float32, _core.float64):
        return t.numpy()
    return t.to(_core.float32).numpy()


def accuracy(outputs: _core.Tensor, targets: _core.Tensor) -> float:
    """The fraction of samples whose predicted class is the target class.

    outputs: (N, C) scores (logits or probabilities) -> predicted class = argmax over C;
    (N,) or (N, 1) scores of a binary model -> predicted 1 where the score > 0 (a logit).
    targets: class indices (N,), or (N, C) one-hot / class probabilities (argmax taken)."""
    o, t = _numpy(outputs), _numpy(targets)
    if o.ndim == 2 and o.shape[1] > 1:
        pred = o.argmax(axis=1)
    elif o.ndim == 1 or (o.ndim == 2 and o.shape[1] == 1):
        pred = (o.reshape(-1) > 0).astype(np.int64)
    else:
        raise ValueError(f"accuracy: outputs must have shape (N, C), (N,) or (N, 1), got {list(o.shape)}")
    if t.ndim == 2 and t.shape == o.shape and o.shape[1] > 1:
        t = t.argmax(axis=1)
    t = t.reshape(-1)
    if t.shape[0] != pred.shape[0]:
        raise ValueError(f"accuracy: {pred.shape[0]} predictions but {t.shape[0]} targets")
    if pred.shape[0] == 0:
        return float("nan")
    return float((pred == t.astype(np.int64)).mean())


def evaluate(model: Any, data: Iterable[Any], loss_fn: Callable[..., Any] = F.cross_entropy,
             metrics: Optional[dict[str, Callable[..., Any]]] = None) -> dict[str, float]:
    """Mean loss and metrics of `model` over every batch of `data`, without gradients and in
    eval mode (the model's mode is restored afterwards).

    Returns {"loss": ..., name: ... for each metric}: sample-weighted means over the batches
    (exact for mean losses and for accuracy; a metric that isn't a per-sample mean, such as
    F1, is approximated by the mean of its per-batch values). loss_fn defaults to
    cross_entropy; metrics is a dict name -> fn(outputs, targets) -> float."""
    if loss_fn is None:
        loss_fn = F.cross_entropy
    if not callable(loss_fn):
        raise TypeError(f"evaluate: loss_fn must be callable, got {type(loss_fn).__name__}")
    metrics = _check_metrics(metrics, "evaluate")
    check_iterable(data, "data", "evaluate")
    was_training = getattr(model, "training", None)
    if hasattr(model, "eval"):
        model.eval()
    totals = {"loss": 0.0, **{k: 0.0 for k in metrics}}
    n = 0
    try:
        with no_grad():
            for batch in data:
                inputs, targets = split_batch(batch, "evaluate")
                out = forward(model, inputs)
                b = batch_size(inputs)
                totals["loss"] += loss_value(loss_fn(out, targets), "evaluate") * b
                for name, fn in metrics.items():
                    totals[name] += float(fn(out, targets)) * b
                n += b
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if n == 0:
        raise ValueError("evaluate: data yielded no batches")
    return {k: v / n for k, v in totals.items()}


def _check_metrics(metrics, who):
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise TypeError(f"{who}: metrics must be a dict name -> fn(outputs, targets), got {type(metrics).__name__}")
    for k, fn in metrics.items():
        if not isinstance(k, str) or not callable(fn):
            raise TypeError(f"{who}: metrics must map names (str) to callables; bad entry {k!r}: {fn!r}")
        if k == "loss":
            raise ValueError(f"{who}: metric name 'loss' is reserved for the loss")
    return dict(metrics)
