"""st.save / st.load against hostile and awkward files: header parsing linear in its size,
permission bits and symlinks kept on re-save, temps of a killed save swept by the next one,
corrupt input as ValueError naming the file, non-regular files refused before opening, and
the optional per-tensor CRC-32 checked against zlib and the `safetensors` package."""
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
import zlib

import numpy as np
import pytest
import safetensors.numpy

import steepest as st
import steepest.datasets as D

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))


def write_raw(path, header: bytes, data: bytes = b""):
    """A safetensors file from raw header bytes (length prefix + header + data)."""
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)


def run_child(code, timeout=60):
    """Runs `code` in a fresh interpreter; a hang or crash fails the test, not the run."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=ENV,
                          timeout=timeout)


# ------------------------------------------------------------------------------- 1. linear time
def _save_load_seconds(path, n):
    t = st.zeros(1)
    pairs = [(f"layer.{i}.weight", t) for i in range(n)]
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        st._core._save_tensors(str(path), pairs, {})
        got = st.load(path)
        best = min(best, time.perf_counter() - start)
        assert len(got) == n
    return best


def test_save_and_load_time_grows_linearly_with_the_number_of_keys(tmp_path):
    small = _save_load_seconds(tmp_path / "s.st", 20_000)
    big = _save_load_seconds(tmp_path / "b.st", 80_000)
    # 4x the keys: linear is ~4x; the quadratic duplicate-key scans made it ~16x.
    assert big < 8 * small + 0.05, (small, big)


def test_a_duplicate_key_late_in_a_large_header_is_still_found(tmp_path):
    entries = [f'"t{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}' for i in range(200)]
    entries.append(entries[57])
    path = tmp_path / "dup.st"
    write_raw(path, ("{" + ",".join(entries) + "}").encode())
    with pytest.raises(ValueError, match=r"dup\.st.*duplicate key \"t57\""):
        st.load(path)
