"""st.save / st.load: a tensor, or dicts, lists and tuples nesting tensors and plain values,
stored in a safetensors file (written atomically by the C++ core). Tensors go in the file body
under their dotted key paths ("0.weight", "state.3.exp_avg"), so `safetensors` users see
torch-like names; the nesting and the non-tensor values go as JSON in the metadata entry
"steepest.structure". A plain safetensors file loads as a dict name -> tensor.

st.save(..., format="torch") (the default for a path ending in .pt or .pth) writes torch's zip
checkpoint instead, which torch.load(f, weights_only=True) reads; st.load tells the formats
apart by their first bytes and reads torch checkpoints under torch's weights_only rules."""
from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
from typing import Any, Optional

from . import _core, _file_kind, _torch_pickle, _torch_pickle_writer, _torch_zip
from ._core import Tensor
from ._typing import PathLike

__all__ = ["save", "load"]

_STRUCTURE_KEY = "steepest.structure"
_VERSION = 1
_SUPPORTED = "tensors, dicts (str or int keys), lists, tuples, int, float, str, bool and None"


def _fspath(path: PathLike) -> str:
    """A str path from a str, bytes or os.PathLike (TypeError for anything else, as open())."""
    p = os.fspath(path)
    return os.fsdecode(p) if isinstance(p, bytes) else p


def _native(path: str) -> bytes:
    """The path's bytes for the C++ core: a file name that is not UTF-8 (legal on Linux, held
    in a str through surrogate escapes) reaches the file system unchanged."""
    return os.fsencode(path)


def _where(keys):
    """The Python expression reaching a value inside the saved object: obj['state'][0]."""
    return "obj" + "".join(f"[{k!r}]" for k in keys)


class _Encoder:
    """Turns an object into a JSON tree plus the (name, tensor) list. Structure nodes:
    a JSON scalar as itself; {"tensor": name[, "requires_grad": true]}; {"dict": [[key, node],
    ...]} (in order; keys keep their type); {"list": [...]}; {"tuple": [...]}."""

    def __init__(self):
        self.tensors = []  # (name, tensor) in the order met
        self._names = set()
        self._by_id = {}  # id(tensor) -> name: a tensor reached twice is stored once
        self._open: set[int] = set()  # ids of the containers on the path from the root

    def _enter(self, x, keys):
        if id(x) in self._open:
            raise ValueError(f"st.save: {_where(keys)} contains itself (a reference cycle); only trees of "
                             f"containers can be saved")
        self._open.add(id(x))

    def _unique(self, keys):
        base = ".".join(str(k) for k in keys) or "tensor"
        name, n = base, 0
        while name in self._names or name == "__metadata__":
            n += 1
            name = f"{base}.{n}"
        self._names.add(name)
        return name

    def encode(self, x, keys):
        if isinstance(x, Tensor):
            name = self._by_id.get(id(x))
            if name is None:
                name = self._unique(keys)
                self._by_id[id(x)] = name
                self.tensors.append((name, x))
            node = {"tensor": name}
            if x.requires_grad:
                node["requires_grad"] = True
            return node
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if isinstance(x, dict):
            self._enter(x, keys)
            items = []
            for k, v in x.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(f"st.save: dict key {k!r} ({type(k).__name__}) in {_where(keys)} is not "
                                    f"supported; keys must be str or int")
                items.append([k, self.encode(v, keys + [k])])
            self._open.discard(id(x))
            return {"dict": items}
        if isinstance(x, (list, tuple)):
            self._enter(x, keys)
            tag = "tuple" if isinstance(x, tuple) else "list"
            node = {tag: [self.encode(v, keys + [i]) for i, v in enumerate(x)]}
            self._open.discard(id(x))
            return node
        raise TypeError(f"st.save: can't save an object of type {type(x).__module__}.{type(x).__qualname__} "
                        f"at {_where(keys)}; supported: {_SUPPORTED}")


def _is_file_object(f: Any) -> bool:
    return not isinstance(f, (str, bytes, os.PathLike)) and (hasattr(f, "write") or hasattr(f, "read"))


_TORCH_SUFFIXES = (".pt", ".pth")


