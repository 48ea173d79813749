"""Writing the pickle of a torch checkpoint (data.pkl) without torch: protocol-2 opcodes
emitted by hand, naming torch's own rebuild functions, so that torch.load(f, weights_only=True)
reads the result; plus the plan of storage records (views of one memory share one record
when that costs no extra bytes)."""
from __future__ import annotations

import pickle
import struct
from collections import OrderedDict
from typing import Any

import numpy as np

from . import _core
from ._core import Tensor
from ._torch_pickle import _DTYPES, _TORCH_NAME


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
    if t.dtype in (_core.float8_e4m3fn, _core.float8_e5m2):  # its bytes, through Tensor.view
        n = t.numel()
        padded = _core.zeros(((n + 3) // 4 * 4,), dtype=t.dtype)
        padded[:n] = t.reshape(-1)
        return np.ascontiguousarray(padded.view(_core.int32).numpy()).view(np.uint8)[:n]
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
        storage_class = _DTYPES[torch_name][0]
        # dtypes without a legacy storage class (FP8) are saved as torch does: an untyped
        # (byte) storage, the dtype given to _rebuild_tensor_v3.
        self.out += _global("torch._utils", "_rebuild_tensor_v2" if storage_class else "_rebuild_tensor_v3") + b"(("
        self._str("storage")
        self.out += _global("torch", storage_class) if storage_class else _global("torch.storage", "UntypedStorage")
        self._str(key)
        self._str("cpu")
        self._int(int(self.records[int(key)][1].size))
        self.out += b"tQ"
        self._int(offset)
        self._tuple(list(t.shape), [])
        self._tuple(list(stride), [])
        self.out += b"\x88" if requires_grad else b"\x89"
        self.out += _global("collections", "OrderedDict") + b")R"
        if not storage_class:
            self.out += _global("torch", torch_name)
        self.out += b"tR"

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
