"""st.cuda: torch.cuda's functions, answering for this build and machine.

Without a CUDA backend (the CPU build) or without a GPU: is_available() is False and
device_count() is 0; manual_seed/manual_seed_all check the seed and do nothing (as torch does
without a GPU); synchronize() and empty_cache() do nothing; the memory counters are 0; and
what must name a device (current_device, get_device_name, Stream, Event, ...) raises
RuntimeError "no CUDA device is available".

With the CUDA backend and a GPU: devices, the caching allocator's statistics, streams and
events run through steepest._core._cuda."""
from __future__ import annotations

import operator
from typing import Any, Optional

from .. import _core
from . import (
    amp,  # noqa: F401  (st.cuda.amp.GradScaler)
    tensor_methods,  # noqa: F401  (Tensor.pin_memory, is_pinned, record_stream)
)
from ._runtime import ready, rt
from .memory import (  # noqa: F401
    empty_cache,
    max_memory_allocated,
    max_memory_reserved,
    memory_allocated,
    memory_reserved,
    memory_stats,
    reset_max_memory_allocated,
    reset_peak_memory_stats,
)
from .streams import Event, Stream, current_stream, default_stream, set_stream, stream  # noqa: F401


def is_available() -> bool:
    """True when this build has a CUDA backend and a GPU is present."""
    return bool(_core.cuda_is_available())


def device_count() -> int:
    """GPUs usable by steepest: 0 without a CUDA backend or a GPU."""
    return int(rt().device_count()) if ready() else 0


def is_initialized() -> bool:
    return is_available()


def _check_seed(seed: Any, what: str) -> int:
    try:
        return operator.index(seed)
    except TypeError:
        raise TypeError(f"st.cuda.{what}: seed must be an int, got {type(seed).__name__}") from None


def manual_seed(seed: int) -> None:
    """Seeds the current GPU's generator. Random kernels on the GPU are not part of this
    build yet, so only the seed is checked (st.manual_seed seeds the CPU generator)."""
    _check_seed(seed, "manual_seed")


def manual_seed_all(seed: int) -> None:
    """Seeds every GPU's generator; see manual_seed."""
    _check_seed(seed, "manual_seed_all")


def _no_device(what: str) -> RuntimeError:
    why = "no GPU found" if _core.build_info()["cuda"] else "this build of steepest has no CUDA backend"
    return RuntimeError(f"st.cuda.{what}: no CUDA device is available ({why})")


def _index(device: Any, what: str) -> int:
    """The device index of an int, 'cuda:i', st.device or None (the current device)."""
    if not ready():
        raise _no_device(what)
    if device is None:
        return int(rt().current_device())
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = device if isinstance(device, _core.device) else _core.device(str(device))
    if d.type != "cuda":
        raise ValueError(f"st.cuda.{what}: expected a CUDA device, got {d}")
    return int(rt().current_device()) if d.index is None else int(d.index)


def synchronize(device: Optional[Any] = None) -> None:
    """Waits for all work queued on the GPU. Without one there is nothing to wait for."""
    if ready():
        rt().synchronize(_index(device, "synchronize()"))


def current_device() -> int:
    if not ready():
        raise _no_device("current_device()")
    return int(rt().current_device())


def set_device(device: Any) -> None:
    """Makes `device` the calling thread's current GPU."""
    rt().set_device(_index(device, "set_device()"))


def get_device_name(device: Optional[Any] = None) -> str:
    return str(rt().device_name(_index(device, "get_device_name()")))


def get_device_capability(device: Optional[Any] = None) -> tuple[int, int]:
    major, minor = rt().device_capability(_index(device, "get_device_capability()"))
    return int(major), int(minor)


def is_bf16_supported() -> bool:
    """bfloat16 math runs on GPUs of compute capability 8.0 and newer."""
    return ready() and get_device_capability()[0] >= 8
