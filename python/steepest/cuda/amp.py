"""st.cuda.amp: torch.cuda.amp's older spellings: GradScaler (the same class as st.amp's),
autocast (st.autocast("cuda", ...); without a GPU it warns and stays off, as torch's) and
custom_fwd/custom_bwd for CUDA."""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

from .. import _core
from ..amp import GradScaler  # noqa: F401
from ..amp import autocast as _autocast
from ..amp import autocast_mode as _mode

__all__ = ["GradScaler", "autocast", "custom_fwd", "custom_bwd"]


class autocast(_autocast):
    """autocast("cuda", dtype, enabled, cache_enabled) with torch.cuda.amp's argument order."""

    def __init__(self, enabled: bool = True, dtype: Any = _core.float16, cache_enabled: bool = True) -> None:
        warnings.warn("`steepest.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`steepest.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


def custom_fwd(fwd: Optional[Callable[..., Any]] = None, *, cast_inputs: Optional[Any] = None) -> Any:
    """st.amp.custom_fwd(device_type="cuda")."""
    return _mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Optional[Callable[..., Any]] = None) -> Any:
    """st.amp.custom_bwd(device_type="cuda")."""
    return _mode.custom_bwd(bwd, device_type="cuda")
