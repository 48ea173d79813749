"""Layout ops torch code uses, built on the core's differentiable index_select, expand,
reshape, where and as_strided (values and gradients come from those kernels): tril/triu,
flip, roll, repeat, tile, repeat_interleave, outer, diagonal (a view, as torch's), diag,
trace, tril_indices/triu_indices."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import numpy as np

from . import _core

Tensor = _core.Tensor


def _dim(d: int, ndim: int, what: str) -> int:
    if isinstance(d, bool) or not isinstance(d, int):
        raise TypeError(f"{what}: dims must be ints, got {type(d).__name__}")
    if not -max(ndim, 1) <= d < max(ndim, 1):
        raise IndexError(f"{what}: Dimension out of range (expected to be in range of "
                         f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
    return d % max(ndim, 1)


def _ints(args: tuple, what: str) -> tuple:
    """f(2, 3) or f((2, 3)) / f([2, 3]) as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], Sequence):
        args = tuple(args[0])
    for a in args:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"{what}: expected ints, got {type(a).__name__}")
    return tuple(args)


def _triangle(input: Tensor, diagonal: int, lower: bool, what: str) -> Tensor:
    if input.dim() < 2:
        raise ValueError(f"{what}: input tensor must have at least 2 dimensions, got shape {tuple(input.shape)}")
    rows, cols = input.shape[-2], input.shape[-1]
    offset = _core.arange(cols).reshape(1, cols) - _core.arange(rows).reshape(rows, 1)  # col - row
    keep = offset <= diagonal if lower else offset >= diagonal
    return _core.where(keep, input, _core.zeros_like(input))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements with col - row <= diagonal); the rest 0."""
    return _triangle(input, diagonal, True, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements with col - row >= diagonal); the rest 0."""
    return _triangle(input, diagonal, False, "triu")


def flip(input: Tensor, *dims: Union[int, Sequence[int]]) -> Tensor:
    """input with the order of elements reversed along each of dims (a copy)."""
    ds = _ints(dims, "flip")
    nd = input.dim()
    norm = [_dim(d, nd, "flip") for d in ds]
    if len(set(norm)) != len(norm):
        raise ValueError(f"flip: dims {ds} has a dim repeated")
    out = input
    for d in norm:
        if nd == 0:
            break
        n = input.shape[d]
        out = out.index_select(d, _core.arange(n - 1, -1, -1))
    return out if norm and nd else input.clone()


def roll(input: Tensor, shifts: Union[int, Sequence[int]], dims: Optional[Union[int, Sequence[int]]] = None) -> Tensor:
    """Elements shifted by `shifts` along `dims`, wrapping around; without dims the tensor is
    rolled as if flattened, then reshaped back."""
    sh = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(sh) != 1:
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts}")
        return roll(input.flatten(), sh[0], 0).reshape(tuple(input.shape))
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(sh) != len(ds):
        raise ValueError(f"roll: shifts and dims must have the same length, got {len(sh)} and {len(ds)}")
    out = input
    for s, d in zip(sh, ds):
        d = _dim(d, input.dim(), "roll")
        n = input.shape[d]
        if n == 0:
            continue
        index = _core.arange(n) - (s % n)  # element i comes from i - shift, wrapped below
        index = _core.where(index < 0, index + n, index)
        out = out.index_select(d, index)
    return out


