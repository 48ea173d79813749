"""Finding and reading data files for st.datasets: the bundled copies under data/, gzip or
plain text, and DataError, the one-line complaint about a file's contents (which line, what
was wrong) that the CLI prints without a traceback."""
from __future__ import annotations

import gzip
import os
import stat

from .._typing import StrPath

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class DataError(ValueError):
    """A data file that can't be used: empty, a malformed line, an unknown label. The message
    names the file and, where there is one, the line number (counting from 1)."""


def bundled(name: str) -> str:
    """Path of a data file shipped inside the package (see data/README.md for credits)."""
    path = os.path.join(_DATA_DIR, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"bundled data file {name!r} is missing from {_DATA_DIR} (a broken install?)")
    return path


def _kind(mode: int) -> str:
    """What a non-regular file is, for the refusal: 'a directory', 'a FIFO (named pipe)', ..."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


_UTF8_BOM = b"\xef\xbb\xbf"


def read_bytes(path: StrPath, what: str) -> bytes:
    """The whole file, gunzipped when it is gzip (by its magic bytes, not its name), without a
    leading UTF-8 byte-order mark (editors on Windows write one; it is not part of the text)."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{what}: no such file: {path}") from None
    # Checked before opening: reading a FIFO blocks until a writer comes, and a device such
    # as /dev/zero never ends.
    if not stat.S_ISREG(mode):
        raise DataError(f"{what}: {path} is {_kind(mode)}, not a file")
    # Opened without blocking and checked again: a path swapped for a FIFO after the stat
    # would otherwise block the open until a writer came.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataError(f"{what}: {path} is {_kind(mode)}, not a file")
        os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"{what}: {path} looks like gzip but can't be decompressed ({e})") from None
    return raw[len(_UTF8_BOM):] if raw.startswith(_UTF8_BOM) else raw


def read_lines(path: StrPath, what: str) -> list[tuple[int, str]]:
    """The file's lines as (line_number, text) pairs, UTF-8 decoded, line ends removed.
    A line that is not UTF-8 raises DataError naming it."""
    raw = read_bytes(path, what)
    out = []
    for i, line in enumerate(raw.splitlines(), start=1):
        try:
            out.append((i, line.decode("utf-8")))
        except UnicodeDecodeError:
            raise DataError(f"{what}: {path}, line {i}: not UTF-8 text") from None
    return out
