"""torch.clone(t), a function form of Tensor.clone(memory_format=) (the *_like functions with
torch's keywords are bindings: python/bindings/bind_creation.cpp)."""
from __future__ import annotations

from typing import Optional

from . import _core
from . import _memory_format as _mf


def clone(input: _core.Tensor, *, memory_format: Optional[_mf.memory_format] = None) -> _core.Tensor:
    """torch.clone: a copy that autograd sees (its gradient flows back to input)."""
    _mf.check(memory_format, "clone")
    return input.clone()
