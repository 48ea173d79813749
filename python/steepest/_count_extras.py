"""unique, unique_consecutive and masked_scatter: glue over the C++ sort, bincount and
indexing ops (no per-element math here)."""
from __future__ import annotations

from typing import Any, Optional, Union

from . import _core

Tensor = _core.Tensor
Unique = Union[Tensor, tuple]


def _need_tensor(x: Any, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected a steepest Tensor, got {type(x).__module__}.{type(x).__name__}")
    return x


def _groups(values: Tensor, start: Tensor, shape: tuple, order: Optional[Tensor],
            return_inverse: bool, return_counts: bool) -> Unique:
    """The first element of each run of `values` (start marks run starts), with the inverse
    mapping back to input positions (through `order` when values were sorted) and run sizes."""
    group = start._to_dtype(_core.int64).cumsum(0) - 1
    out: list = [values[start]]
    if return_inverse:
        if order is None:
            inverse = group
        else:
            inverse = _core.empty(group.shape, dtype=_core.int64)
            inverse[order] = group
        out.append(inverse.reshape(shape))
    if return_counts:
        out.append(_core.bincount(group))
    return out[0] if len(out) == 1 else tuple(out)


def _runs(values: Tensor) -> Tensor:
    n = values.numel()
    start = _core.ones(n, dtype=_core.bool)
    if n > 1:
        start[1:] = values[1:] != values[:-1]
    return start


def _empty(input: Tensor, return_inverse: bool, return_counts: bool) -> Unique:
    out: list = [_core.empty(0, dtype=input.dtype)]
    if return_inverse:
        out.append(_core.empty(tuple(input.shape), dtype=_core.int64))
    if return_counts:
        out.append(_core.empty(0, dtype=_core.int64))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: Optional[int] = None) -> Unique:
    """The distinct elements of input, ascending (always sorted, as torch on the CPU), with
    optionally the index of each input element's value in them (inverse, input's shape) and
    how often each occurs (counts). dim=d: the distinct slices along d in lexicographic order,
    the inverse and counts then per slice. Not differentiable."""
    _need_tensor(input, "unique")
    if dim is not None:
        return _unique_dim(input, dim, return_inverse, return_counts)
    shape = tuple(input.shape)
    flat = input.detach().reshape(-1)
    if flat.numel() == 0:
        return _empty(input, return_inverse, return_counts)
    values, order = _core.sort(flat)
    return _groups(values, _runs(values), shape, order, return_inverse, return_counts)


def _unique_dim(input: Tensor, dim: int, return_inverse: bool, return_counts: bool,
                consecutive: bool = False) -> Unique:
    """unique(dim=): the slices along dim as rows of a (n, m) matrix, sorted lexicographically
    by one stable sort per column from the last to the first (consecutive: kept in order),
    then grouped as unique's."""
    what = "unique_consecutive" if consecutive else "unique"
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{what}(): argument 'dim' must be an int, got {type(dim).__name__}")
    shape = tuple(input.shape)
    nd = max(len(shape), 1)
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    x = input.detach()
    if x.ndim == 0:
        x = x.reshape(1)
    dim %= nd
    n = x.shape[dim]
    if n == 0:
        empty = _core.empty(0, dtype=_core.int64)
        out: list = [x.clone()] + [empty] * (int(return_inverse) + int(return_counts))
        return out[0] if len(out) == 1 else tuple(out)
    if x.numel() == 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    moved = x.movedim(dim, 0)
    rows = moved.reshape(n, -1)
    order: Optional[Tensor] = None
    sorted_rows = rows
    if not consecutive:
        order = _core.arange(n)
        for j in range(rows.shape[1] - 1, -1, -1):
            order = order[_core.sort(rows[order, j], stable=True)[1]]
        sorted_rows = rows[order]
    start = _core.ones(n, dtype=_core.bool)
    if n > 1:
        start[1:] = (sorted_rows[1:] != sorted_rows[:-1]).any(dim=1)
    res = _groups(sorted_rows, start, (n,), order, return_inverse, return_counts)
    first = res[0] if isinstance(res, tuple) else res
    values = first.reshape((first.shape[0],) + tuple(moved.shape[1:])).movedim(0, dim)
    return (values,) + res[1:] if isinstance(res, tuple) else values


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: Optional[int] = None) -> Unique:
    """input with each run of equal consecutive elements reduced to one (flattened), with the
    optional inverse and run lengths as unique's. dim=d: runs of equal slices along d."""
    _need_tensor(input, "unique_consecutive")
    if dim is not None:
        return _unique_dim(input, dim, return_inverse, return_counts, consecutive=True)
    shape = tuple(input.shape)
    flat = input.detach().reshape(-1)
    if flat.numel() == 0:
        return _empty(input, return_inverse, return_counts)
    return _groups(flat, _runs(flat), shape, None, return_inverse, return_counts)


def _masked_source(input: Tensor, mask: Tensor, source: Tensor, what: str) -> tuple:
    _need_tensor(input, what)
    if not isinstance(mask, Tensor) or mask.dtype != _core.bool:
        raise TypeError(f"{what}: mask must be a bool tensor, got "
                        f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
    _need_tensor(source, what)
    if source.dtype != input.dtype:
        raise TypeError(f"{what}: expected source and self to have the same dtype, "
                        f"got {source.dtype} and {input.dtype}")
    m = mask.expand(tuple(input.shape)) if tuple(mask.shape) != tuple(input.shape) else mask
    k = int(m.sum().item())
    if source.numel() < k:
        raise ValueError(f"{what}: expected source to have at least as many elements as ones in mask "
                         f"({source.numel()} < {k})")
    return m, source.reshape(-1)[:k]


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of input with the positions where mask (broadcast to input) is True filled, in
    row-major order, from the first elements of source (differentiable in both)."""
    m, src = _masked_source(input, mask, source, "masked_scatter")
    out = input.clone()
    out[m] = src
    return out


def masked_scatter_(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    m, src = _masked_source(input, mask, source, "masked_scatter_")
    input[m] = src
    return input


for _name, _fn in {"unique": unique, "unique_consecutive": unique_consecutive, "masked_scatter": masked_scatter,
                   "masked_scatter_": masked_scatter_}.items():
    setattr(Tensor, _name, _fn)
