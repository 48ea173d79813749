"""The marker of tests that need a CUDA GPU: `@needs_gpu` (or `pytestmark = needs_gpu`) marks
them `gpu`; conftest.py skips them, with the reason in pytest's summary (-rs), on a CPU build or
a machine without a device. The mark also makes `pytest -k "cuda or gpu"` (CI,
tools/gpu_check.sh) select them wherever they live."""
from typing import Any, Callable

import numpy as np
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


def rnd(shape: tuple, dtype: Any = st.float32, lo: float = -3.0, hi: float = 3.0, seed: int = 0) -> Any:
    """A CPU tensor of the shape and dtype, seeded by the arguments: uniform floats in [lo, hi),
    integers in [lo, hi], or booleans."""
    r = np.random.default_rng(seed + 7 * len(shape) + int(np.prod(shape)))
    if dtype in (st.int32, st.int64):
        return st.tensor(r.integers(int(lo), int(hi) + 1, size=shape), dtype=dtype)
    if dtype == st.bool:
        return st.tensor(r.random(shape) < 0.5)
    return st.tensor(r.uniform(lo, hi, size=shape)).to(dtype)


def both(fn: Callable[..., Any], *cpu_args: Any) -> tuple:
    """fn on the CPU tensors and on their CUDA copies (numbers pass through)."""
    gpu_args = [a.to("cuda") if isinstance(a, st.Tensor) else a for a in cpu_args]
    return fn(*cpu_args), fn(*gpu_args)
