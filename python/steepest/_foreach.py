"""st._foreach_*: torch's list-at-a-time ops (what torch's own optimizers and Python
optimizers such as Muon call), as loops over the per-tensor ops. `other` may be one number,
a list of numbers, one tensor, or a list of tensors, as torch accepts for each op."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

from . import _core
from ._pointwise_extras import addcdiv, addcdiv_, addcmul, addcmul_, lerp, lerp_
from ._reduce_extras import vector_norm

Tensor = _core.Tensor


def _others(name: str, tensors: Sequence[Tensor], other: Any) -> list:
    """other, one per tensor: a list is checked for length, a scalar or tensor repeated."""
    if isinstance(other, (list, tuple)):
        if len(other) != len(tensors):
            raise ValueError(f"_foreach_{name}: the lists have different lengths ({len(tensors)} and {len(other)})")
        return list(other)
    return [other] * len(tensors)


def _binary(name: str, method: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def out_of_place(tensors: Sequence[Tensor], other: Any, **kw: Any) -> list:
        return [getattr(t, method)(o, **kw) for t, o in zip(tensors, _others(name, tensors, other))]

    def in_place(tensors: Sequence[Tensor], other: Any, **kw: Any) -> None:
        for t, o in zip(tensors, _others(name, tensors, other)):
            if hasattr(t, method + "_"):
                getattr(t, method + "_")(o, **kw)
            else:  # no in-place form of this op (maximum): computed, then written back
                t.copy_(getattr(t, method)(o, **kw))
    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    return out_of_place, in_place


_foreach_add, _foreach_add_ = _binary("add", "add")
_foreach_sub, _foreach_sub_ = _binary("sub", "sub")
_foreach_mul, _foreach_mul_ = _binary("mul", "mul")
_foreach_div, _foreach_div_ = _binary("div", "div")
_foreach_pow, _foreach_pow_ = _binary("pow", "pow")
_foreach_maximum, _foreach_maximum_ = _binary("maximum", "maximum")
_foreach_minimum, _foreach_minimum_ = _binary("minimum", "minimum")


def _clamp(name: str, scalar_method: str, tensor_method: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """clamp_min/clamp_max: a bound that is a tensor is the elementwise maximum/minimum."""
    def out_of_place(tensors: Sequence[Tensor], other: Any) -> list:
        return [getattr(t, tensor_method if isinstance(o, Tensor) else scalar_method)(o)
                for t, o in zip(tensors, _others(name, tensors, other))]

    def in_place(tensors: Sequence[Tensor], other: Any) -> None:
        for t, o in zip(tensors, _others(name, tensors, other)):
            if isinstance(o, Tensor):
                t.copy_(getattr(t, tensor_method)(o))
            else:
                getattr(t, scalar_method + "_")(o)
    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    return out_of_place, in_place


_foreach_clamp_min, _foreach_clamp_min_ = _clamp("clamp_min", "clamp_min", "maximum")
_foreach_clamp_max, _foreach_clamp_max_ = _clamp("clamp_max", "clamp_max", "minimum")


def _unary(method: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def out_of_place(tensors: Sequence[Tensor]) -> list:
        return [getattr(t, method)() for t in tensors]

    def in_place(tensors: Sequence[Tensor]) -> None:
        for t in tensors:
            getattr(t, method + "_")()
    out_of_place.__name__, in_place.__name__ = f"_foreach_{method}", f"_foreach_{method}_"
    return out_of_place, in_place


_foreach_sqrt, _foreach_sqrt_ = _unary("sqrt")
_foreach_neg, _foreach_neg_ = _unary("neg")
_foreach_abs, _foreach_abs_ = _unary("abs")
_foreach_exp, _foreach_exp_ = _unary("exp")
_foreach_sign, _foreach_sign_ = _unary("sign")
_foreach_rsqrt, _foreach_rsqrt_ = _unary("rsqrt")
_foreach_log, _foreach_log_ = _unary("log")


def _foreach_reciprocal(tensors: Sequence[Tensor]) -> list:
    return [1.0 / t for t in tensors]


def _foreach_reciprocal_(tensors: Sequence[Tensor]) -> None:
    for t in tensors:
        t.copy_(1.0 / t)


def _foreach_zero_(tensors: Sequence[Tensor]) -> None:
    for t in tensors:
        t.zero_()


def _foreach_copy_(tensors: Sequence[Tensor], src: Sequence[Tensor], non_blocking: bool = False) -> None:
    for t, s in zip(tensors, _others("copy", tensors, list(src))):
        t.copy_(s)


def _foreach_lerp(tensors: Sequence[Tensor], ends: Sequence[Tensor], weight: Any) -> list:
    return [lerp(t, e, w) for t, e, w in zip(tensors, _others("lerp", tensors, list(ends)),
                                             _others("lerp", tensors, weight))]


def _foreach_lerp_(tensors: Sequence[Tensor], ends: Sequence[Tensor], weight: Any) -> None:
    for t, e, w in zip(tensors, _others("lerp", tensors, list(ends)), _others("lerp", tensors, weight)):
        lerp_(t, e, w)


def _ternary(name: str, fn: Callable[..., Any], in_place: bool) -> Callable[..., Any]:
    def op(tensors: Sequence[Tensor], tensor1: Sequence[Tensor], tensor2: Sequence[Tensor], value: Any = 1) -> Any:
        a = _others(name, tensors, list(tensor1))
        b = _others(name, tensors, list(tensor2))
        v = _others(name, tensors, value)
        out = [fn(t, x, y, value=s) for t, x, y, s in zip(tensors, a, b, v)]
        return None if in_place else out
    op.__name__ = f"_foreach_{name}{'_' if in_place else ''}"
    return op


_foreach_addcmul = _ternary("addcmul", addcmul, False)
_foreach_addcmul_ = _ternary("addcmul", addcmul_, True)
_foreach_addcdiv = _ternary("addcdiv", addcdiv, False)
_foreach_addcdiv_ = _ternary("addcdiv", addcdiv_, True)


def _foreach_norm(tensors: Sequence[Tensor], ord: float = 2, dtype: Any = None) -> list:
    """The ord-norm of each tensor, as 0-d tensors."""
    return [vector_norm(t, ord, dtype=dtype) for t in tensors]


__all__ = sorted(n for n in list(globals()) if n.startswith("_foreach_"))