def _torch_parts(obj: Any, what: str) -> list[Any]:
    """The byte parts of a torch zip checkpoint of `obj` (the records torch.save writes)."""
    try:
        pickled, records = _torch_pickle_writer.dump(obj, what)
    except RecursionError:
        raise ValueError(f"{what}: the object nests containers too deeply to save") from None
    z = _torch_zip.Writer()
    z.add("archive/data.pkl", pickled)
    z.add("archive/.format_version", b"1")
    z.add("archive/.storage_alignment", b"64")
    z.add("archive/byteorder", sys.byteorder.encode())
    for key, values in records:
        z.add(f"archive/data/{key}", _torch_zip.as_bytes(values))
    z.add("archive/version", b"3\n")
    return z.finish()


def _save_format(path: Any, format: Optional[str], torch_kwargs: dict[str, Any]) -> str:
    if format is None:
        named = not _is_file_object(path)
        format = "torch" if named and _fspath(path).lower().endswith(_TORCH_SUFFIXES) else "safetensors"
    if format not in ("safetensors", "torch"):
        raise ValueError(f"st.save: format must be 'safetensors' or 'torch', got {format!r}")
    if format == "safetensors" and torch_kwargs:
        raise TypeError(f"st.save: unsupported keyword arguments {sorted(torch_kwargs)} (the safetensors format "
                        f"takes none; format='torch' accepts torch's pickle_protocol=2 and "
                        f"_use_new_zipfile_serialization=True)")
    for k, v in torch_kwargs.items():
        ok = {"pickle_protocol": 2, "_use_new_zipfile_serialization": True}
        if k not in ok or v != ok[k] or isinstance(v, bool) != isinstance(ok[k], bool):
            raise TypeError(f"st.save: {k}={v!r} is not supported (steepest writes torch's zip format with pickle "
                            f"protocol 2, as torch does by default)")
    return format


def save(obj: Any, path: Any, *, checksum: bool = False, format: Optional[str] = None, **torch_kwargs: Any) -> None:
    """Saves `obj` to `path` as safetensors (the default) or as a torch checkpoint.

    format="safetensors": `obj` is a tensor, or dicts/lists/tuples of tensors and JSON-able
    values. A tensor reached twice is stored once and loads back as one shared tensor. With
    checksum=True each tensor's CRC-32 is stored too (as safetensors metadata) and st.load
    verifies it, so flipped bytes raise.

    format="torch" (the default when `path` ends in .pt or .pth): torch's zip checkpoint, which
    torch.load(f, weights_only=True) reads. It holds tensors and Parameters (views of one memory
    keep sharing it), dict, OrderedDict, list, tuple, set, int, float, complex, str, bytes, bool,
    None, dtypes and devices: what torch's weights_only=True load accepts. Every zip entry
    carries a CRC-32, which st.load always checks (checksum= changes nothing here). torch's
    pickle_protocol=2 and _use_new_zipfile_serialization=True are accepted.

    The file is replaced atomically: on any error the previous file at `path` is untouched.
    A symlink is written through (its target is replaced); an existing file keeps its
    permission bits, a new one gets the umask's. Unsupported objects raise TypeError naming
    where they sit in `obj`, before any file is written.

    `path` may also be a binary file object (open(..., "wb"), io.BytesIO): the same bytes
    are written to it, at its current position (safetensors unless format="torch").
    """
    fmt = _save_format(path, format, torch_kwargs)
    if fmt == "torch":
        what = "st.save" if _is_file_object(path) else f"st.save('{_fspath(path)}')"
        if _is_file_object(path) and not hasattr(path, "write"):
            raise TypeError(f"st.save: the file object {type(path).__name__} has no write()")
        parts = _torch_parts(obj, what)
        if _is_file_object(path):
            for part in parts:
                path.write(part)
        else:
            _core._write_file_atomically(_native(_fspath(path)), parts)
        return
    if _is_file_object(path):
        if not hasattr(path, "write"):
            raise TypeError(f"st.save: the file object {type(path).__name__} has no write()")
        # The core writes files atomically by name; a file object gets the finished file's bytes.
        with tempfile.TemporaryDirectory(prefix="steepest-save-") as tmp:
            name = os.path.join(tmp, "object.safetensors")
            save(obj, name, checksum=checksum, format="safetensors")
            with open(name, "rb") as f:
                shutil.copyfileobj(f, path)
        return
    file = _fspath(path)
    enc = _Encoder()
    try:
        root = enc.encode(obj, [])
        structure = json.dumps({"version": _VERSION, "root": root}, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        raise ValueError(f"st.save('{file}'): the object nests containers too deeply to save "
                         f"(more than about {sys.getrecursionlimit() // 2} levels)") from None
    _core._save_tensors(_native(file), enc.tensors, {_STRUCTURE_KEY: structure}, checksum)


def _decode(node, tensors, path, keys):
    def bad(problem):
        return ValueError(f"st.load('{path}'): metadata '{_STRUCTURE_KEY}' is corrupt at {_where(keys)}: {problem}")

    if not isinstance(node, dict):
        if isinstance(node, list):
            raise bad("untagged array")
        return node
    if len(node) == 1 and "dict" in node:
        if not isinstance(node["dict"], list):
            raise bad("'dict' must hold an array of [key, value] pairs")
        out = {}
        for item in node["dict"]:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                    and not isinstance(item[0], bool)):
                raise bad(f"dict items must be [str or int key, value] pairs, got {json.dumps(item)[:80]}")
            out[item[0]] = _decode(item[1], tensors, path, keys + [item[0]])
        return out
    for tag, kind in (("list", list), ("tuple", tuple)):
        if len(node) == 1 and tag in node:
            if not isinstance(node[tag], list):
                raise bad(f"'{tag}' must hold an array")
            return kind(_decode(v, tensors, path, keys + [i]) for i, v in enumerate(node[tag]))
    if "tensor" in node and set(node) <= {"tensor", "requires_grad"}:
        t = tensors.get(node["tensor"]) if isinstance(node["tensor"], str) else None
        if t is None:
            raise bad(f"no tensor named {node['tensor']!r} in the file")
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t
    raise bad(f"unknown node {json.dumps(node)[:80]}")


