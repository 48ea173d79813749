"""Module.to / cpu / cuda / float / double / half / bfloat16 / type: torch's device and dtype
conversions of a whole model. Parameters keep their identity (their data is swapped, so an
optimizer built before still holds them) and their .grad is converted alongside; buffers are
replaced. Floating conversions leave integer tensors alone, as torch's."""
from __future__ import annotations

from typing import Any, Optional, TypeVar

from .. import _core
from .._devices import check_device
from .._memory_format import check as check_memory_format
from .._tensor_methods import parse_to_args
from ..autograd import no_grad

_M = TypeVar("_M", bound="ModuleCasts")


class ModuleCasts:
    """Mixed into Module: the conversion methods (they walk _parameters, _buffers, _modules)."""

    _parameters: Any
    _buffers: Any
    _modules: Any

    def _cast_tensors(self: _M, dtype: _core.dtype, floating_only: bool) -> _M:
        with no_grad():
            for mod in self._walk():
                for p in mod._parameters.values():
                    if p is None or (floating_only and not p.is_floating_point()) or p.dtype == dtype:
                        continue
                    p.data = p.detach()._to_dtype(dtype)
                    if p.grad is not None:
                        p.grad = p.grad._to_dtype(dtype)
                for name, b in list(mod._buffers.items()):
                    if b is None or (floating_only and not b.is_floating_point()) or b.dtype == dtype:
                        continue
                    mod._buffers[name] = b._to_dtype(dtype)
        return self

    def _move_tensors(self: _M, device: _core.device, non_blocking: bool = False) -> _M:
        """Every parameter (keeping its identity), its grad, and every buffer onto `device`."""
        with no_grad():
            for mod in self._walk():
                for p in mod._parameters.values():
                    if p is None:
                        continue
                    p.data = _core._to_device(p.detach(), device, non_blocking=non_blocking)
                    if p.grad is not None:
                        p.grad = _core._to_device(p.grad, device, non_blocking=non_blocking)
                for name, b in list(mod._buffers.items()):
                    if b is not None:
                        mod._buffers[name] = _core._to_device(b, device, non_blocking=non_blocking)
        return self

    def _walk(self):
        seen, stack = set(), [self]
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield m
            stack.extend(c for c in m._modules.values() if c is not None)

    def to(self: _M, *args: Any, **kwargs: Any) -> _M:
        """model.to(device), .to(dtype), .to(device, dtype), .to(tensor), or the keywords
        device=, dtype=, non_blocking=, memory_format=. dtype must be floating (integer
        parameters and buffers keep their dtype)."""
        device, dtype, _, memory_format = parse_to_args("Module.to", args, kwargs)
        d = check_device(device, "Module.to")
        check_memory_format(memory_format, "Module.to")
        if d is not None:
            self._move_tensors(d, bool(kwargs.get("non_blocking", False)))
        if dtype is not None:
            if not dtype.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
            self._cast_tensors(dtype, floating_only=True)
        return self

    def cpu(self: _M) -> _M:
        """Moves every parameter and buffer to host memory."""
        return self._move_tensors(_core.device("cpu"))

    def cuda(self: _M, device: Optional[Any] = None) -> _M:
        """Moves every parameter and buffer to cuda:<device> (the current GPU when None)."""
        d = check_device("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device),
                         "Module.cuda")
        assert d is not None
        return self._move_tensors(d)

    def float(self: _M) -> _M:
        return self._cast_tensors(_core.float32, floating_only=True)

    def double(self: _M) -> _M:
        return self._cast_tensors(_core.float64, floating_only=True)

    def half(self: _M) -> _M:
        return self._cast_tensors(_core.float16, floating_only=True)

    def bfloat16(self: _M) -> _M:
        return self._cast_tensors(_core.bfloat16, floating_only=True)

    def type(self: _M, dst_type: Any) -> _M:
        """Casts every parameter and buffer (integer ones included, as torch) to dst_type, a
        dtype or a torch type name such as 'torch.DoubleTensor'."""
        from .._tensor_methods import dtype_from_type_name
        dtype = dst_type if isinstance(dst_type, _core.dtype) else dtype_from_type_name(dst_type, "Module.type")
        return self._cast_tensors(dtype, floating_only=False)
