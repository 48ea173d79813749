"""Reading the pickle inside torch checkpoints (data.pkl) without torch, and the dtype tables
that _torch_pickle_writer shares.

Reading follows torch's weights_only=True rules: only tensors (and Parameters), dicts,
OrderedDicts, lists, tuples, sets and plain values (int, float, complex, str, bytes, bool,
None, torch.Size, torch.dtype, torch.device) are rebuilt; any other global is refused by name
before anything is called. The opcodes are checked in a first pass (no object-building opcode
beyond the ones torch writes, memo indices bounded by the file's size) so that a crafted pickle
can neither run code nor make the unpickler allocate more than the file holds."""
from __future__ import annotations

import io
import pickle
import pickletools
import re
import warnings
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from . import _core
from ._core import Tensor
from ._torch_zip import Archive

# torch dtype name -> (legacy storage class, numpy type of the stored elements, steepest dtype).
# Integer dtypes steepest lacks load widened to one that holds every value (with a warning).
_DTYPES: dict[str, tuple[Optional[str], Any, Optional[_core.dtype]]] = {
    "float32": ("FloatStorage", np.float32, _core.float32),
    "float64": ("DoubleStorage", np.float64, _core.float64),
    "float16": ("HalfStorage", np.float16, _core.float16),
    "bfloat16": ("BFloat16Storage", np.uint16, _core.bfloat16),
    "int64": ("LongStorage", np.int64, _core.int64),
    "int32": ("IntStorage", np.int32, _core.int32),
    "bool": ("BoolStorage", np.uint8, _core.bool),
    "int16": ("ShortStorage", np.int16, _core.int32),
    "int8": ("CharStorage", np.int8, _core.int32),
    "uint8": ("ByteStorage", np.uint8, _core.int32),
    "uint16": (None, np.uint16, _core.int32),
    "uint32": (None, np.uint32, _core.int64),
    "uint64": (None, np.uint64, None),
    "complex64": ("ComplexFloatStorage", np.complex64, None),
    "complex128": ("ComplexDoubleStorage", np.complex128, None),
    "complex32": ("ComplexHalfStorage", None, None),
    "float8_e4m3fn": (None, np.uint8, _core.float8_e4m3fn), "float8_e5m2": (None, np.uint8, _core.float8_e5m2),
    "float8_e4m3fnuz": (None, None, None), "float8_e5m2fnuz": (None, None, None),
    "qint8": ("QInt8Storage", None, None), "quint8": ("QUInt8Storage", None, None),
    "qint32": ("QInt32Storage", None, None), "quint4x2": ("QUInt4x2Storage", None, None),
    "quint2x4": ("QUInt2x4Storage", None, None),
}
_STORAGE_DTYPE = {v[0]: k for k, v in _DTYPES.items() if v[0]}
_TORCH_NAME = {v[2]: k for k, v in _DTYPES.items() if v[2] is not None and k in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "bool", "float8_e4m3fn", "float8_e5m2")}
_WIDENED = ("int16", "int8", "uint8", "uint16", "uint32")
_LIMIT = 1 << 62  # sizes, strides and offsets beyond this are corrupt, whatever the storage
_LOCATION = re.compile(r"(cpu|cuda|mps|xpu|hpu|mtia|xla|privateuseone)(:[0-9]{1,5})?")  # where a storage lived


