"""st.accelerator: torch.accelerator's device-agnostic queries, answering for this build
(no accelerator in a CPU build)."""
from __future__ import annotations

from typing import Optional

from . import _core, cuda


def is_available() -> bool:
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count()


def current_accelerator(check_available: bool = False) -> Optional[_core.device]:
    """The accelerator's device type (cuda:0's type) or None when there is none."""
    return _core.device("cuda") if cuda.is_available() else None