def _check_map_location(map_location: Any) -> None:
    """Every tensor loads on the CPU: accept the locations that mean the CPU, refuse others."""
    from ._devices import check_host
    if map_location is None:
        return
    if isinstance(map_location, dict):
        for v in map_location.values():
            check_host(v, "st.load(map_location=...)")
        return
    if callable(map_location):
        raise NotImplementedError("st.load(map_location=<function>): functions are not supported; tensors always "
                                  "load on the CPU (pass map_location='cpu' or leave it out)")
    check_host(map_location, "st.load(map_location=...)")


def _open_regular(file: str) -> Optional[int]:
    """A read descriptor of `file` when it is a regular file, else None (the core's reader then
    refuses it with its own message). Opened non-blocking, so a FIFO swapped in never blocks."""
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            return None
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        os.set_blocking(fd, True)
    except OSError:
        os.close(fd)
        return None
    return fd


def _load_torch(f: Any, size: int, what: str) -> Any:
    return _torch_pickle.load(_torch_zip.Archive(f, size, what), what)


def load(path: Any, map_location: Any = None, *, weights_only: Optional[bool] = None, mmap: Optional[bool] = None,
         **torch_kwargs: Any) -> Any:
    """Loads every tensor on the CPU (see _load_host), then moves them to map_location when
    that is a single GPU device ('cuda', 'cuda:0', st.device('cuda'))."""
    from ._devices import check_device
    target = None
    if map_location is not None and not isinstance(map_location, dict) and not callable(map_location):
        target = check_device(map_location, "st.load(map_location=...)")
    if target is None or target.type == "cpu":
        return _load_host(path, map_location, weights_only=weights_only, mmap=mmap, **torch_kwargs)
    return _to_device_tree(_load_host(path, None, weights_only=weights_only, mmap=mmap, **torch_kwargs), target)


