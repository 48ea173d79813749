"""st.cuda's memory functions over the caching allocator's counters. Without a GPU the
counters are 0 and empty_cache() does nothing."""
from __future__ import annotations

from typing import Any, Optional

from ._runtime import ready, rt


def _stats(device: Optional[Any]) -> dict[str, int]:
    if not ready():
        return {}
    from . import _index
    return dict(rt().memory_stats(_index(device, "memory_stats()")))


def memory_allocated(device: Optional[Any] = None) -> int:
    """Bytes in blocks held by live tensors (each request rounded up to 512 B)."""
    return _stats(device).get("allocated", 0)


def max_memory_allocated(device: Optional[Any] = None) -> int:
    """The peak of memory_allocated since the start or reset_peak_memory_stats()."""
    return _stats(device).get("peak_allocated", 0)


def memory_reserved(device: Optional[Any] = None) -> int:
    """Bytes taken from the GPU with cudaMalloc: live blocks plus the cache."""
    return _stats(device).get("reserved", 0)


def max_memory_reserved(device: Optional[Any] = None) -> int:
    return _stats(device).get("peak_reserved", 0)


def reset_peak_memory_stats(device: Optional[Any] = None) -> None:
    """Sets the peaks to the current values."""
    if ready():
        from . import _index
        rt().reset_peak_memory_stats(_index(device, "reset_peak_memory_stats()"))


def reset_max_memory_allocated(device: Optional[Any] = None) -> None:
    reset_peak_memory_stats(device)


def empty_cache() -> None:
    """Gives every cached block no tensor uses back to the GPU (cudaFree)."""
    if ready():
        rt().empty_cache()


def memory_stats(device: Optional[Any] = None) -> dict[str, int]:
    """The allocator's counters under torch.cuda.memory_stats' main keys."""
    s = _stats(device)
    if not s:
        return {}
    return {
        "allocated_bytes.all.current": s["allocated"],
        "allocated_bytes.all.peak": s["peak_allocated"],
        "requested_bytes.all.current": s["requested"],
        "reserved_bytes.all.current": s["reserved"],
        "reserved_bytes.all.peak": s["peak_reserved"],
        "active_bytes.all.current": s["allocated"],
        "allocation.all.current": s["num_blocks"],
        "segment.all.current": s["num_segments"],
        "segment.all.allocated": s["num_raw_allocs"],
        "segment.all.freed": s["num_raw_frees"],
        "num_alloc_retries": s["num_alloc_retries"],
        "num_ooms": s["num_ooms"],
    }
