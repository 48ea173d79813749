"""Python conveniences on Tensor that are argument parsing, not math: .to(), .float(), ...
Everything here forwards to one C++ call."""
from . import _core
from ._devices import as_device, check_host
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


def _to(self, *args, **kwargs):
    """t.to(dtype) / t.to(device) / t.to(device, dtype) / t.to(other_tensor), with torch's
    keywords (device=, dtype=, non_blocking=, copy=, memory_format=). Returns self when
    nothing changes and copy is False. Only the CPU exists in this build."""
    device, dtype, copy, memory_format = parse_to_args("to", args, kwargs)
    check_host(device, "Tensor.to")
    check_memory_format(memory_format, "Tensor.to")
    if dtype is not None and (dtype != self.dtype or copy):
        return self._to_dtype(dtype, copy=copy)
    if copy:
        return self.clone()
    return self


def _cuda(self, device=None, non_blocking=False):
    """Raises NotImplementedError: tensors stay on the CPU in this build."""
    check_host("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device),
               "Tensor.cuda")
    return self


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
Tensor.cpu = lambda self, memory_format=None: self
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
