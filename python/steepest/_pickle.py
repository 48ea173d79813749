"""Tensor pickling and deep copies: pickle.dumps(tensor or model), copy.deepcopy, and what
multiprocessing sends between processes. A tensor pickles as its values (a numpy array, so
protocol 5 can pass the bytes out of band without a copy), dtype, shape, requires_grad and
its Python attributes; Parameters come back as Parameters. Each tensor is rebuilt with its own
memory: two views of one storage come back as independent tensors."""
from __future__ import annotations

import copy

import numpy as np

from . import _core

Tensor = _core.Tensor
# numpy has no bfloat16: those values travel as float32 (exact) and are rounded back (exact).
_WIDE = {_core.bfloat16: _core.float32}


def _values(t: Tensor) -> np.ndarray:
    t = t.detach()
    wide = _WIDE.get(t.dtype)
    if wide is not None:
        t = t._to_dtype(wide)
    return np.ascontiguousarray(t.contiguous().numpy())


def _rebuild(cls: type, values: np.ndarray, dtype_name: str, requires_grad: bool) -> Tensor:
    if not values.flags.writeable:
        values = values.copy()
    t = _core.from_numpy(values)
    dtype = getattr(_core, dtype_name)
    if t.dtype != dtype:
        t = t._to_dtype(dtype)
    if cls is Tensor:
        return t.requires_grad_(True) if requires_grad else t
    return cls(t, requires_grad)


def _reduce_ex(self: Tensor, protocol: int) -> tuple:
    if self.grad_fn is not None:
        # as torch: a tensor inside a graph would lose its history silently
        raise RuntimeError("can't pickle a tensor that is part of an autograd graph (it has a grad_fn); "
                           "pickle t.detach() instead")
    state = dict(self.__dict__) if getattr(self, "__dict__", None) else None
    return _rebuild, (type(self), _values(self), self.dtype.name, self.requires_grad), state


def _deepcopy(self: Tensor, memo: dict) -> Tensor:
    """A new leaf with a copy of the values, requires_grad and .grad (as torch; only leaves)."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                           "deepcopy protocol; copy t.detach() instead")
    t = self.detach().clone()
    out = t if type(self) is Tensor else type(self)(t, self.requires_grad)  # type: ignore[call-arg]
    if type(self) is Tensor and self.requires_grad:
        out.requires_grad_(True)
    memo[id(self)] = out
    if self.grad is not None:
        out.grad = copy.deepcopy(self.grad, memo)
    d = getattr(self, "__dict__", None)
    if d:
        out.__dict__.update(copy.deepcopy(d, memo))
    return out


setattr(Tensor, "__reduce_ex__", _reduce_ex)  # noqa: B010  (declared in _core.pyi)
setattr(Tensor, "__deepcopy__", _deepcopy)  # noqa: B010
