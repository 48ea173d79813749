"""The marker of tests that need a CUDA GPU: `@needs_gpu` (or `pytestmark = needs_gpu`) marks
them `gpu`; conftest.py skips them, with the reason in pytest's summary (-rs), on a CPU build or
a machine without a device. The mark also makes `pytest -k "cuda or gpu"` (CI,
tools/gpu_check.sh) select them wherever they live."""
import pytest

import steepest as st

needs_gpu = pytest.mark.gpu


def why_no_gpu() -> str:
    """Why GPU tests skip here, or "" where a CUDA device is available."""
    if st.cuda.is_available():
        return ""
    if not st._core.build_info()["cuda"]:
        return "needs a GPU: this build of steepest has no CUDA backend (build with STEEPEST_CUDA=ON)"
    return "needs a GPU: the CUDA build found no CUDA device"


# What asking for a CUDA device raises where there is none: a CPU-only build has no CUDA
# backend; a CUDA build on a machine without a GPU has no device.
CUDA_BUILT = bool(st._core.build_info()["cuda"])
NO_CUDA = (RuntimeError, "no CUDA device") if CUDA_BUILT else (NotImplementedError, "no CUDA backend")
