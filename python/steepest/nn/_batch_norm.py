"""F.batch_norm: torch's signature over the fused C++ kernel (cpp/src/nn/batch_norm.cpp), which
checks shapes, dtypes and modes and names the argument at fault."""
from __future__ import annotations

from typing import Optional

from .. import _core

Tensor = _core.Tensor


def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each channel (dim 1) of an (N, C, *) input over dim 0 and the trailing dims,
    then scales by weight and shifts by bias (both (C,), optional). training=True uses the
    batch's mean and biased variance and updates running_mean/running_var in place (when given)
    by r = (1 - momentum) * r + momentum * stat, with the unbiased variance; training=False
    normalizes with the running statistics."""
    for name, t in (("input", input), ("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"batch_norm(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    if input is None:
        raise TypeError("batch_norm(): argument 'input' must be a Tensor, not NoneType")
    return _core._nn_batch_norm(input, running_mean, running_var, weight, bias, bool(training),
                                float(momentum), float(eps))
