"""torch.softmax / torch.log_softmax and Tensor.softmax / Tensor.log_softmax: the same fused
C++ ops as nn.functional's, with torch's top-level signatures (dim is required)."""
from __future__ import annotations

from typing import Optional

from . import _core
from .nn import functional as F

Tensor = _core.Tensor


def _need_dim(fn: str, dim: object) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{fn}(): argument 'dim' must be an int, got {type(dim).__name__}")
    return dim


def softmax(input: Tensor, dim: int, dtype: Optional[_core.dtype] = None) -> Tensor:
    """exp(input) / sum(exp(input)) along dim (computed in dtype when given)."""
    return F.softmax(input, _need_dim("softmax", dim), dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype: Optional[_core.dtype] = None) -> Tensor:
    """input - logsumexp(input) along dim (computed in dtype when given)."""
    return F.log_softmax(input, _need_dim("log_softmax", dim), dtype=dtype)


# Attached with setattr: _core.pyi declares them on Tensor for type checkers.
for _name, _fn in {"softmax": softmax, "log_softmax": log_softmax}.items():
    setattr(Tensor, _name, _fn)
