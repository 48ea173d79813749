"""st.nn.init: torch's weight initialisers. Each fills a tensor in place under no_grad with
st's random fills (Tensor.uniform_/normal_, seeded by st.manual_seed or `generator`) and
returns it; only the scale (gain, fan) is computed here."""
from __future__ import annotations

import math
import warnings
from typing import Optional

from .. import _core
from .._typing import Number, Tensor
from ..autograd import no_grad
from . import _composite

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: Optional[Number] = None) -> float:
    """The factor that keeps activations' variance steady through `nonlinearity`."""
    if nonlinearity in _LINEAR_LIKE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in * prod(kernel), out * prod(kernel)."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive = 1
    for s in tuple(tensor.shape)[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check(fn, tensor):
    if not isinstance(tensor, _core.Tensor):
        raise TypeError(f"{fn}(): expected a tensor, got {type(tensor).__name__}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Optional[_core.Generator] = None) -> Tensor:
    """Fills `tensor` with samples from U(a, b)."""
    _check("uniform_", tensor)
    if a > b:
        raise ValueError(f"uniform_(): expected a <= b, got a={a}, b={b}")
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Optional[_core.Generator] = None) -> Tensor:
    """Fills `tensor` with samples from N(mean, std^2)."""
    _check("normal_", tensor)
    if std < 0:
        raise ValueError(f"normal_(): std must be non-negative, got {std}")
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: Number) -> Tensor:
    _check("constant_", tensor)
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    _check("zeros_", tensor)
    with no_grad():
        return tensor.zero_()


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Optional[_core.Generator] = None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    _check("xavier_uniform_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Optional[_core.Generator] = None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check("xavier_normal_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(fn, tensor, a, mode, nonlinearity):
    _check(fn, tensor)
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Optional[_core.Generator] = None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015); fan per `mode`."""
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Optional[_core.Generator] = None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def _normal_ppf_lower(p):
    """Phi^-1(p) for float64 p in (0, 0.5]: a rational start (error < 5e-4), then Newton
    steps on the float64-accurate normal CDF until rounding."""
    t = _core.sqrt(_core.log(p) * -2.0)
    num = (t * 0.010328 + 0.802853) * t + 2.515517
    den = ((t * 0.001308 + 0.189269) * t + 1.432788) * t + 1.0
    y = num / den - t
    inv_sqrt_2pi = 1.0 / math.sqrt(2.0 * math.pi)
    for _ in range(3):  # error 5e-4 -> ~|y|/2 * e^2 per step: float64 rounding after 3
        pdf = _core.exp(y * y * -0.5) * inv_sqrt_2pi
        y = y - (_composite.normal_cdf(y) - p) / pdf
    return y


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Optional[_core.Generator] = None) -> Tensor:
    """Samples of N(mean, std^2) conditioned on [a, b] (a and b are absolute bounds), by the
    inverse CDF: u ~ U(Phi(alpha), Phi(beta)) in float64, x = mean + std * Phi^-1(u)."""
    _check("trunc_normal_", tensor)
    if not a < b:
        raise ValueError(f"trunc_normal_(): expected a < b, got a={a}, b={b}")
    if std <= 0:
        raise ValueError(f"trunc_normal_(): std must be positive, got {std}")
    cdf = lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0))  # noqa: E731 (scalar, Python's erfc)
    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", UserWarning, stacklevel=2)
    with no_grad():
        u = _core.empty(tuple(tensor.shape), dtype=_core.float64).uniform_(lo, hi, generator=generator)
        # Work in the lower tail, where float64 resolves tiny probabilities: Phi^-1(u) =
        # -Phi^-1(1 - u) for u > 1/2.
        upper = u > 0.5
        p = _core.where(upper, 1.0 - u, u).clamp(min=1e-300, max=0.5)
        y = _normal_ppf_lower(p)
        z = _core.where(upper, -y, y)
        x = (z * std + mean).clamp(min=a, max=b)
        return tensor.copy_(x)
