"""torch's tensor forms of st.normal and Tensor.bernoulli, as glue over the C++ samplers.

Seeding: every draw takes its numbers from `generator` when given, else from the default
generator that st.manual_seed(seed) resets. Both are counter-based Philox streams (the
algorithm is written down in steepest/ops/random.hpp), so the same seed and the same
sequence of calls give the same values on every machine, thread count and instruction set.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from . import _core

Tensor = _core.Tensor
_scalar_normal = _core.normal


def _broadcast(a: tuple, b: tuple) -> tuple:
    """numpy's broadcast of two shapes (ValueError naming both when they don't fit)."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"normal: the shapes of mean {a} and std {b} do not broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)


def normal(mean: Union[Tensor, float], std: Union[Tensor, float] = 1.0, size: Optional[Sequence[int]] = None, *,
           generator: Optional[_core.Generator] = None, dtype: Optional[_core.dtype] = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples. normal(mean, std, size) with numbers draws `size` samples; with a
    tensor mean and/or std, element i is mean[i] + std[i] * z[i] over their broadcast shape,
    z a standard normal draw (st.randn) of that shape from `generator` (or the default
    generator, st.manual_seed). The tensor forms are differentiable in mean and std."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal(mean, std) with two numbers needs size=")
        return _scalar_normal(float(mean), float(std), tuple(size), generator=generator, dtype=dtype, device=device,
                              requires_grad=requires_grad)
    if size is not None:
        raise TypeError("normal: size= is only accepted when mean and std are both numbers")
    if isinstance(std, Tensor):
        if not std.is_floating_point():
            raise TypeError(f"normal: expected a floating point std, got {std.dtype}")
        if std.numel() and bool((std < 0).any()):
            raise ValueError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise ValueError(f"normal expects std >= 0.0, but found std {std}")
    if isinstance(mean, Tensor) and not mean.is_floating_point():
        raise TypeError(f"normal: expected a floating point mean, got {mean.dtype}")
    ref = mean if isinstance(mean, Tensor) else std
    assert isinstance(ref, Tensor)
    shape = tuple(ref.shape)
    if isinstance(mean, Tensor) and isinstance(std, Tensor):
        shape = _broadcast(tuple(mean.shape), tuple(std.shape))
    z = _core.randn(shape, generator=generator, dtype=ref.dtype)
    return mean + std * z


def _bernoulli(self: Tensor, p: Optional[float] = None, *, generator: Optional[_core.Generator] = None) -> Tensor:
    """0/1 samples shaped like self: with probability self[i], or p when given."""
    return _core.bernoulli(self, p, generator=generator)


setattr(Tensor, "bernoulli", _bernoulli)  # noqa: B010  (declared in _core.pyi)
