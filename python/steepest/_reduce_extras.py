"""Reductions torch code uses, built on the core's differentiable sum/amax/exp/log/abs/pow
(values and gradients come from those kernels): logsumexp and norm. st.linalg holds the
vector and matrix norms."""
from __future__ import annotations

import math
from typing import Any, Optional, Union

from . import _core

Tensor = _core.Tensor
Dims = Optional[Union[int, tuple, list]]


def logsumexp(input: Tensor, dim: Union[int, tuple, list], keepdim: bool = False) -> Tensor:
    """log(sum(exp(input), dim)), computed as m + log(sum(exp(input - m))) with m the
    (detached) max, so large inputs don't overflow; gradient softmax(input)."""
    if not input.is_floating_point():
        input = input._to_dtype(_core.get_default_dtype())
    m = input.detach().amax(dim, True)
    m = _core.where(m.abs() == math.inf, _core.zeros_like(m), m)  # all -inf (or inf) rows: no shift
    out = (input - m).exp().sum(dim, True).log() + m
    if not keepdim:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        for d in sorted((d % max(input.dim(), 1) for d in dims), reverse=True):
            if input.dim():
                out = out.squeeze(d)
    return out


def vector_norm(x: Tensor, ord: Union[int, float] = 2, dim: Dims = None, keepdim: bool = False, *,
                dtype: Optional[_core.dtype] = None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over dim (all elements by default); ord inf/-inf are max/min
    |x|, ord 0 counts non-zeros. Floating tensors only, as torch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"vector_norm: expected a steepest Tensor, got {type(x).__name__}")
    if dtype is not None:
        x = x._to_dtype(dtype)
    if not x.is_floating_point():
        raise TypeError(f"vector_norm: expected a floating point tensor, got {x.dtype}")
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"vector_norm: ord must be a number, got {type(ord).__name__}")
    if dim is None:
        if keepdim:
            return vector_norm(x, ord, tuple(range(x.dim())), True)
        x, dim = x.reshape(-1), 0
    if isinstance(dim, list):
        dim = tuple(dim)
    a = x.abs()
    if ord == math.inf:
        return a.amax(dim, keepdim)
    if ord == -math.inf:
        return a.amin(dim, keepdim)
    if ord == 0:
        return (x != 0)._to_dtype(x.dtype).sum(dim, keepdim)
    if ord == 1:
        return a.sum(dim, keepdim)
    if ord == 2:
        return (x * x).sum(dim, keepdim).sqrt()
    return (a ** ord).sum(dim, keepdim) ** (1.0 / ord)


def matrix_norm(A: Tensor, ord: Union[str, int, float] = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,
                dtype: Optional[_core.dtype] = None) -> Tensor:
    """The Frobenius norm ('fro'), or the max column (1) / row (inf) abs sum, of the
    matrices in dims `dim`. Spectral and nuclear norms are not implemented."""
    if A.dim() < 2:
        raise ValueError(f"matrix_norm: expected a tensor with 2 or more dimensions, got shape {tuple(A.shape)}")
    r, c = dim
    if ord == "fro":
        return vector_norm(A, 2, (r, c), keepdim, dtype=dtype)
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, ext_dim = (r, c) if ord in (1, -1) else (c, r)
        s = vector_norm(A, 1, sum_dim, True, dtype=dtype)
        out = s.amax(ext_dim, True) if ord > 0 else s.amin(ext_dim, True)
        if not keepdim:
            for d in sorted((d % A.dim() for d in (r, c)), reverse=True):
                out = out.squeeze(d)
        return out
    raise NotImplementedError(f"matrix_norm(ord={ord!r}) is not implemented (supported: 'fro', 1, -1, inf, -inf)")


def norm(input: Tensor, p: Any = "fro", dim: Dims = None, keepdim: bool = False,
         dtype: Optional[_core.dtype] = None) -> Tensor:
    """torch.norm / Tensor.norm: the p-norm of all elements or along dim ('fro' and
    None are the 2-norm; 'nuc' is not implemented)."""
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise NotImplementedError(f"norm(p={p!r}) is not implemented (supported: numbers, 'fro')")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


setattr(Tensor, "logsumexp", logsumexp)  # noqa: B010  (declared in _core.pyi)
setattr(Tensor, "norm", norm)  # noqa: B010
