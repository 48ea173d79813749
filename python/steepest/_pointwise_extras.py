"""Pointwise ops torch code uses that are compositions of the core's differentiable ops, so
their values and gradients come from those C++ kernels: square, lerp, addcmul/addcdiv,
frac, clamp_min/clamp_max, isnan/isinf/isfinite, isclose/allclose/equal, any/all.
(log1p, expm1, floor, ceil, round and trunc are C++ ops of their own.)"""
from __future__ import annotations

import math
from typing import Any, Optional, Union

from . import _core
from ._tensor_surface import _scalar

Tensor = _core.Tensor
Number = Union[bool, int, float]


def _need_tensor(x: Any, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: expected a steepest Tensor, got {type(x).__module__}.{type(x).__name__}")
    return x


def square(input: Tensor) -> Tensor:
    """input * input (gradient 2 x)."""
    return _need_tensor(input, "square") * input


def square_(input: Tensor) -> Tensor:
    return input.mul_(input)


def lerp(input: Tensor, end: Tensor, weight: Union[Tensor, Number]) -> Tensor:
    """input + weight * (end - input). As torch, weights of 0.5 and above compute
    end - (end - input) * (1 - weight), so weight 1 gives end exactly."""
    _need_tensor(input, "lerp")
    diff = end - input
    if isinstance(weight, Tensor):
        low = weight.abs() < 0.5
        return _core.where(low, input + weight * diff, end - diff * (1 - weight))
    if abs(weight) < 0.5:
        return input + diff * weight
    return end - diff * (1 - weight)


def lerp_(input: Tensor, end: Tensor, weight: Union[Tensor, Number]) -> Tensor:
    """In place: input becomes lerp(input, end, weight)."""
    return input.copy_(lerp(input, end, weight))


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Union[Tensor, Number] = 1) -> Tensor:
    """input + value * tensor1 * tensor2 (value: a number or a one-element tensor)."""
    return input.add(tensor1 * tensor2, alpha=_scalar(value, "addcmul(value=...)"))


def addcmul_(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Union[Tensor, Number] = 1) -> Tensor:
    return input.add_(tensor1 * tensor2, alpha=_scalar(value, "addcmul_(value=...)"))


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Union[Tensor, Number] = 1) -> Tensor:
    """input + value * tensor1 / tensor2 (value: a number or a one-element tensor)."""
    return input.add(tensor1 / tensor2, alpha=_scalar(value, "addcdiv(value=...)"))


def addcdiv_(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Union[Tensor, Number] = 1) -> Tensor:
    return input.add_(tensor1 / tensor2, alpha=_scalar(value, "addcdiv_(value=...)"))


def frac(input: Tensor) -> Tensor:
    """input - trunc(input): the fractional part, with input's sign (gradient 1)."""
    if not _need_tensor(input, "frac").is_floating_point():
        raise TypeError(f"frac: needs a floating tensor, got {input.dtype}")
    return input - input.trunc()


def frac_(input: Tensor) -> Tensor:
    return input.copy_(frac(input))


def clamp_min(input: Tensor, min: Number) -> Tensor:
    return input.clamp(min=min)


def clamp_max(input: Tensor, max: Number) -> Tensor:
    return input.clamp(max=max)


def isnan(input: Tensor) -> Tensor:
    """True where input is NaN (never for integer tensors)."""
    return _need_tensor(input, "isnan") != input


def isinf(input: Tensor) -> Tensor:
    """True where input is +inf or -inf."""
    if not _need_tensor(input, "isinf").is_floating_point():
        return _core.zeros_like(input, dtype=_core.bool)
    return input.abs() == math.inf


def isfinite(input: Tensor) -> Tensor:
    """True where input is neither NaN nor infinite (x - x is 0 exactly there)."""
    if not _need_tensor(input, "isfinite").is_floating_point():
        return _core.ones_like(input, dtype=_core.bool)
    return (input - input) == 0


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise; equal values (infinities
    included) are close; NaNs are close to each other only with equal_nan."""
    _need_tensor(input, "isclose")
    _need_tensor(other, "isclose")
    if input.dtype != other.dtype:
        raise TypeError(f"isclose: input and other must have the same dtype, got {input.dtype} and {other.dtype}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    same = input == other
    if not input.is_floating_point():
        a, b = input._to_dtype(_core.float64), other._to_dtype(_core.float64)
    else:
        a, b = input, other
    near = (a - b).abs() <= atol + rtol * b.abs()
    out = same.logical_or(near.logical_and(isfinite(a)).logical_and(isfinite(b)))
    if equal_nan:
        out = out.logical_or(isnan(a).logical_and(isnan(b)))
    return out


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when every element isclose (the shapes must broadcast)."""
    return bool(all(isclose(input, other, rtol, atol, equal_nan)))


def equal(input: Tensor, other: Tensor) -> bool:
    """True when the shapes match and every element is equal (NaN is not equal to NaN)."""
    _need_tensor(input, "equal")
    _need_tensor(other, "equal")
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(all(input == other))


def _nonzero_mask(input: Tensor) -> Tensor:
    return input if input.dtype == _core.bool else input != 0


def any(input: Tensor, dim: Optional[Union[int, tuple]] = None, keepdim: bool = False) -> Tensor:
    """True where some element (along dim, or anywhere) is non-zero; a bool tensor."""
    count = _nonzero_mask(_need_tensor(input, "any"))._to_dtype(_core.int64).sum(dim, keepdim)
    return count > 0


def all(input: Tensor, dim: Optional[Union[int, tuple]] = None, keepdim: bool = False) -> Tensor:
    """True where every element (along dim, or anywhere) is non-zero; a bool tensor."""
    zeros = _nonzero_mask(_need_tensor(input, "all")).logical_not()._to_dtype(_core.int64).sum(dim, keepdim)
    return zeros == 0


_METHODS = {
    "square": square, "square_": square_, "lerp": lerp, "lerp_": lerp_, "addcmul": addcmul,
    "addcmul_": addcmul_, "addcdiv": addcdiv, "addcdiv_": addcdiv_, "frac": frac, "frac_": frac_,
    "clamp_min": clamp_min, "clamp_max": clamp_max, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "isclose": isclose, "allclose": allclose, "equal": equal,
    "any": any, "all": all,
}
_METHODS["clamp_min_"] = lambda self, min: self.clamp_(min=min)
_METHODS["clamp_max_"] = lambda self, max: self.clamp_(max=max)
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
