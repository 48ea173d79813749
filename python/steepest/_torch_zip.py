"""The zip container of torch checkpoints (torch.save's default since torch 1.6): reading a
checked table of stored entries, and building an archive with 64-byte aligned entry data.

Reading trusts nothing in the file: every entry must be stored uncompressed (torch never
compresses, so a compressed entry can only be a zip bomb or a foreign file), its local header
must agree with the central directory, its bytes must lie inside the file, and its CRC-32 is
checked when read. Sizes are checked before anything is allocated, so a declared size can
never make us allocate more than the file holds."""
from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Any, BinaryIO

import numpy as np

# Exceptions the standard zipfile parser raises on a damaged directory.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, struct.error, ValueError, OverflowError,
               UnicodeDecodeError, NotImplementedError, IndexError, KeyError, TypeError)

_LOCAL = struct.Struct("<4s5H3L2H")  # local file header: signature ... name length, extra length
_ALIGN = 64  # torch aligns storages so that its mmap=True load can map them in place


class Archive:
    """The entries of a torch zip checkpoint, opened from a seekable binary file `f` of `size`
    bytes. `what` names the file in errors ("st.load('model.pt')")."""

    def __init__(self, f: BinaryIO, size: int, what: str) -> None:
        self.f, self.size, self.what = f, size, what
        try:
            zf = zipfile.ZipFile(f)
            infos = zf.infolist()
        except _ZIP_ERRORS as e:
            raise self.corrupt(f"its zip directory is damaged ({e})") from None
        self.entries: dict[str, tuple[int, int, int]] = {}  # name -> (data offset, size, crc)
        for info in infos:
            self.entries[info.filename] = self._locate(info)
        names = list(self.entries)
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1] or \
              [n for n in names if n == "data.pkl"]
        if not pkl:
            raise ValueError(f"{what}: a zip archive, but not a torch checkpoint (it holds no data.pkl; "
                             f"entries: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''})")
        self.prefix = pkl[0][: -len("data.pkl")]  # "archive/" (the folder torch.save chose)

    def corrupt(self, problem: str) -> ValueError:
        return ValueError(f"{self.what}: corrupt torch checkpoint: {problem}")

    def _locate(self, info: zipfile.ZipInfo) -> tuple[int, int, int]:
        name = info.filename
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.corrupt(f"entry '{name}' is compressed (method {info.compress_type}); torch stores entries "
                               f"uncompressed, and steepest reads no compressed entries")
        if info.flag_bits & 0x1:
            raise self.corrupt(f"entry '{name}' is encrypted")
        if info.compress_size != info.file_size:
            raise self.corrupt(f"entry '{name}' declares {info.file_size} bytes stored in {info.compress_size}")
        if not 0 <= info.header_offset <= self.size - _LOCAL.size:
            raise self.corrupt(f"entry '{name}' starts outside the file")
        self.f.seek(info.header_offset)
        head = self.f.read(_LOCAL.size)
        if len(head) != _LOCAL.size:
            raise self.corrupt(f"entry '{name}' is truncated")
        fields = _LOCAL.unpack(head)
        if fields[0] != b"PK\x03\x04":
            raise self.corrupt(f"entry '{name}' has no local header where the directory points")
        start = info.header_offset + _LOCAL.size + fields[9] + fields[10]
        if start + info.file_size > self.size:
            raise self.corrupt(f"entry '{name}' declares {info.file_size} bytes, more than the file holds "
                               f"(truncated?)")
        return start, info.file_size, info.CRC

    def has(self, name: str) -> bool:
        return self.prefix + name in self.entries

    def entry_size(self, name: str) -> int:
        return self.entries[self.prefix + name][1]

    def read(self, name: str, into: Any = None) -> Any:
        """The bytes of entry prefix+name (into a writable buffer of its size when given),
        checked against their CRC-32."""
        start, size, crc = self.entries[self.prefix + name]
        buf = bytearray(size) if into is None else into
        view = memoryview(buf).cast("B")
        if len(view) != size:
            raise self.corrupt(f"entry '{self.prefix + name}' has {size} bytes, expected {len(view)}")
        self.f.seek(start)
        got = self.f.readinto(view)  # type: ignore[attr-defined]
        if got != size:
            raise self.corrupt(f"entry '{self.prefix + name}' is truncated")
        if zlib.crc32(view) != crc:
            raise self.corrupt(f"entry '{self.prefix + name}' fails its CRC-32 check (the bytes were damaged)")
        return buf


class Writer:
    """Builds a zip archive in memory order as a list of byte parts (entry data is not copied:
    numpy arrays are passed through). Entry data starts on 64-byte boundaries, as torch's own
    writer places it. Zip64 records are used where a size or offset needs them."""

    def __init__(self, force_zip64: bool = False) -> None:
        self.parts: list[Any] = []
        self.offset = 0
        self.central: list[bytes] = []
        self.force_zip64 = force_zip64

    def _put(self, b: Any) -> None:
        self.parts.append(b)
        self.offset += len(b)

    def add(self, name: str, data: Any) -> None:
        """Adds an entry; `data` is bytes or a 1-D uint8 numpy array (see as_bytes)."""
        size = len(data)
        crc = zlib.crc32(data)
        fname = name.encode("utf-8")
        zip64 = self.force_zip64 or size >= 0xFFFFFFFF
        z64_local = struct.pack("<HHQQ", 1, 16, size, size) if zip64 else b""
        fixed = _LOCAL.size + len(fname) + len(z64_local) + 4  # +4: the padding field's own header
        pad = (-(self.offset + fixed)) % _ALIGN
        extra = z64_local + struct.pack("<HH", 0x4246, pad) + b"\0" * pad  # 0x4246: "FB", as torch
        header_offset = self.offset
        small = 0xFFFFFFFF if zip64 else size
        # version 45 (zip64) or 20; flag 0x800: the name is UTF-8; method 0: stored; time 0, date 0x21
        self._put(_LOCAL.pack(b"PK\x03\x04", 45 if zip64 else 20, 0x800, 0, 0, 0x21, crc, small, small,
                              len(fname), len(extra)) + fname + extra)
        self._put(data)
        cd_extra = b""
        cd_offset = header_offset
        if zip64 or header_offset >= 0xFFFFFFFF:
            vals = ([size, size] if zip64 else []) + ([header_offset] if header_offset >= 0xFFFFFFFF or zip64 else [])
            cd_extra = struct.pack("<HH", 1, 8 * len(vals)) + struct.pack(f"<{len(vals)}Q", *vals)
            if header_offset >= 0xFFFFFFFF or zip64:
                cd_offset = 0xFFFFFFFF
        self.central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, 45 if cd_extra else 20, 0x800, 0, 0,
                                        0x21, crc, small, small, len(fname), len(cd_extra), 0, 0, 0, 0,
                                        cd_offset) + fname + cd_extra)

    def finish(self) -> list[Any]:
        cd_start = self.offset
        for c in self.central:
            self._put(c)
        cd_size = self.offset - cd_start
        n = len(self.central)
        if self.force_zip64 or n >= 0xFFFF or cd_start >= 0xFFFFFFFF or cd_size >= 0xFFFFFFFF:
            z64_end = self.offset
            self._put(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, cd_size, cd_start))
            self._put(struct.pack("<4sLQL", b"PK\x06\x07", 0, z64_end, 1))
            self._put(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
        else:
            self._put(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, cd_size, cd_start, 0))
        return self.parts


def as_bytes(a: np.ndarray) -> np.ndarray:
    """An array's bytes as a 1-D uint8 array (no copy when it is C-contiguous)."""
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)
