"""st.cuda: torch.cuda's functions that scripts call at start-up, answering for this build.
Without a CUDA backend (the CPU build): is_available() is False and device_count() is 0;
manual_seed/manual_seed_all check the seed and do nothing, as torch does when no GPU is
present (seed the CPU generator with st.manual_seed); synchronize() and empty_cache() do
nothing (no device work exists to wait for or free); current_device() and
get_device_name() raise, since there is no device to name."""
from __future__ import annotations

import operator
from typing import Any, Optional

from .. import _core
from . import amp  # noqa: F401  (st.cuda.amp.GradScaler)


def is_available() -> bool:
    """True when this build has a CUDA backend and a GPU is present."""
    return bool(_core.cuda_is_available())


def device_count() -> int:
    """GPUs usable by steepest: 0 without a CUDA backend. (A CUDA build reports one device
    when a GPU is present: the backend uses only cuda:0 so far.)"""
    return 1 if is_available() else 0


def is_initialized() -> bool:
    return is_available()


def _check_seed(seed: Any, what: str) -> int:
    try:
        return operator.index(seed)
    except TypeError:
        raise TypeError(f"st.cuda.{what}: seed must be an int, got {type(seed).__name__}") from None


def manual_seed(seed: int) -> None:
    """Seeds the current GPU's generator. No GPU here: the seed is checked and nothing else
    happens (torch does the same without a GPU). st.manual_seed seeds the CPU generator."""
    _check_seed(seed, "manual_seed")


def manual_seed_all(seed: int) -> None:
    """Seeds every GPU's generator; no GPU here, so only the seed is checked."""
    _check_seed(seed, "manual_seed_all")


def synchronize(device: Optional[Any] = None) -> None:
    """Waits for the GPU's queued work. CPU ops have finished when they return, so there is
    nothing to wait for."""


def empty_cache() -> None:
    """Frees cached GPU memory; none is held without a GPU."""


def _no_device(what: str) -> RuntimeError:
    why = "no GPU found" if _core.build_info()["cuda"] else "this build of steepest has no CUDA backend"
    return RuntimeError(f"st.cuda.{what}: no CUDA device is available ({why})")


def current_device() -> int:
    if not is_available():
        raise _no_device("current_device()")
    return 0


def get_device_name(device: Optional[Any] = None) -> str:
    raise _no_device("get_device_name()")


def is_bf16_supported() -> bool:
    return False