def repeat(input: Tensor, *sizes: Union[int, Sequence[int]]) -> Tensor:
    """input tiled sizes[i] times along each dim (sizes may have more dims than input: the
    input is then treated as having leading dims of size 1)."""
    reps = _ints(sizes, "repeat")
    if len(reps) < input.dim():
        raise ValueError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller than the "
                         f"number of tensor dims ({input.dim()})")
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeats must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - input.dim()) + tuple(input.shape)
    # (1, d0, 1, d1, ...) expanded to (r0, d0, r1, d1, ...), then merged pairwise.
    interleaved = tuple(v for d in shape for v in (1, d))
    expanded = tuple(v for r, d in zip(reps, shape) for v in (r, d))
    out = input.reshape(interleaved).expand(expanded)
    return out.reshape(tuple(r * d for r, d in zip(reps, shape)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """repeat, with dims padded by leading 1s when shorter than input's dims."""
    reps = _ints((dims,) if isinstance(dims, int) else tuple(dims), "tile")
    reps = (1,) * (input.dim() - len(reps)) + reps
    return repeat(input, reps)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    if input.dim() != 1 or vec2.dim() != 1:
        raise ValueError(f"outer: expected two 1-D tensors, got shapes {tuple(input.shape)} and {tuple(vec2.shape)}")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of dims (dim1, dim2), `offset` above (below, if negative) the
    main one; those dims are dropped and the diagonal becomes the last dim. Writes through
    the view reach input, as torch's."""
    nd = input.dim()
    if nd < 2:
        raise ValueError(f"diagonal: expected a tensor with at least 2 dimensions, got shape {tuple(input.shape)}")
    d1, d2 = _dim(dim1, nd, "diagonal"), _dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 can't be the same dim ({dim1}, {dim2})")
    shape, stride = tuple(input.shape), tuple(input.stride())
    if offset >= 0:
        length, start = max(min(shape[d1], shape[d2] - offset), 0), offset * stride[d2]
    else:
        length, start = max(min(shape[d1] + offset, shape[d2]), 0), -offset * stride[d1]
    keep = [i for i in range(nd) if i not in (d1, d2)]
    sizes = [shape[i] for i in keep] + [length]
    strides = [stride[i] for i in keep] + [stride[d1] + stride[d2]]
    return input.as_strided(sizes, strides, input.storage_offset() + (start if length else 0))


def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal."""
    if input.dim() != 2:
        raise ValueError(f"trace: expected a matrix, got shape {tuple(input.shape)}")
    return diagonal(input).sum()


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input becomes a square matrix with it on the `diagonal`-th diagonal (zeros
    elsewhere); a 2-D input gives a copy of that diagonal."""
    if input.dim() == 2:
        return input.diagonal(diagonal).clone()
    if input.dim() != 1:
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(input.shape)}")
    k, n = diagonal, input.shape[0] + abs(diagonal)
    pad = _core.zeros(abs(k), dtype=input.dtype)
    # column j of the k-th diagonal holds input[j - k] (k >= 0) or input[j] (k < 0)
    by_column = _core.cat([pad, input] if k >= 0 else [input, pad])
    offset = _core.arange(n).reshape(1, n) - _core.arange(n).reshape(n, 1)  # col - row
    return _core.where(offset == k, by_column.reshape(1, n).expand(n, n), _core.zeros((n, n), dtype=input.dtype))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Optional[_core.dtype] = None) -> Tensor:
    """The (2, N) row and column indices of a row x col matrix's lower triangle, row-major."""
    r, c = np.tril_indices(row, offset, col)
    return _core.from_numpy(np.stack([r, c]).astype(np.int64))._to_dtype(dtype or _core.int64)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Optional[_core.dtype] = None) -> Tensor:
    """The (2, N) row and column indices of a row x col matrix's upper triangle, row-major."""
    r, c = np.triu_indices(row, offset, col)
    return _core.from_numpy(np.stack([r, c]).astype(np.int64))._to_dtype(dtype or _core.int64)


def repeat_interleave(input: Tensor, repeats: Union[int, Tensor, None] = None, dim: Optional[int] = None, *,
                      output_size: Optional[int] = None) -> Tensor:
    """Each element (each slice along dim) repeated `repeats` times in place; repeats is an
    int or a 1-D tensor with one count per slice. Without dim the input is flattened first.
    repeat_interleave(counts) alone gives arange(len(counts)) repeated by counts."""
    if repeats is None:
        counts = input.numpy() if isinstance(input, Tensor) else np.asarray(input)
        return _core.from_numpy(np.repeat(np.arange(len(counts), dtype=np.int64), counts))
    if dim is None:
        input, dim = input.flatten(), 0
    d = _dim(dim, input.dim(), "repeat_interleave")
    n = input.shape[d] if input.dim() else 1
    if isinstance(repeats, Tensor) and repeats.numel() == 1:
        repeats = int(repeats.item())
    if isinstance(repeats, int):
        if repeats < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
        shape = tuple(input.shape)
        expanded = input.unsqueeze(d + 1).expand(shape[:d + 1] + (repeats,) + shape[d + 1:])
        return expanded.reshape(shape[:d] + (shape[d] * repeats,) + shape[d + 1:])
    counts = np.asarray(repeats.tolist() if isinstance(repeats, Tensor) else repeats, dtype=np.int64)
    if counts.ndim != 1 or len(counts) != n:
        raise ValueError(f"repeat_interleave: repeats must have the same size as input along dim ({n}), "
                         f"got shape {counts.shape}")
    if (counts < 0).any():
        raise ValueError("repeat_interleave: repeats must be non-negative")
    return input.index_select(d, _core.from_numpy(np.repeat(np.arange(n, dtype=np.int64), counts)))


def _flip_method(self: Tensor, *dims: Union[int, Sequence[int]]) -> Tensor:
    return flip(self, *dims)


for _name, _fn in {"tril": tril, "triu": triu, "roll": roll, "repeat": repeat, "tile": tile, "outer": outer,
                   "flip": _flip_method, "ger": outer, "diagonal": diagonal, "diag": diag, "trace": trace,
                   "repeat_interleave": repeat_interleave}.items():
    setattr(Tensor, _name, _fn)
Tensor.tril_ = lambda self, diagonal=0: self.copy_(tril(self, diagonal))  # type: ignore[method-assign]
Tensor.triu_ = lambda self, diagonal=0: self.copy_(triu(self, diagonal))  # type: ignore[method-assign]