def _to_device_tree(obj: Any, device: Any) -> Any:
    """obj with every tensor in it (nested in dicts, lists, tuples, sets) moved to `device`;
    Parameters stay Parameters."""
    from .nn.parameter import Parameter
    if isinstance(obj, Parameter):
        return Parameter(_core._to_device(obj.detach(), device), requires_grad=obj.requires_grad)
    if isinstance(obj, _core.Tensor):
        return _core._to_device(obj, device)
    if isinstance(obj, dict):
        out = type(obj)() if type(obj) is not dict else {}
        for k, v in obj.items():
            out[k] = _to_device_tree(v, device)
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_to_device_tree(v, device) for v in obj))
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(_to_device_tree(v, device) for v in obj)
    return obj


def _load_host(path: Any, map_location: Any = None, *, weights_only: Optional[bool] = None,
               mmap: Optional[bool] = None, **torch_kwargs: Any) -> Any:
    """Loads a safetensors file (what st.save writes by default) or a torch zip checkpoint
    (torch.save's format, or st.save(..., format="torch")); the first bytes tell which.

    What st.save wrote comes back with the same nesting (tuples stay tuples, dict order kept).
    A safetensors file written by another program loads as a dict name -> tensor, in the
    file's order. A torch checkpoint is read without torch and under torch's
    weights_only=True rules whatever weights_only says: tensors, Parameters, dicts,
    OrderedDicts, lists, tuples, sets and plain values are rebuilt, any other global is
    refused by name (UnsafeGlobalError, a ValueError). Tensors that were views of one storage
    share memory again. torch integer dtypes steepest lacks (int8, uint8, int16, uint16,
    uint32) load widened to int32/int64 with a warning. A corrupt or truncated file raises
    ValueError naming the file and the problem; nothing is returned half-loaded. A file of
    another kind (torch's legacy format, numpy .npy, a plain pickle, text ...) raises
    ValueError saying what it is.

    `path` may also be a binary file object (read from its current position to the end).
    map_location may be None, 'cpu', st.device('cpu') or a dict whose targets are the CPU:
    every tensor loads on the CPU (a checkpoint saved from a GPU too). mmap is accepted and
    changes nothing.
    """
    if torch_kwargs:
        raise TypeError(f"st.load: unsupported keyword arguments {sorted(torch_kwargs)}")
    _check_map_location(map_location)
    if _is_file_object(path):
        if not hasattr(path, "read"):
            raise TypeError(f"st.load: the file object {type(path).__name__} has no read()")
        with tempfile.TemporaryDirectory(prefix="steepest-load-") as tmp:
            name = os.path.join(tmp, "object.safetensors")
            with open(name, "wb") as f:
                shutil.copyfileobj(path, f)
            return _load_host(name)
    file = _fspath(path)
    fd = _open_regular(file)
    head, size = b"", 0
    if fd is not None:
        with os.fdopen(fd, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(_file_kind.HEAD)
            kind = _file_kind.foreign(head)
            if kind is not None:
                raise ValueError(f"st.load('{file}'): the file is {kind}")
            if _file_kind.is_zip(head):
                return _load_torch(f, size, f"st.load('{file}')")
    try:
        pairs, metadata = _core._load_tensors(_native(file))
    except ValueError as e:
        if fd is None:
            raise
        raise ValueError(f"{e}{_file_kind.hint(head, size)}") from None
    tensors = dict(pairs)
    text = metadata.get(_STRUCTURE_KEY)
    if text is None:
        return tensors
    # json and _decode recurse once per level: a crafted file nesting thousands of levels
    # runs out of stack (RecursionError), which is a corrupt file like any other here.
    try:
        doc = json.loads(text)
    except RecursionError:
        raise _too_deep(file) from None
    except ValueError as e:
        raise ValueError(f"st.load('{file}'): metadata '{_STRUCTURE_KEY}' is not valid JSON: {e}") from None
    if not (isinstance(doc, dict) and doc.get("version") == _VERSION and "root" in doc):
        raise ValueError(f"st.load('{file}'): metadata '{_STRUCTURE_KEY}' is not a version-{_VERSION} structure "
                         f"(written by a newer steepest?)")
    try:
        return _decode(doc["root"], tensors, file, [])
    except RecursionError:
        raise _too_deep(file) from None


def _too_deep(file):
    return ValueError(f"st.load('{file}'): metadata '{_STRUCTURE_KEY}' is corrupt: nested too deeply to load")
