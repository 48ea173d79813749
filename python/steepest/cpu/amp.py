"""st.cpu.amp: torch.cpu.amp's older spelling of st.autocast("cpu", ...) (deprecated in torch,
which warns the same way)."""
from __future__ import annotations

import warnings
from typing import Any

from .. import _core
from ..amp import GradScaler  # noqa: F401
from ..amp import autocast as _autocast

__all__ = ["autocast", "GradScaler"]


class autocast(_autocast):
    """autocast("cpu", dtype, enabled, cache_enabled) with torch.cpu.amp's argument order."""

    def __init__(self, enabled: bool = True, dtype: Any = _core.bfloat16, cache_enabled: bool = True) -> None:
        warnings.warn("`steepest.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`steepest.amp.autocast('cpu', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
