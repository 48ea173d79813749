"""The pickle inside torch checkpoints (data.pkl), both ways, without torch.

Reading follows torch's weights_only=True rules: only tensors (and Parameters), dicts,
OrderedDicts, lists, tuples, sets and plain values (int, float, complex, str, bytes, bool,
None, torch.Size, torch.dtype, torch.device) are rebuilt; any other global is refused by name
before anything is called. The opcodes are checked in a first pass (no object-building opcode
beyond the ones torch writes, memo indices bounded by the file's size) so that a crafted pickle
can neither run code nor make the unpickler allocate more than the file holds.

Writing emits protocol-2 opcodes by hand, naming torch's own rebuild functions, so that
torch.load(f, weights_only=True) reads the result."""
from __future__ import annotations

import io
import pickle
import pickletools
import re
import struct
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
    "float8_e4m3fn": (None, None, None), "float8_e5m2": (None, None, None),
    "float8_e4m3fnuz": (None, None, None), "float8_e5m2fnuz": (None, None, None),
    "qint8": ("QInt8Storage", None, None), "quint8": ("QUInt8Storage", None, None),
    "qint32": ("QInt32Storage", None, None), "quint4x2": ("QUInt4x2Storage", None, None),
    "quint2x4": ("QUInt2x4Storage", None, None),
}
_STORAGE_DTYPE = {v[0]: k for k, v in _DTYPES.items() if v[0]}
_TORCH_NAME = {v[2]: k for k, v in _DTYPES.items() if v[2] is not None and k in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "bool")}
_WIDENED = ("int16", "int8", "uint8", "uint16", "uint32")
_LIMIT = 1 << 62  # sizes, strides and offsets beyond this are corrupt, whatever the storage
_LOCATION = re.compile(r"(cpu|cuda|mps|xpu|hpu|mtia|xla|privateuseone)(:[0-9]{1,5})?")  # where a storage lived


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
        elif s.raw.nbytes < nbytes:
            raise self.archive.corrupt(f"storage '{key}' is {s.raw.nbytes} bytes, used as {nbytes}")
        return (s, dtype)

    # -- rebuilding ----------------------------------------------------------------------------
    def to_tensor(self, raw: np.ndarray, dtype: str, big_endian: bool) -> Tensor:
        """A 1-D steepest tensor of a storage's bytes read as torch dtype `dtype`."""
        _, npt, target = _DTYPES[dtype]
        if target is None:
            raise ValueError(f"torch.{dtype} tensors are not supported: steepest has no such dtype (it has "
                             f"float32/64, float16, bfloat16, int32/64 and bool)")
        size = np.dtype(npt).itemsize
        vals = raw[: raw.nbytes - raw.nbytes % size].view(npt)
        if big_endian and size > 1:
            vals = vals.byteswap()
        if dtype == "bool":
            return _core.from_numpy(vals != 0)  # any non-zero byte is True (never an invalid bool)
        if dtype == "bfloat16":
            wide = (vals.astype(np.uint32) << 16).view(np.float32)
            return _core.from_numpy(wide)._to_dtype(_core.bfloat16)
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


# ---- writing -----------------------------------------------------------------------------------

def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _where(keys: list[Any]) -> str:
    return "obj" + "".join(f"[{k!r}]" for k in keys)


def _extent(t: Tensor) -> tuple[int, int]:
    """The first and last storage elements a non-empty tensor touches."""
    lo = hi = t.storage_offset()
    for n, st in zip(t.shape, t.stride()):
        span = (n - 1) * st
        if span < 0:
            lo += span
        else:
            hi += span
    return lo, hi


def _element_bytes(t: Tensor) -> np.ndarray:
    """A contiguous tensor's elements as a numpy array with torch's byte layout."""
    if t.dtype == _core.bfloat16:
        return (np.ascontiguousarray(t._to_dtype(_core.float32).numpy()).view(np.uint32) >> 16).astype(np.uint16)
    return np.ascontiguousarray(t.numpy())


