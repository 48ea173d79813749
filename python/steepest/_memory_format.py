"""Memory formats (torch.contiguous_format, preserve_format, channels_last): accepted where
torch takes `memory_format=`. steepest tensors are row-major; channels_last is refused rather
than silently ignored, since code asking for it expects its strides."""
from __future__ import annotations

from typing import Optional


class memory_format:  # noqa: N801  (torch's name)
    """One memory layout; compare with `is`, as torch's."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"steepest.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def check(fmt: Optional[memory_format], what: str) -> None:
    """Accepts None, contiguous_format and preserve_format; raises for the others."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return
    if isinstance(fmt, memory_format):
        raise NotImplementedError(f"{what}: memory_format={fmt} is not supported (steepest tensors are row-major)")
    raise TypeError(f"{what}: memory_format must be a st.memory_format, got {type(fmt).__name__}")