def _float8_from_bits(bits: np.ndarray, dtype: _core.dtype) -> Tensor:
    """A 1-D FP8 tensor holding these bytes: they travel as int32 words (numpy has no FP8
    type without ml_dtypes) and are reinterpreted by Tensor.view(dtype)."""
    n = bits.size
    words = np.zeros((n + 3) // 4 * 4, dtype=np.uint8)
    words[:n] = bits
    t: Tensor = _core.from_numpy(words.view("<i4").copy()).view(dtype)
    return t[:n].clone()


class UnsafeGlobalError(pickle.UnpicklingError, ValueError):
    """A checkpoint names a global outside torch's weights_only=True allowlist."""


class _Marker:
    """A stand-in for a torch type named by the pickle (a storage class, Tensor, Parameter,
    a dtype steepest lacks). Slotted: a BUILD opcode can't attach attributes to it."""
    __slots__ = ("kind", "name")

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


# The opcodes torch's writer (protocol 2) and Python's picklers use for plain data. Missing on
# purpose: INST, OBJ, NEWOBJ, NEWOBJ_EX and EXT1/2/4 (they build instances of named classes),
# and the out-of-band buffer opcodes.
_OPCODES = {
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP", "NONE", "NEWTRUE", "NEWFALSE", "INT", "BININT",
    "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT", "STRING", "BINSTRING", "SHORT_BINSTRING",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
    "BINUNICODE8", "EMPTY_LIST", "APPEND", "APPENDS", "LIST", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2",
    "TUPLE3", "EMPTY_DICT", "DICT", "SETITEM", "SETITEMS", "EMPTY_SET", "ADDITEMS", "FROZENSET", "GLOBAL",
    "STACK_GLOBAL", "REDUCE", "BUILD", "PERSID", "BINPERSID", "GET", "BINGET", "LONG_BINGET", "PUT", "BINPUT",
    "LONG_BINPUT", "MEMOIZE",
}


def check_opcodes(data: bytes, what: str) -> None:
    """Refuses opcodes that build arbitrary objects, and memo indices beyond the pickle's size
    (the C unpickler sizes its memo table by the largest index it meets)."""
    limit = max(len(data), 16)
    try:
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            if op.name not in _OPCODES:
                raise UnsafeGlobalError(f"{what}: the pickle uses the {op.name} opcode, which builds arbitrary "
                                        f"objects; torch checkpoints never need it (refused, as torch's "
                                        f"weights_only=True does)")
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET") and \
                    not (isinstance(arg, int) and 0 <= arg < limit):
                raise ValueError(f"{what}: corrupt torch checkpoint: memo index {arg!r} is out of range")
    except UnsafeGlobalError:
        raise
    except ValueError as e:
        if "corrupt torch checkpoint" in str(e):
            raise
        raise ValueError(f"{what}: corrupt torch checkpoint: data.pkl is not a valid pickle ({e})") from None


class _Storage:
    """One storage record (archive/data/<key>): its raw bytes, read on first use, and the
    steepest tensor over them per element type (views of one storage share it)."""

    def __init__(self, raw: np.ndarray, big_endian: bool) -> None:
        self.raw, self.big_endian = raw, big_endian
        self.bases: dict[str, Tensor] = {}

    def base(self, dtype: str, loader: Loader) -> Tensor:
        t = self.bases.get(dtype)
        if t is None:
            t = loader.to_tensor(self.raw, dtype, self.big_endian)
            self.bases[dtype] = t
        return t


def _int(x: Any, what: str, low: int = 0) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or not low <= x < _LIMIT:
        raise ValueError(f"{what} must be an integer in [{low}, 2**62), got {x!r}"[:200])
    return x


def _ints(x: Any, what: str) -> tuple[int, ...]:
    if not isinstance(x, (tuple, list)) or len(x) > 64:
        raise ValueError(f"{what} must be a tuple of at most 64 integers, got {type(x).__name__}")
    return tuple(_int(v, what) for v in x)


class Loader(pickle.Unpickler):
    """Unpickles data.pkl of `archive`, rebuilding tensors from its storage records."""

    def __init__(self, archive: Archive, what: str) -> None:
        data = archive.read("data.pkl")
        check_opcodes(bytes(data), what)
        super().__init__(io.BytesIO(data))
        self.archive, self.what = archive, what
        order = archive.read("byteorder").decode("ascii", "replace").strip() if archive.has("byteorder") else "little"
        if order not in ("little", "big"):
            raise archive.corrupt(f"its byteorder record says {order[:20]!r} (expected 'little' or 'big')")
        self.big_endian = order == "big"
        self.storages: dict[str, _Storage] = {}
        self.storage_dtypes: dict[str, str] = {}  # each key's dtype where it was first read
        self.widened: set[str] = set()
        rebuild: dict[str, Callable[..., Any]] = {
            "_rebuild_tensor_v2": self._rebuild_tensor_v2, "_rebuild_tensor_v3": self._rebuild_tensor_v3,
            "_rebuild_parameter": self._rebuild_parameter,
            "_rebuild_parameter_with_state": self._rebuild_parameter_with_state,
        }
        self.rebuild_fns = set(rebuild.values())
        self.globals: dict[tuple[str, str], Any] = {("torch._utils", k): v for k, v in rebuild.items()}
        self.globals.update({
            ("torch._tensor", "_rebuild_from_type_v2"): self._rebuild_from_type_v2,
            ("collections", "OrderedDict"): OrderedDict, ("collections", "Counter"): Counter,
            ("torch", "Size"): self._size, ("torch", "device"): self._device, ("_codecs", "encode"): self._encode,
            ("torch", "Tensor"): _Marker("type", "Tensor"), ("torch._tensor", "Tensor"): _Marker("type", "Tensor"),
            ("torch.nn.parameter", "Parameter"): _Marker("type", "nn.Parameter"),
            ("torch", "UntypedStorage"): _Marker("storage", "uint8"),
            ("torch.storage", "UntypedStorage"): _Marker("storage", "uint8"),
        })
        self.globals.update({("builtins", "set"): set, ("builtins", "complex"): self._complex,
                             ("builtins", "bytearray"): self._bytearray, ("builtins", "bytes"): self._bytes})
        for storage, dtype in _STORAGE_DTYPE.items():
            self.globals[("torch", storage)] = _Marker("storage", dtype)
        for name in _DTYPES:  # dtype values: steepest's where it has the dtype
            st_dtype = _DTYPES[name][2]
            self.globals[("torch", name)] = st_dtype if name in _TORCH_NAME.values() and st_dtype is not None \
                else _Marker("dtype", name)

    # -- the allowlist -------------------------------------------------------------------------
    def find_class(self, module: str, name: str) -> Any:
        if module == "__builtin__":  # protocol 2 names builtins by their Python 2 module
            module = "builtins"
        fn = self.globals.get((module, name))
        if fn is None:
            raise UnsafeGlobalError(
                f"{self.what}: the checkpoint needs the global '{module}.{name}', which is not allowed: only "
                f"tensors, Parameters, dicts, OrderedDicts, lists, tuples, sets and plain values load (torch's "
                f"weights_only=True rules; steepest never runs code from a file, whatever weights_only says)")
        return fn

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise ValueError(f"unknown persistent id {pid!r}"[:200])
        _, kind, key, _location, numel = pid
        if not (isinstance(kind, _Marker) and kind.kind == "storage"):
            raise ValueError(f"storage type {kind!r} is not a storage class"[:200])
        if not isinstance(key, str) or not isinstance(_location, str):
            raise ValueError("a storage's key and location must be strings")
        if not _LOCATION.fullmatch(_location):  # any device's tensors load on the CPU, but must name one
            raise ValueError(f"storage '{key}' has the unknown location {_location[:40]!r}")
        numel = _int(numel, "a storage's element count")
        dtype = kind.name
        npt = _DTYPES[dtype][1]
        if npt is None:
            raise ValueError(f"torch.{dtype} storages are not supported")
        nbytes = numel * np.dtype(npt).itemsize
        s = self.storages.get(key)
        if s is None:
            name = f"data/{key}"
            if not self.archive.has(name):
                raise self.archive.corrupt(f"storage '{key}' has no record {self.archive.prefix}{name}")
            size = self.archive.entry_size(name)
            if size != nbytes:  # exact, as torch checks
                raise self.archive.corrupt(f"storage '{key}' holds {size} bytes, but {numel} elements of "
                                           f"torch.{dtype} are {nbytes}")
            raw = np.empty(size, dtype=np.uint8)
            self.archive.read(name, raw)
            s = self.storages[key] = _Storage(raw, self.big_endian)
            self.storage_dtypes[key] = dtype
        elif s.raw.nbytes < nbytes:
            raise self.archive.corrupt(f"storage '{key}' is {s.raw.nbytes} bytes, used as {nbytes}")
        # A key named again under another storage type keeps the type it was first read as, as
        # torch's loader does (it caches the typed storage by key).
        return (s, self.storage_dtypes[key])

    # -- rebuilding ----------------------------------------------------------------------------
    def to_tensor(self, raw: np.ndarray, dtype: str, big_endian: bool) -> Tensor:
        """A 1-D steepest tensor of a storage's bytes read as torch dtype `dtype`."""
        _, npt, target = _DTYPES[dtype]
        if target is None:
            raise ValueError(f"torch.{dtype} tensors are not supported: steepest has no such dtype (it has "
                             f"float32/64, float16, bfloat16, float8_e4m3fn, float8_e5m2, int32/64 and bool)")
        size = np.dtype(npt).itemsize
        vals = raw[: raw.nbytes - raw.nbytes % size].view(npt)
        if big_endian and size > 1:
            vals = vals.byteswap()
        if dtype == "bool":
            return _core.from_numpy(vals != 0)  # any non-zero byte is True (never an invalid bool)
        if dtype == "bfloat16":
            wide = (vals.astype(np.uint32) << 16).view(np.float32)
            return _core.from_numpy(wide)._to_dtype(_core.bfloat16)
        if target in (_core.float8_e4m3fn, _core.float8_e5m2):
            return _float8_from_bits(vals, target)
        if dtype in _WIDENED:
            self.widened.add(dtype)
            vals = vals.astype(np.int64 if target == _core.int64 else np.int32)
        return _core.from_numpy(np.ascontiguousarray(vals))

    def _tensor(self, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any, hooks: Any,
                dtype: Optional[str] = None) -> Tensor:
        if not (isinstance(storage, tuple) and len(storage) == 2 and isinstance(storage[0], _Storage)):
            raise ValueError("a tensor's storage is not a storage record")
        s, sdtype = storage
        dtype = dtype or sdtype
        offset = _int(offset, "a tensor's storage offset")
        size, stride = _ints(size, "a tensor's size"), _ints(stride, "a tensor's stride")
        if len(size) != len(stride):
            raise ValueError(f"a tensor's size {size} and stride {stride} differ in length")
        if hooks:
            raise ValueError("tensors with backward hooks are not supported")
        base = s.base(dtype, self)
        numel = int(np.prod(size, dtype=object)) if size else 1
        if numel == 0:
            t = _core.zeros(list(size), dtype=base.dtype)
        else:
            last = offset + sum((n - 1) * st for n, st in zip(size, stride))
            if last >= base.numel():
                raise ValueError(f"a tensor of size {size}, stride {stride} at offset {offset} reaches element "
                                 f"{last} of a storage of {base.numel()} torch.{dtype} elements")
            t = base.as_strided(list(size), list(stride), offset).detach()
        if requires_grad is not False:
            if requires_grad is not True:
                raise ValueError(f"requires_grad must be a bool, got {requires_grad!r}"[:100])
            t.requires_grad_(True)
        return t

    def _rebuild_tensor_v2(self, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                           hooks: Any, metadata: Any = None) -> Tensor:
        if metadata:
            raise ValueError(f"tensor metadata {metadata!r} is not supported"[:200])
        return self._tensor(storage, offset, size, stride, requires_grad, hooks)

    def _rebuild_tensor_v3(self, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                           hooks: Any, dtype: Any, metadata: Any = None) -> Tensor:
        name = _TORCH_NAME.get(dtype) if isinstance(dtype, _core.dtype) else \
            dtype.name if isinstance(dtype, _Marker) and dtype.kind == "dtype" else None
        if name is None:
            raise ValueError(f"_rebuild_tensor_v3: {dtype!r} is not a dtype"[:200])
        if metadata:
            raise ValueError(f"tensor metadata {metadata!r} is not supported"[:200])
        return self._tensor(storage, offset, size, stride, requires_grad, hooks, name)

    def _rebuild_parameter(self, data: Any, requires_grad: Any, hooks: Any) -> Any:
        from .nn import Parameter
        if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
            raise ValueError("_rebuild_parameter needs a tensor and a bool")
        if hooks:
            raise ValueError("Parameters with backward hooks are not supported")
        return Parameter(data, requires_grad)

    def _rebuild_parameter_with_state(self, data: Any, requires_grad: Any, hooks: Any, state: Any) -> Any:
        p = self._rebuild_parameter(data, requires_grad, hooks)
        self._set_state(p, state)
        return p

    def _set_state(self, obj: Any, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            for part in state:
                self._set_state(obj, part)
            return
        if state is None:
            return
        if not isinstance(state, dict) or not all(isinstance(k, str) and not k.startswith("__") for k in state):
            raise ValueError("a tensor's attributes must be a dict with plain str keys")
        taken = [k for k in state if hasattr(type(obj), k)]
        if taken:  # only new attributes: a file must not replace .data, .grad or a method
            raise ValueError(f"a tensor's saved attributes {taken[:3]} would replace its own")
        for k, v in state.items():
            setattr(obj, k, v)

    def _rebuild_from_type_v2(self, func: Any, new_type: Any, args: Any, state: Any) -> Any:
        if func not in self.rebuild_fns or not isinstance(args, tuple):
            raise ValueError("_rebuild_from_type_v2 needs one of torch's tensor rebuild functions")
        if not (isinstance(new_type, _Marker) and new_type.kind == "type"):
            raise ValueError(f"_rebuild_from_type_v2: {new_type!r} is not a tensor type"[:200])
        t = func(*args)
        from .nn import Parameter
        if new_type.name == "nn.Parameter" and not isinstance(t, Parameter):
            t = Parameter(t, t.requires_grad)
        self._set_state(t, state)
        return t

    def _size(self, dims: Any = ()) -> tuple[int, ...]:
        return _ints(dims, "torch.Size")

    def _device(self, kind: Any, index: Any = None) -> _core.device:
        if not isinstance(kind, str) or not (index is None or (isinstance(index, int) and 0 <= index < 1 << 16)):
            raise ValueError("torch.device needs a str and an optional small index")
        return _core.device(kind) if index is None else _core.device(kind, index)

    def _complex(self, real: Any = 0.0, imag: Any = 0.0) -> complex:
        if not all(isinstance(v, (int, float)) for v in (real, imag)):
            raise ValueError("complex needs two numbers")
        return complex(real, imag)

    def _encode(self, text: Any, encoding: Any = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise ValueError("_codecs.encode is only allowed on a str with encoding 'latin1' (how bytes pickle)")
        return text.encode("latin1")

    def _bytes(self, *args: Any) -> bytes:
        if args == ():
            return b""
        if len(args) == 1 and isinstance(args[0], (bytes, bytearray)):
            return bytes(args[0])
        if len(args) == 2:
            return self._encode(*args)
        raise ValueError("bytes() is only allowed on bytes or a latin1 str")

    def _bytearray(self, *args: Any) -> bytearray:
        return bytearray(self._bytes(*args))


def load(archive: Archive, what: str) -> Any:
    """The object pickled in `archive`'s data.pkl, with its tensors rebuilt."""
    loader = Loader(archive, what)
    try:
        obj = loader.load()
    except (UnsafeGlobalError, MemoryError):
        raise
    except ValueError as e:
        if str(e).startswith(what):
            raise
        raise ValueError(f"{what}: corrupt torch checkpoint: {e}") from None
    except Exception as e:  # any other failure of a damaged pickle (EOFError, TypeError, ...)
        raise ValueError(f"{what}: corrupt torch checkpoint: data.pkl could not be unpickled "
                         f"({type(e).__name__}: {e})"[:500]) from None
    if loader.widened:
        warnings.warn(f"{what}: tensors of dtype {', '.join('torch.' + d for d in sorted(loader.widened))} were "
                      f"widened to int32/int64 (steepest has no such dtype; the values are exact)", stacklevel=3)
    return obj
