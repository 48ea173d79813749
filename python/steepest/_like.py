"""Tensors made from another as torch's functions make them: zeros_like, ones_like, empty_like
and full_like with torch's keywords (dtype, layout, device, requires_grad, memory_format,
pin_memory), which torch's own optimizers and most Python optimizers pass
(`torch.zeros_like(p, memory_format=torch.preserve_format)`), and torch.clone(t). The C++
creation ops do the work."""
from __future__ import annotations

from typing import Any, Optional, Union

from . import _core
from . import _memory_format as _mf

_Number = Union[int, float, bool]


def _finish(out: _core.Tensor, what: str, layout: Any, device: Any, requires_grad: bool,
            memory_format: Optional[_mf.memory_format]) -> _core.Tensor:
    _mf.check(memory_format, what)
    if layout is not None and str(layout) not in ("torch.strided", "steepest.strided", "strided"):
        raise NotImplementedError(f"{what}: layout={layout} is not supported (steepest tensors are strided)")
    if device is not None:
        out = out.to(device)
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros_like(input: _core.Tensor, *, dtype: Optional[_core.dtype] = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Optional[_mf.memory_format] = None,
               pin_memory: bool = False) -> _core.Tensor:
    return _finish(_core.zeros_like(input, dtype=dtype), "zeros_like", layout, device, requires_grad, memory_format)


def ones_like(input: _core.Tensor, *, dtype: Optional[_core.dtype] = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Optional[_mf.memory_format] = None,
              pin_memory: bool = False) -> _core.Tensor:
    return _finish(_core.ones_like(input, dtype=dtype), "ones_like", layout, device, requires_grad, memory_format)


def empty_like(input: _core.Tensor, *, dtype: Optional[_core.dtype] = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Optional[_mf.memory_format] = None,
               pin_memory: bool = False) -> _core.Tensor:
    return _finish(_core.empty_like(input, dtype=dtype), "empty_like", layout, device, requires_grad, memory_format)


def full_like(input: _core.Tensor, fill_value: _Number, *, dtype: Optional[_core.dtype] = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False, memory_format: Optional[_mf.memory_format] = None,
              pin_memory: bool = False) -> _core.Tensor:
    return _finish(_core.full_like(input, fill_value, dtype=dtype), "full_like", layout, device, requires_grad,
                   memory_format)


def clone(input: _core.Tensor, *, memory_format: Optional[_mf.memory_format] = None) -> _core.Tensor:
    """torch.clone: a copy that autograd sees (its gradient flows back to input)."""
    _mf.check(memory_format, "clone")
    return input.clone()
