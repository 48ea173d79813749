"""torch's regression, probability and metric-learning losses beyond mse/l1/cross-entropy:
smooth_l1_loss, huber_loss, binary_cross_entropy, kl_div, cosine_embedding_loss,
margin_ranking_loss and triplet_margin_loss. Compositions of differentiable ops; the
arguments (legacy size_average/reduce included) are checked here with torch's messages."""
from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from .. import _core
from ._f_distance import pairwise_distance

Tensor = _core.Tensor
_REDUCTIONS = ("none", "mean", "sum")


def _float32_under_autocast(*ts: Tensor) -> list[Tensor]:
    """The losses composed here run in float32 under autocast, as torch's (the core's policy)."""
    return [t for t in _core._autocast_args("float32", list(ts)) if t is not None]


def _check_float(fn: str, name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{fn}(): argument '{name}' must be a floating-point tensor, got {x.dtype}")
    return x


def _reduction(fn: str, reduction: str, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
               extra: tuple[str, ...] = ()) -> str:
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else size_average
        rd = True if reduce is None else reduce
        reduction = "none" if not rd else ("mean" if sa else "sum")
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(f"{fn}(): {reduction!r} is not a valid value for reduction (expected one of "
                         f"{', '.join(repr(r) for r in _REDUCTIONS + extra)})")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pair(fn: str, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """input and target broadcast against each other, warning as torch does when they differ."""
    if tuple(x.shape) == tuple(y.shape):
        return x, y
    warnings.warn(f"{fn}(): using a target size ({tuple(y.shape)}) that is different to the input size "
                  f"({tuple(x.shape)}); this will likely lead to incorrect results due to broadcasting. "
                  "Please ensure they have the same size.", UserWarning, stacklevel=3)
    try:
        shape = tuple(np.broadcast_shapes(tuple(x.shape), tuple(y.shape)))
    except (ValueError, RuntimeError):
        raise ValueError(f"{fn}(): the size of input {tuple(x.shape)} and target {tuple(y.shape)} are not "
                         "broadcastable") from None
    return x.expand(shape), y.expand(shape)


def _number(fn: str, name: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{fn}(): {name} must be a number, got {type(v).__name__}")
    return float(v)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta=0 is l1."""
    fn = "smooth_l1_loss"
    x, y = _pair(fn, *_float32_under_autocast(_check_float(fn, "input", input), _check_float(fn, "target", target)))
    red = _reduction(fn, reduction, size_average, reduce)
    b = _number(fn, "beta", beta)
    if b < 0:
        raise ValueError(f"{fn}(): beta must be >= 0, got {b}")
    a = (x - y).abs()
    if b == 0:
        return _reduce(a, red)
    return _reduce(_core.where(a < b, a * a * (0.5 / b), a - 0.5 * b), red)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Tensor] = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta); times weight when given."""
    fn = "huber_loss"
    x, y = _pair(fn, *_float32_under_autocast(_check_float(fn, "input", input), _check_float(fn, "target", target)))
    red = _reduction(fn, reduction)
    dl = _number(fn, "delta", delta)
    if dl <= 0:
        raise ValueError(f"{fn}(): delta must be > 0, got {dl}")
    a = (x - y).abs()
    loss = _core.where(a <= dl, a * a * 0.5, (a - 0.5 * dl) * dl)
    if weight is not None:
        loss = loss * _check_float(fn, "weight", weight)
    return _reduce(loss, red)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) with each log clamped at -100 (so x = 0 or 1 stays finite)."""
    fn = "binary_cross_entropy"
    x, y = _float32_under_autocast(_check_float(fn, "input", input), _check_float(fn, "target", target))
    red = _reduction(fn, reduction, size_average, reduce)
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"{fn}(): using a target size ({tuple(y.shape)}) that is different to the input size "
                         f"({tuple(x.shape)}) is not supported; please ensure they have the same size")
    if x.numel() and (bool((x < 0).any()) or bool((x > 1).any()) or bool(x.isnan().any())):
        raise ValueError(f"{fn}(): all elements of input should be between 0 and 1")
    loss = -(y * x.log().clamp(min=-100.0) + (1.0 - y) * (1.0 - x).log().clamp(min=-100.0))
    if weight is not None:
        loss = loss * _check_float(fn, "weight", weight)
    return _reduce(loss, red)


def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) pointwise (input holds log-probabilities; target too when
    log_target). reduction='batchmean' divides the sum by the batch size (input.size(0))."""
    fn = "kl_div"
    x, t = _pair(fn, *_float32_under_autocast(_check_float(fn, "input", input), _check_float(fn, "target", target)))
    red = _reduction(fn, reduction, size_average, reduce, extra=("batchmean",))
    if red == "mean":
        warnings.warn("kl_div(): reduction 'mean' divides the total loss by both the batch size and the support "
                      "size; 'batchmean' divides only by the batch size and matches the KL divergence's math. "
                      "'mean' will change to behave like 'batchmean' in a future release.", UserWarning,
                      stacklevel=2)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        pos = t > 0
        safe = _core.where(pos, t, _core.ones_like(t))
        loss = _core.where(pos, t * safe.log(), _core.zeros_like(t)) - t * x
    if red == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, red)


def _target_of(fn: str, target: object, shape: tuple[int, ...]) -> Tensor:
    if not isinstance(target, Tensor):
        raise TypeError(f"{fn}(): argument 'target' must be a Tensor, not {type(target).__name__}")
    if tuple(target.shape) != shape:
        raise ValueError(f"{fn}(): expected target of shape {shape}, got {tuple(target.shape)}")
    return target


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1; cos
    along the last dim of (N, D) or (D,) inputs."""
    fn = "cosine_embedding_loss"
    a, b = _float32_under_autocast(_check_float(fn, "input1", input1), _check_float(fn, "input2", input2))
    red = _reduction(fn, reduction, size_average, reduce)
    m = _number(fn, "margin", margin)
    if tuple(a.shape) != tuple(b.shape) or a.ndim not in (1, 2):
        raise ValueError(f"{fn}(): input1 {tuple(a.shape)} and input2 {tuple(b.shape)} must have the same 1-D or "
                         "2-D shape")
    t = _target_of(fn, target, tuple(a.shape[:-1]))
    eps = 1e-12  # torch's: keeps the denominator positive for zero vectors
    dot = (a * b).sum(dim=-1)
    cos = dot / ((((a * a).sum(dim=-1) + eps) * ((b * b).sum(dim=-1) + eps)).sqrt())
    zero = _core.zeros_like(cos)
    loss = _core.where(t == 1, 1.0 - cos, zero) + _core.where(t == -1, (cos - m).clamp(min=0.0), zero)
    return _reduce(loss, red)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    fn = "margin_ranking_loss"
    a, b = _float32_under_autocast(_check_float(fn, "input1", input1), _check_float(fn, "input2", input2))
    red = _reduction(fn, reduction, size_average, reduce)
    m = _number(fn, "margin", margin)
    if not isinstance(target, Tensor):
        raise TypeError(f"{fn}(): argument 'target' must be a Tensor, not {type(target).__name__}")
    if not (tuple(a.shape) == tuple(b.shape) == tuple(target.shape)):
        raise ValueError(f"{fn}(): input1 {tuple(a.shape)}, input2 {tuple(b.shape)} and target "
                         f"{tuple(target.shape)} must have the same shape")
    return _reduce((-target.to(a.dtype) * (a - b) + m).clamp(min=0.0), red)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Optional[bool] = None,
                        reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance; swap uses
    min(d(a, n), d(p, n)) as the negative distance."""
    fn = "triplet_margin_loss"
    a, pos, neg = (_check_float(fn, n, t) for n, t in (("anchor", anchor), ("positive", positive),
                                                        ("negative", negative)))
    a, pos, neg = _float32_under_autocast(a, pos, neg)
    red = _reduction(fn, reduction, size_average, reduce)
    m = _number(fn, "margin", margin)
    if m <= 0:
        raise ValueError(f"{fn}(): margin must be greater than 0, got {m}")
    if not (a.ndim == pos.ndim == neg.ndim) or a.ndim not in (1, 2):
        raise ValueError(f"{fn}(): anchor {tuple(a.shape)}, positive {tuple(pos.shape)} and negative "
                         f"{tuple(neg.shape)} must all be 1-D or all 2-D")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = _core.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce((d_pos - d_neg + m).clamp(min=0.0), red)

