"""group_norm and rms_norm with torch's arguments. rms_norm is one fused C++ kernel forward
and backward; group_norm runs the fused layer_norm kernel over (N, groups, rest) rows and
applies the per-channel affine after it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from .. import _core

Tensor = _core.Tensor


def _check_tensor(fn: str, name: str, x: object) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalizes (N, C, *) input over each group of C / num_groups channels (and all spatial
    positions), then scales and shifts each channel by weight[c] and bias[c]."""
    fn = "group_norm"
    _check_tensor(fn, "input", input)
    if not input.is_floating_point():
        raise TypeError(f"{fn}(): expected input to be a floating-point tensor, got {input.dtype}")
    if input.ndim < 2:
        raise ValueError(f"{fn}(): expected input of at least 2 dims (N, C, *), got shape {tuple(input.shape)}")
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups <= 0:
        raise ValueError(f"{fn}(): num_groups must be a positive int, got {num_groups!r}")
    shape = tuple(input.shape)
    N, C = shape[0], shape[1]
    if C % num_groups:
        raise ValueError(f"{fn}(): expected number of channels in input ({C}) to be divisible by "
                         f"num_groups ({num_groups})")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            _check_tensor(fn, name, t)
            if tuple(t.shape) != (C,):
                raise ValueError(f"{fn}(): expected {name} to be a 1-D tensor of size {C} (one per channel), "
                                 f"got shape {tuple(t.shape)}")
    if eps < 0:
        raise ValueError(f"{fn}(): eps must be >= 0, got {eps}")
    rest = 1
    for s in shape[2:]:
        rest *= s
    if N * (C // num_groups) * rest == 1:  # torch refuses statistics of one value per group
        raise ValueError(f"{fn}(): expected more than 1 value per channel when training, got input size "
                         f"{list(shape)}")
    row = (C // num_groups) * rest
    low = input.dtype in (_core.bfloat16, _core.float16)
    if low:  # normalize, scale and shift in float32, then round once
        dtype = input.dtype
        input = input.float()
        weight = None if weight is None else weight.float()
        bias = None if bias is None else bias.float()
    if row == 0 or N == 0:
        out = input * 1.0
    else:
        rows = input.reshape((N, num_groups, row))
        out = _core._nn_layer_norm(rows, (row,), None, None, float(eps)).reshape(shape)
    per_channel = (C,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out.to(dtype) if low else out


def rms_norm(input: Tensor, normalized_shape: Union[int, Sequence[int]], weight: Optional[Tensor] = None,
             eps: Optional[float] = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the trailing normalized_shape dims; eps=None
    uses the machine epsilon of the dtype it computes in (float32 for bfloat16/float16 x)."""
    _check_tensor("rms_norm", "input", input)
    if weight is not None:
        _check_tensor("rms_norm", "weight", weight)
    if eps is not None and (isinstance(eps, bool) or not isinstance(eps, (int, float))):
        raise TypeError(f"rms_norm(): eps must be a float or None, got {type(eps).__name__}")
    return _core._nn_rms_norm(input, normalized_shape, weight, None if eps is None else float(eps))
