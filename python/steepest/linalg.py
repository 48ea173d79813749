"""st.linalg: torch.linalg's norms (vector_norm, matrix_norm, norm)."""
from __future__ import annotations

from typing import Optional, Union

from . import _core
from ._reduce_extras import matrix_norm, vector_norm

__all__ = ["vector_norm", "matrix_norm", "norm"]


def norm(A: _core.Tensor, ord: Optional[Union[str, int, float]] = None, dim: Optional[Union[int, tuple]] = None,
         keepdim: bool = False, *, dtype: Optional[_core.dtype] = None) -> _core.Tensor:
    """torch.linalg.norm: with ord None, the 2-norm of the flattened input (dim None) or of
    the vectors along an int dim, or the Frobenius norm over a 2-tuple dim; a number ord with
    an int dim (or a 1-D input) is a vector norm; otherwise a matrix norm."""
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and A.dim() == 1):
        if isinstance(ord, str):
            raise ValueError(f"linalg.norm: ord={ord!r} needs a matrix (a 2-D input or a 2-tuple dim)")
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    mdim = (-2, -1) if dim is None else tuple(dim)
    if len(mdim) != 2:
        raise ValueError(f"linalg.norm: dim must be an int or a 2-tuple for a matrix norm, got {dim}")
    return matrix_norm(A, ord, mdim, keepdim, dtype=dtype)


