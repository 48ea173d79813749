"""Python conveniences on Tensor that are argument parsing, not math: .to(), .float(), ...
Everything here forwards to one C++ call."""
from . import _core

Tensor = _core.Tensor


def _to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """t.to(dtype) / t.to(device) / t.to(device, dtype) / t.to(other_tensor)."""
    for a in args:
        if isinstance(a, _core.dtype):
            dtype = a
        elif isinstance(a, (str, _core.device)):
            device = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        else:
            raise TypeError(f"to() got an unexpected argument of type {type(a).__name__}")
    out = self
    if device is not None and _core.device(device) != self.device:
        raise NotImplementedError(
            f"to({_core.device(device)}): this build of steepest has no CUDA backend "
            f"(steepest.cuda_is_available() is False)")
    if dtype is not None and (dtype != out.dtype or copy):
        return out._to_dtype(dtype, copy=copy)
    if copy:
        return out.clone()
    return out


Tensor.to = _to
# As torch: numpy defers binary operators to the tensor (ndarray + tensor -> Tensor.__radd__).
Tensor.__array_priority__ = 1000
Tensor.float = lambda self: self._to_dtype(_core.float32)
Tensor.double = lambda self: self._to_dtype(_core.float64)
Tensor.half = lambda self: self._to_dtype(_core.float16)
Tensor.bfloat16 = lambda self: self._to_dtype(_core.bfloat16)
Tensor.long = lambda self: self._to_dtype(_core.int64)
Tensor.int = lambda self: self._to_dtype(_core.int32)
Tensor.bool = lambda self: self._to_dtype(_core.bool)
Tensor.cpu = lambda self: self
Tensor.type = lambda self, dtype=None: (f"steepest.{self.dtype.name}" if dtype is None else self.to(dtype))


class RemovableHandle:
    """Returned by register_hook: handle.remove() unregisters the hook."""

    def __init__(self, tensor, hook_id):
        self._tensor, self.id = tensor, hook_id

    def remove(self):
        if self._tensor is not None:
            self._tensor._remove_hook(self.id)
            self._tensor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _register_hook(self, hook):
    """hook(grad) -> Tensor or None, run when this tensor's gradient is computed; a returned
    tensor replaces the gradient."""
    return RemovableHandle(self, self._register_hook(hook))


def _register_post_accumulate_grad_hook(self, hook):
    """hook(tensor), run on a leaf after its .grad has been accumulated."""
    return RemovableHandle(self, self._register_post_accumulate_grad_hook(hook))


Tensor.register_hook = _register_hook
Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook
