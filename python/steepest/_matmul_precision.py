"""torch.set_float32_matmul_precision / get_float32_matmul_precision: one process-wide setting
kept in the C++ core, shared with st.backends.cuda.matmul.allow_tf32. "highest" (the default)
keeps float32 products in full float32; "high" and "medium" let the CUDA backend use TF32
tensor cores for them. CPU products are the same under every setting."""
from __future__ import annotations

from . import _core


def set_float32_matmul_precision(precision: str) -> None:
    """Sets the float32 matrix-product precision: 'highest', 'high' or 'medium'."""
    if not isinstance(precision, str):
        raise TypeError(f"set_float32_matmul_precision: precision must be a str, got {type(precision).__name__}")
    _core._set_float32_matmul_precision(precision)


def get_float32_matmul_precision() -> str:
    """The current float32 matrix-product precision ('highest' unless changed)."""
    return _core._float32_matmul_precision()
