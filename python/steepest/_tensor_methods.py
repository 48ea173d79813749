"""Python conveniences on Tensor that are argument parsing, not math: .to(), .float(), ...
Everything here forwards to one C++ call."""
from . import _core
from ._devices import as_device, check_device, check_host
from ._memory_format import check as check_memory_format

Tensor = _core.Tensor


_TYPE_NAMES = {
    "FloatTensor": _core.float32, "DoubleTensor": _core.float64, "HalfTensor": _core.float16,
    "BFloat16Tensor": _core.bfloat16, "LongTensor": _core.int64, "IntTensor": _core.int32,
    "BoolTensor": _core.bool,
}


def dtype_from_type_name(name, what):
    """The dtype of a torch type name ('torch.FloatTensor') or a dtype's name ('steepest.float32')."""
    if not isinstance(name, str):
        raise TypeError(f"{what}: expected a dtype or a type name string, got {type(name).__name__}")
    tail = name.rsplit(".", 1)[-1]
    if name.startswith(("torch.cuda.", "steepest.cuda.")):
        check_host("cuda", what)
    if tail in _TYPE_NAMES:
        return _TYPE_NAMES[tail]
    d = getattr(_core, tail, None)
    if isinstance(d, _core.dtype):
        return d
    raise ValueError(f"{what}: unknown type name {name!r}")


def parse_to_args(what, args, kwargs):
    """(device, dtype, copy, memory_format) from torch's .to() forms: to(device), to(dtype),
    to(device, dtype), to(tensor), positional non_blocking/copy after those, and keywords."""
    device = dtype = memory_format = None
    copy = False
    rest = []
    for a in args:
        if isinstance(a, _core.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, bool):
            rest.append(a)
        elif isinstance(a, (str, int, _core.device)) or type(a).__module__.startswith("torch"):
            device = as_device(a, what)
        else:
            raise TypeError(f"{what}() got an unexpected argument of type {type(a).__name__}")
    if len(rest) > 2:
        raise TypeError(f"{what}() got too many positional arguments")
    if len(rest) == 2:
        copy = rest[1]
    for k, v in kwargs.items():
        if k == "device":
            device = as_device(v, what)
        elif k == "dtype":
            if v is not None and not isinstance(v, _core.dtype):
                raise TypeError(f"{what}(dtype=...): expected a st.dtype, got {type(v).__name__}")
            dtype = v if v is not None else dtype
        elif k == "copy":
            copy = bool(v)
        elif k == "memory_format":
            memory_format = v
        elif k != "non_blocking":
            raise TypeError(f"{what}() got an unexpected keyword argument '{k}'")
    return device, dtype, copy, memory_format


def _non_blocking(args, kwargs):
    """The non_blocking flag of .to(): the keyword, or the first bool after device/dtype."""
    flags = [a for a in args if isinstance(a, bool)]
    return bool(kwargs.get("non_blocking", flags[0] if flags else False))


def _to(self, *args, **kwargs):
    """t.to(dtype) / t.to(device) / t.to(device, dtype) / t.to(other_tensor), with torch's
    keywords (device=, dtype=, non_blocking=, copy=, memory_format=). Returns self when
    nothing changes and copy is False."""
    device, dtype, copy, memory_format = parse_to_args("to", args, kwargs)
    d = check_device(device, "Tensor.to")
    check_memory_format(memory_format, "Tensor.to")
    out, copied = self, False
    if d is not None:
        same_dtype = dtype is None or dtype == self.dtype
        out = _core._to_device(self, d, non_blocking=_non_blocking(args, kwargs), copy=copy and same_dtype)
        copied = out.device != self.device or (copy and same_dtype)
    if dtype is not None and (dtype != out.dtype or (copy and not copied)):
        return out._to_dtype(dtype, copy=copy and not copied)
    if copy and not copied:
        return out.clone()
    return out


def _cuda(self, device=None, non_blocking=False, memory_format=None):
    """A copy on the GPU (cuda:<device>, the current one when None); self if already there."""
    dev = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
    return _to(self, dev, non_blocking=non_blocking)


def _cpu(self, memory_format=None):
    """A copy in host memory; self if already there."""
    check_memory_format(memory_format, "Tensor.cpu")
    return _core._to_device(self, _core.device("cpu"))


def _type(self, dtype=None, non_blocking=False):
    """t.type(): the type name (torch's, e.g. 'torch.FloatTensor'); t.type(dtype or name): cast."""
    if dtype is None:
        for name, d in _TYPE_NAMES.items():
            if d == self.dtype:
                return f"torch.{name}"
        return f"steepest.{self.dtype.name}"
    d = dtype if isinstance(dtype, _core.dtype) else dtype_from_type_name(dtype, "Tensor.type")
    return self if d == self.dtype else self._to_dtype(d)


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
Tensor.cpu = _cpu
Tensor.cuda = _cuda
Tensor.type = _type


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
