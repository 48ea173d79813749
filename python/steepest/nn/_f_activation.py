"""torch's pointwise activations beyond relu/gelu/silu: softplus, leaky_relu, elu, selu, celu,
prelu, hardswish, hardsigmoid, hardtanh, relu6, mish, logsigmoid, softsign, tanhshrink. Each
checks its arguments and calls one fused C++ kernel (value and derivative per element);
prelu and tanhshrink are compositions of existing ops."""
from __future__ import annotations

from typing import Callable

from .. import _core
from ._inplace import write_into

Tensor = _core.Tensor


def _check(fn: str, x: object) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{fn}(): argument 'input' must be a floating-point tensor, got {x.dtype}")
    return x


def _number(fn: str, name: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{fn}(): {name} must be a number, got {type(v).__name__}")
    return float(v)


def _apply(fn: str, x: Tensor, kernel: Callable[[Tensor], Tensor], inplace: bool) -> Tensor:
    _check(fn, x)
    return write_into(x, kernel) if inplace else kernel(x)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    b = _number("softplus", "beta", beta)
    t = _number("softplus", "threshold", threshold)
    return _core._nn_softplus(_check("softplus", input), b, t)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    s = _number("leaky_relu", "negative_slope", negative_slope)
    return _apply("leaky_relu", input, lambda x: _core._nn_leaky_relu(x, s), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    a = _number("elu", "alpha", alpha)
    return _apply("elu", input, lambda x: _core._nn_elu(x, a), inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _apply("selu", input, _core._nn_selu, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    a = _number("celu", "alpha", alpha)
    if a == 0:
        raise ValueError("celu(): alpha must not be 0 (it divides the input)")
    return _apply("celu", input, lambda x: _core._nn_celu(x, a), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _apply("hardswish", input, _core._nn_hardswish, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _apply("hardsigmoid", input, _core._nn_hardsigmoid, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    lo = _number("hardtanh", "min_val", min_val)
    hi = _number("hardtanh", "max_val", max_val)
    if lo > hi:
        raise ValueError(f"hardtanh(): min_val ({lo}) must be less than or equal to max_val ({hi})")
    return _apply("hardtanh", input, lambda x: _core._nn_hardtanh(x, lo, hi), inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _apply("mish", input, _core._nn_mish, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    return _core._nn_logsigmoid(_check("logsigmoid", input))


def softsign(input: Tensor) -> Tensor:
    return _core._nn_softsign(_check("softsign", input))


def tanhshrink(input: Tensor) -> Tensor:
    x = _check("tanhshrink", input)
    return x - x.tanh()


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight holds one slope, or one per channel (dim 1)."""
    x = _check("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' must be a Tensor, not {type(weight).__name__}")
    # under autocast prelu runs in the autocast dtype, as torch's (the core's policy)
    x, weight = (t for t in _core._autocast_args("lower_precision", [x, weight]) if t is not None)
    channels = x.shape[1] if x.ndim >= 2 else 1
    n = weight.numel()
    if weight.ndim > 1 or (n != 1 and n != channels):
        raise ValueError(f"prelu(): weight of shape {tuple(weight.shape)} must hold 1 value or one per input "
                         f"channel ({channels} for input of shape {tuple(x.shape)})")
    w = weight.reshape(()) if n == 1 else weight.reshape((channels,) + (1,) * (x.ndim - 2))
    return _core.where(x > 0, x, w.to(x.dtype) * x)
