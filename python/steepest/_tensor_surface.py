"""Tensor attributes and constructors torch code reaches for that are bookkeeping, not math:
__format__, nelement, is_sparse/is_complex, new_zeros/new_ones/new_full/new_empty/new_tensor,
clone(memory_format=), erf as a method, and scalar arguments given as 0-d tensors
(add_(x, alpha=t), as torch's own optimizers pass them)."""
from __future__ import annotations

from typing import Any, Optional

from . import _core
from ._devices import check_device
from ._memory_format import check as check_memory_format

Tensor = _core.Tensor


def _format(self: Tensor, spec: str) -> str:
    """f"{t:.4f}" formats a 0-d tensor's value; f"{t}" is str(t). Other format specs on a
    tensor with dimensions raise TypeError, as torch."""
    if self.dim() == 0:
        return format(self.item(), spec)
    if spec:
        raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__ "
                        f"(the tensor has shape {tuple(self.shape)}; format t.item() for one element)")
    return str(self)


def _size_arg(size: tuple, what: str) -> tuple:
    """torch's size forms: f(2, 3), f((2, 3)), f([2, 3]), f(torch.Size)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"{what}: size must be ints, got {type(s).__name__}")
    return tuple(size)


def _new(maker):
    def method(self: Tensor, *size: Any, dtype: Optional[_core.dtype] = None, device: Any = None,
               requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
        d = check_device(device, maker.__name__) or self.device
        if not size:
            raise TypeError(f"{maker.__name__}() missing the size argument")
        out = maker(self, _size_arg(size, maker.__name__), dtype or self.dtype, d)
        return out.requires_grad_(True) if requires_grad else out
    method.__name__ = maker.__name__
    method.__doc__ = maker.__doc__
    return method


def new_zeros(self, size, dtype, device):
    """A new tensor of zeros of `size`, with this tensor's dtype unless given."""
    return _core.zeros(size, dtype=dtype, device=device)


def new_ones(self, size, dtype, device):
    """A new tensor of ones of `size`, with this tensor's dtype unless given."""
    return _core.ones(size, dtype=dtype, device=device)


def new_empty(self, size, dtype, device):
    """A new uninitialised tensor of `size`, with this tensor's dtype unless given."""
    return _core.empty(size, dtype=dtype, device=device)


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Optional[_core.dtype] = None,
              device: Any = None, requires_grad: bool = False, layout: Any = None,
              pin_memory: bool = False) -> Tensor:
    """A new tensor of `size` filled with fill_value, with this tensor's dtype unless given."""
    d = check_device(device, "new_full") or self.device
    out = _core.full(_size_arg((size,), "new_full"), fill_value, dtype=dtype or self.dtype, device=d)
    return out.requires_grad_(True) if requires_grad else out


def _new_tensor(self: Tensor, data: Any, *, dtype: Optional[_core.dtype] = None, device: Any = None,
                requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """st.tensor(data) with this tensor's dtype unless given (a copy, never sharing memory)."""
    from ._tensor import tensor
    return tensor(data, dtype=dtype or self.dtype, device=device if device is not None else self.device,
                  requires_grad=requires_grad)


_clone = Tensor.clone


def _clone_fmt(self: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy that records autograd history (memory_format: contiguous or preserve)."""
    check_memory_format(memory_format, "clone")
    return _clone(self)


def _scalar(v: Any, what: str) -> Any:
    """A Python number from a number or a one-element tensor (torch accepts both for
    alpha=/value=); a bigger tensor is refused without printing it."""
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise ValueError(f"{what}: expected a number or a one-element tensor, got a tensor of shape "
                             f"{tuple(v.shape)}")
        return v.item()
    return v


def _with_scalar_alpha(name: str) -> None:
    orig = getattr(Tensor, name)

    def method(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        if isinstance(alpha, Tensor):
            alpha = _scalar(alpha, f"{name}(alpha=...)")
        # Refused here, by type name: the bindings' overload error would print both tensors.
        if not isinstance(alpha, (bool, int, float)) and not hasattr(alpha, "__index__") \
                and not hasattr(alpha, "__float__"):
            raise TypeError(f"{name}(): alpha must be a number or a one-element tensor, got {type(alpha).__name__}")
        if not isinstance(other, (Tensor, bool, int, float)) and not hasattr(other, "__float__"):
            raise TypeError(f"{name}(): other must be a Tensor or a number, got {type(other).__module__}."
                            f"{type(other).__qualname__}")
        return orig(self, other, alpha=alpha)
    method.__name__ = name
    method.__doc__ = orig.__doc__
    setattr(Tensor, name, method)


def _erf_(self: Tensor) -> Tensor:
    return self.copy_(_core._nn_erf(self))


# Attached with setattr: _core.pyi declares them on Tensor for type checkers.
for _name, _attr in {
    "__format__": _format, "nelement": lambda self: self.numel(), "is_sparse": property(lambda self: False),
    "is_complex": lambda self: False, "is_meta": property(lambda self: False), "new_zeros": _new(new_zeros),
    "new_ones": _new(new_ones), "new_empty": _new(new_empty), "new_full": _new_full, "new_tensor": _new_tensor,
    "clone": _clone_fmt, "erf": lambda self: _core._nn_erf(self), "erf_": _erf_,
}.items():
    setattr(Tensor, _name, _attr)
for _name in ("add", "add_", "sub", "sub_"):
    _with_scalar_alpha(_name)


def erf(input: Tensor) -> Tensor:
    """The error function, elementwise (gradient 2/sqrt(pi) exp(-x^2))."""
    return _core._nn_erf(input)


def is_complex(input: Tensor) -> bool:
    return False


def numel(input: Tensor) -> int:
    return input.numel()