class Writer:
    """Turns an object into data.pkl's bytes plus the storage records [(key, array)]."""

    _SCALARS = (type(None), bool, int, float, complex, str, bytes)

    def __init__(self, what: str) -> None:
        self.what = what
        self.out = bytearray(b"\x80\x02")
        self.memo: dict[int, int] = {}
        self.open: set[int] = set()
        self.tensors: dict[int, Tensor] = {}
        self.place: dict[int, tuple[str, int, tuple[int, ...]]] = {}  # id -> (storage key, offset, stride)
        self.records: list[tuple[str, np.ndarray]] = []

    # -- pass 1: check everything and plan the storages -----------------------------------------
    def collect(self, x: Any, keys: list[Any]) -> None:
        from .nn import Parameter
        if isinstance(x, Tensor):
            if x.device.type != "cpu":
                raise ValueError(f"{self.what}: the tensor at {_where(keys)} is on {x.device}; save CPU tensors")
            self.tensors.setdefault(id(x), x)
            if isinstance(x, Parameter) and getattr(x, "__dict__", None):
                self.collect(dict(x.__dict__), keys + ["__dict__"])
            return
        if isinstance(x, self._SCALARS) or isinstance(x, (_core.dtype, _core.device)):
            return
        if isinstance(x, (dict, list, tuple, set, frozenset)):
            if id(x) in self.open:
                raise ValueError(f"{self.what}: {_where(keys)} contains itself (a reference cycle)")
            self.open.add(id(x))
            if isinstance(x, dict):
                for k, v in x.items():
                    if not isinstance(k, self._SCALARS + (tuple, _core.dtype)):
                        raise TypeError(f"{self.what}: dict key {k!r} ({type(k).__name__}) in {_where(keys)} is "
                                        f"not supported")
                    self.collect(k, keys + ["<key>"])
                    self.collect(v, keys + [k])
                extra = getattr(x, "__dict__", None)
                if type(x) is OrderedDict and extra:
                    self.collect(dict(extra), keys + ["__dict__"])
                elif type(x) not in (dict, OrderedDict):
                    raise TypeError(f"{self.what}: {_where(keys)} is a {type(x).__qualname__}; only dict and "
                                    f"OrderedDict load with torch's weights_only=True")
            else:
                if type(x) not in (list, tuple, set):
                    raise TypeError(f"{self.what}: {_where(keys)} is a {type(x).__qualname__}; only list, tuple and "
                                    f"set load with torch's weights_only=True")
                for i, v in enumerate(x):
                    self.collect(v, keys + [i])
            self.open.discard(id(x))
            return
        raise TypeError(f"{self.what}: can't save an object of type {type(x).__module__}.{type(x).__qualname__} "
                        f"at {_where(keys)} in torch's format; supported: tensors, Parameters, dict, OrderedDict, "
                        f"list, tuple, set, int, float, complex, str, bytes, bool, None, dtypes and devices")

    def plan(self) -> None:
        """Storage records: views of one memory share a record when that costs no more bytes than
        writing each alone (so a small slice never drags its whole base into the file)."""
        groups: dict[tuple[int, Any], list[Tensor]] = {}
        for t in self.tensors.values():
            if t.numel() == 0:
                groups[(-len(groups) - 1, t.dtype)] = [t]
                continue
            base = t.data_ptr() - t.storage_offset() * t.element_size()
            groups.setdefault((base, t.dtype), []).append(t)
        for members in groups.values():
            spans = [(_extent(t), t) for t in members if t.numel()]
            if spans:
                lo = min(s[0][0] for s in spans)
                hi = max(s[0][1] for s in spans)
                if hi - lo + 1 <= sum(t.numel() for t in members) and len(members) > 1:
                    key = str(len(self.records))
                    values = members[0].detach().as_strided([hi - lo + 1], [1], lo)
                    self.records.append((key, _element_bytes(values)))
                    for t in members:
                        self.place[id(t)] = (key, t.storage_offset() - lo, tuple(t.stride()))
                    continue
            for t in members:
                key = str(len(self.records))
                c = t.detach().contiguous()
                self.records.append((key, _element_bytes(c)))
                self.place[id(t)] = (key, 0, tuple(c.stride()))

    # -- pass 2: emit --------------------------------------------------------------------------
    def _int(self, v: int) -> None:
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)
        elif -(1 << 31) <= v < (1 << 31):
            self.out += b"J" + struct.pack("<i", v)
        else:
            b = pickle.encode_long(v)
            self.out += (b"\x8a" + bytes([len(b)]) if len(b) < 256 else b"\x8b" + struct.pack("<I", len(b))) + b

    def _str(self, s: str) -> None:
        b = s.encode("utf-8", "surrogatepass")
        self.out += b"X" + struct.pack("<I", len(b)) + b

    def _tuple(self, items: list[Any], keys: list[Any]) -> None:
        if len(items) <= 3:
            for i, v in enumerate(items):
                self.emit(v, keys + [i])
            self.out += (b")", b"\x85", b"\x86", b"\x87")[len(items)]
        else:
            self.out += b"("
            for i, v in enumerate(items):
                self.emit(v, keys + [i])
            self.out += b"t"

    def _memo_put(self, x: Any) -> None:
        n = len(self.memo)
        self.memo[id(x)] = n
        self.out += b"q" + bytes([n]) if n < 256 else b"r" + struct.pack("<I", n)

    def _tensor(self, t: Tensor, requires_grad: bool) -> None:
        key, offset, stride = self.place[id(t)]
        torch_name = _TORCH_NAME[t.dtype]
        self.out += _global("torch._utils", "_rebuild_tensor_v2") + b"(("
        self._str("storage")
        self.out += _global("torch", _DTYPES[torch_name][0] or "")
        self._str(key)
        self._str("cpu")
        self._int(int(self.records[int(key)][1].size))
        self.out += b"tQ"
        self._int(offset)
        self._tuple(list(t.shape), [])
        self._tuple(list(stride), [])
        self.out += b"\x88" if requires_grad else b"\x89"
        self.out += _global("collections", "OrderedDict") + b")Rt" + b"R"

    def emit(self, x: Any, keys: list[Any]) -> None:
        from .nn import Parameter
        if id(x) in self.memo:
            n = self.memo[id(x)]
            self.out += b"h" + bytes([n]) if n < 256 else b"j" + struct.pack("<I", n)
            return
        if x is None:
            self.out += b"N"
        elif x is True or x is False:
            self.out += b"\x88" if x else b"\x89"
        elif isinstance(x, int):
            self._int(int(x))
        elif isinstance(x, float):
            self.out += b"G" + struct.pack(">d", x)
        elif isinstance(x, complex):
            self.out += _global("__builtin__", "complex")
            self.out += b"G" + struct.pack(">d", x.real) + b"G" + struct.pack(">d", x.imag) + b"\x86R"
        elif isinstance(x, str):
            self._str(x)
        elif isinstance(x, bytes):
            self.out += _global("_codecs", "encode")
            self._str(x.decode("latin1"))
            self._str("latin1")
            self.out += b"\x86R"
        elif isinstance(x, _core.dtype):
            self.out += _global("torch", _TORCH_NAME[x])
        elif isinstance(x, _core.device):
            self.out += _global("torch", "device")
            self._str(x.type)
            if x.index is not None:
                self._int(x.index)
            self.out += b"\x86R" if x.index is not None else b"\x85R"
        elif isinstance(x, Tensor):
            if isinstance(x, Parameter):
                state = getattr(x, "__dict__", None)
                fn = "_rebuild_parameter_with_state" if state else "_rebuild_parameter"
                self.out += _global("torch._utils", fn) + b"("
                self._tensor(x, False)
                self.out += b"\x88" if x.requires_grad else b"\x89"
                self.out += _global("collections", "OrderedDict") + b")R"
                if state:
                    self.emit(dict(state), keys + ["__dict__"])
                self.out += b"tR"
            else:
                self._tensor(x, x.requires_grad)
            self._memo_put(x)
        elif isinstance(x, dict):
            if type(x) is OrderedDict:
                self.out += _global("collections", "OrderedDict") + b")R"
            else:
                self.out += b"}"
            items = list(x.items())
            for start in range(0, len(items), 1000):
                self.out += b"("
                for k, v in items[start:start + 1000]:
                    self.emit(k, keys + ["<key>"])
                    self.emit(v, keys + [k])
                self.out += b"u"
            extra = getattr(x, "__dict__", None)
            if type(x) is OrderedDict and extra:
                self.emit(dict(extra), keys + ["__dict__"])
                self.out += b"b"
            self._memo_put(x)
        elif isinstance(x, list):
            self.out += b"]"
            for start in range(0, len(x), 1000):
                self.out += b"("
                for i, v in enumerate(x[start:start + 1000]):
                    self.emit(v, keys + [start + i])
                self.out += b"e"
            self._memo_put(x)
        elif isinstance(x, tuple):
            self._tuple(list(x), keys)
        elif isinstance(x, set):
            self.out += _global("__builtin__", "set") + b"]"
            if x:
                self.out += b"("
                for v in x:
                    self.emit(v, keys + ["<item>"])
                self.out += b"e"
            self.out += b"\x85R"
            self._memo_put(x)
        else:  # collect() refused everything else before
            raise TypeError(f"{self.what}: can't save {type(x).__name__} at {_where(keys)}")

    def finish(self) -> bytes:
        self.out += b"."
        return bytes(self.out)


def dump(obj: Any, what: str) -> tuple[bytes, list[tuple[str, np.ndarray]]]:
    """data.pkl's bytes and the storage records for `obj`."""
    w = Writer(what)
    w.collect(obj, [])
    w.plan()
    w.emit(obj, [])
    return w.finish(), w.records
