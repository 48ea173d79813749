"""Similarity and distance functions (normalize, cosine_similarity, pairwise_distance) and
the bilinear layer's math, composed from differentiable ops (norms, matmul, broadcasting)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _core

Tensor = _core.Tensor


def _check_float(fn: str, name: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{fn}(): argument '{name}' must be a floating-point tensor, got {x.dtype}")
    return x


def _wrap_dim(fn: str, dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{fn}(): dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(f"{fn}(): dim {dim} is out of range for a tensor with {ndim} dimensions "
                         f"(expected to be in range of [{-n}, {n - 1}])")
    return dim % n


def _pnorm(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    """The p-norm along dim; its gradient at a zero vector is 0 (a subgradient), as torch's."""
    if p == 2:
        sq = (x * x).sum(dim=dim, keepdim=keepdim)
        safe = _core.where(sq > 0, sq, _core.ones_like(sq))
        return _core.where(sq > 0, safe.sqrt(), _core.zeros_like(sq))
    if p == float("inf"):
        return x.abs().amax(dim=dim, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(dim=dim, keepdim=keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim=dim, keepdim=keepdim)
    a = x.abs()
    s = _core.where(a > 0, a, _core.ones_like(a)).pow(p) * (a > 0).to(x.dtype)
    tot = s.sum(dim=dim, keepdim=keepdim)
    safe = _core.where(tot > 0, tot, _core.ones_like(tot))
    return _core.where(tot > 0, safe.pow(1.0 / p), _core.zeros_like(tot))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Optional[Tensor] = None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    x = _check_float("normalize", "input", input)
    if out is not None:
        raise NotImplementedError("normalize(): the out= argument is not supported")
    d = _wrap_dim("normalize", dim, x.ndim)
    if x.ndim == 0:
        return x / _pnorm(x.reshape((1,)), float(p), 0, False).clamp(min=eps)
    return x / _pnorm(x, float(p), d, True).clamp(min=eps)


def _broadcast(fn: str, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    sa, sb = tuple(a.shape), tuple(b.shape)
    if sa == sb:
        return a, b
    try:
        shape = tuple(np.broadcast_shapes(sa, sb))
    except ValueError:
        raise ValueError(f"{fn}(): the shapes of x1 {sa} and x2 {sb} are not broadcastable") from None
    return a.expand(shape), b.expand(shape)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim, broadcasting x1 and x2."""
    fn = "cosine_similarity"
    a, b = _broadcast(fn, _check_float(fn, "x1", x1), _check_float(fn, "x2", x2))
    d = _wrap_dim(fn, dim, a.ndim)
    na = _pnorm(a, 2.0, d, True).clamp(min=eps)
    nb = _pnorm(b, 2.0, d, True).clamp(min=eps)
    return ((a / na) * (b / nb)).sum(dim=d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim."""
    fn = "pairwise_distance"
    a, b = _broadcast(fn, _check_float(fn, "x1", x1), _check_float(fn, "x2", x2))
    diff = a - b + eps
    if diff.ndim == 0:
        return _pnorm(diff.reshape((1,)), float(p), 0, keepdim)
    return _pnorm(diff, float(p), diff.ndim - 1, keepdim)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """y[..., k] = input1[..., :] @ weight[k] @ input2[..., :] + bias[k]; weight (out, in1, in2)."""
    fn = "bilinear"
    x1, x2 = _check_float(fn, "input1", input1), _check_float(fn, "input2", input2)
    w = _check_float(fn, "weight", weight)
    if w.ndim != 3:
        raise ValueError(f"{fn}(): weight must be 3-D (out, in1, in2), got shape {tuple(w.shape)}")
    out_f, in1, in2 = tuple(w.shape)
    if x1.ndim < 1 or x1.shape[-1] != in1 or x2.ndim < 1 or x2.shape[-1] != in2:
        raise ValueError(f"{fn}(): input1 {tuple(x1.shape)} and input2 {tuple(x2.shape)} must end in the weight's "
                         f"in1_features {in1} and in2_features {in2}")
    if tuple(x1.shape[:-1]) != tuple(x2.shape[:-1]):
        raise ValueError(f"{fn}(): input1 {tuple(x1.shape)} and input2 {tuple(x2.shape)} must have the same "
                         "batch dims")
    if bias is not None:
        _check_float(fn, "bias", bias)
        if tuple(bias.shape) != (out_f,):
            raise ValueError(f"{fn}(): bias must have shape ({out_f},), got {tuple(bias.shape)}")
    lead = tuple(x1.shape[:-1])
    a = x1.reshape((-1, in1))
    b = x2.reshape((-1, in2))
    # (B, in1) @ (in1, out * in2) -> (B, out, in2), then contract in2 against input2.
    t = _core.matmul(a, w.permute((1, 0, 2)).reshape((in1, out_f * in2))).reshape((-1, out_f, in2))
    y = (t * b.unsqueeze(1)).sum(dim=2)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))
