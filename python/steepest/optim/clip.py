"""Gradient clipping with torch.nn.utils' semantics (docs/optimizers.md §9): the global norm is one
fused multi-tensor C++ pass (float32 values summed in float32 leaves, leaves in float64), and
scaling is one multi-tensor pass. clip_and_step(optimizer, max_norm) fuses clipping into the
step: the step multiplies the grads by the clip coefficient in its kernel, so clip + step cost
one extra read of the grads (eager clipping: one read for the norm plus a read and a write)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, List, Optional, Union

import numpy as np

from .. import _core
from .._typing import TensorOrTensors

if TYPE_CHECKING:
    from .optimizer import Optimizer


def _tensors(parameters: TensorOrTensors) -> List[_core.Tensor]:
    if isinstance(parameters, _core.Tensor):
        parameters = [parameters]
    return list(parameters)


def _grads(parameters: TensorOrTensors) -> List[_core.Tensor]:
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> _core.Tensor:
    """The norm of all tensors taken together, as a 0-d tensor of the first one's dtype."""
    present = [t for t in _tensors(tensors) if t is not None]
    norm_type = float(norm_type)
    if len(present) == 0:
        return _core.full([], 0.0, dtype=_core.float32)
    total = _core._total_norm(present, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    return _core.full([], total, dtype=present[0].dtype)


def clip_coefficient(max_norm: float, total_norm: Union[_core.Tensor, float]) -> float:
    """min(1, max_norm / (total + 1e-6)) rounded as torch computes it in tensors of the total's
    dtype (float32 unless the total is a float64 tensor)."""
    if isinstance(total_norm, _core.Tensor):
        ft = np.float64 if total_norm.dtype == _core.float64 else np.float32
        t = ft(float(total_norm.item()))
    else:
        ft = np.float32
        t = ft(float(total_norm))
    with np.errstate(all="ignore"):
        denom = t + ft(1e-6)
        coef = (ft(1.0) / denom) * ft(max_norm)  # scalar / tensor: reciprocal, then product
    return float(min(coef, ft(1.0))) if not np.isnan(coef) else float("nan")


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Union[_core.Tensor, float],
                          foreach: Optional[bool] = None) -> None:
    """Scales every grad by min(1, max_norm / (total_norm + 1e-6)), always (x1.0 when small)."""
    grads = _grads(parameters)
    if not grads:
        return
    _core._scale_(grads, clip_coefficient(max_norm, total_norm))


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> _core.Tensor:
    """Clips the grads' global norm to max_norm in place; returns the norm before clipping."""
    parameters = _tensors(parameters)
    grads = _grads(parameters)
    if not grads:
        return _core.full([], 0.0, dtype=_core.float32)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float, foreach: Optional[bool] = None) -> None:
    """Clamps every grad to [-clip_value, clip_value] in place."""
    c = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(-c, c)


def clip_and_step(optimizer: Optimizer, max_norm: float, norm_type: float = 2.0,
                  error_if_nonfinite: bool = False) -> _core.Tensor:
    """clip_grad_norm_ over the optimizer's params, then optimizer.step(), fused: the norm is
    one read of the grads and the step multiplies every grad by the clip coefficient inside
    its kernel. The params and state end bit-identical to clip_grad_norm_(...) + step() for
    float32/float64 grads (the kernel's g * coef is the same rounding the eager scale does);
    for bfloat16/float16 grads the fused path skips rounding the clipped grad to the grad's
    dtype. Unlike clip_grad_norm_, p.grad is left unclipped. Returns the total norm."""
    grads = [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
    if not grads:
        optimizer.step()
        return _core.full([], 0.0, dtype=_core.float32)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    optimizer.step(grad_factor=clip_coefficient(max_norm, total))
    return total
