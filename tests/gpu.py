"""The marker of tests that need a CUDA GPU: `@needs_gpu` skips them, with the reason in
pytest's summary (-rs), on a CPU build or a machine without a device, and marks them `gpu`,
so `pytest -k "cuda or gpu"` (CI, tools/gpu_check.sh) selects them wherever they live."""
from typing import Any

import pytest

import steepest as st


def _why_not() -> str:
    if not st._core.build_info()["cuda"]:
        return "needs a GPU: this build of steepest has no CUDA backend (build with STEEPEST_CUDA=ON)"
    return "needs a GPU: the CUDA build found no CUDA device"


_skip = pytest.mark.skipif(not st.cuda.is_available(), reason=_why_not() if not st.cuda.is_available() else "")


def needs_gpu(obj: Any) -> Any:
    """Decorates a test function or class."""
    return pytest.mark.gpu(_skip(obj))
