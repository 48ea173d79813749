"""Tensor methods that belong to the CUDA runtime: pin_memory, is_pinned, record_stream."""
from __future__ import annotations

from typing import Any

from .. import _core
from ._runtime import ready, rt


def _pin_memory(self: _core.Tensor, device: Any = None) -> _core.Tensor:
    """A copy in page-locked host memory (so copies to the GPU can run asynchronously)."""
    if not self.device.type == "cpu":
        raise RuntimeError(f"cannot pin '{self.device}' memory: only CPU tensors can be pinned")
    out: _core.Tensor = rt().pin_memory(self)
    return out


def _is_pinned(self: _core.Tensor, device: Any = None) -> bool:
    return ready() and bool(rt().is_pinned(self))


def _record_stream(self: _core.Tensor, stream: Any) -> None:
    """Marks this tensor as used by `stream`: its memory is not reused for another tensor
    until the work queued on that stream when this tensor is freed has finished."""
    rt().record_stream(self, stream.cuda_stream)


_core.Tensor.pin_memory = _pin_memory  # type: ignore[method-assign]
_core.Tensor.is_pinned = _is_pinned  # type: ignore[method-assign]
_core.Tensor.record_stream = _record_stream  # type: ignore[method-assign]
