"""The native CUDA runtime module (steepest._core._cuda), present only in a build with the
CUDA backend; ready() says whether it is there and a GPU was found."""
from __future__ import annotations

from typing import Any

from .. import _core


def ready() -> bool:
    """A CUDA build on a machine with a GPU."""
    return bool(_core.build_info()["cuda"]) and bool(_core.cuda_is_available())


def rt() -> Any:
    """_core._cuda; RuntimeError naming why when this build or machine has no GPU."""
    if not ready():
        why = "no GPU found" if _core.build_info()["cuda"] else "this build of steepest has no CUDA backend"
        raise RuntimeError(f"st.cuda: no CUDA device is available ({why})")
    return _core._cuda
