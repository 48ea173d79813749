"""The marker of tests that need a CUDA GPU: `@needs_gpu` skips them, with the reason in
pytest's summary (-rs), on a CPU build or a machine without a device; tools/gpu_check.sh runs
them where there is one."""
import pytest

import steepest as st


def _why_not() -> str:
    if not st._core.build_info()["cuda"]:
        return "needs a GPU: this build of steepest has no CUDA backend (build with STEEPEST_CUDA=ON)"
    return "needs a GPU: the CUDA build found no CUDA device"


needs_gpu = pytest.mark.skipif(not st.cuda.is_available(), reason=_why_not() if not st.cuda.is_available() else "")
