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
    small = _save_load_seconds(tmp_path / "s.st", 10_000)
    big = _save_load_seconds(tmp_path / "b.st", 40_000)
    # 4x the keys: linear is ~4x; the quadratic duplicate-key scans made it ~16x.
    assert big < 8 * small + 0.05, (small, big)


def test_a_duplicate_key_late_in_a_large_header_is_still_found(tmp_path):
    entries = [f'"t{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}' for i in range(200)]
    entries.append(entries[57])
    path = tmp_path / "dup.st"
    write_raw(path, ("{" + ",".join(entries) + "}").encode())
    with pytest.raises(ValueError, match=r"dup\.st.*duplicate key \"t57\""):
        st.load(path)


# ----------------------------------------------------------------------- 2. modes and symlinks
def test_resave_keeps_permission_bits_and_new_files_follow_the_umask(tmp_path):
    path = tmp_path / "m.st"
    st.save({"a": st.ones(2)}, path)
    os.chmod(path, 0o600)
    st.save({"a": st.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o640)
    st.save({"a": st.zeros(3)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    old = os.umask(0o027)
    try:
        st.save({"a": st.ones(1)}, tmp_path / "new.st")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.st").st_mode) == 0o640  # 0666 & ~027


def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "ckpt.st"
    st.save({"a": st.ones(2)}, target)
    os.chmod(target, 0o600)
    link = tmp_path / "latest.st"
    link.symlink_to(os.path.join("real", "ckpt.st"))  # relative, as `ln -s` makes them
    st.save({"a": st.full((2,), 7.0)}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "ckpt.st")
    assert st.load(target)["a"].tolist() == [7.0, 7.0]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path / "real")) == ["ckpt.st"]  # the temp went beside the target
    dangling = tmp_path / "dangling.st"
    dangling.symlink_to(tmp_path / "real" / "later.st")
    st.save({"b": st.ones(1)}, dangling)
    assert dangling.is_symlink() and st.load(tmp_path / "real" / "later.st")["b"].tolist() == [1.0]


# -------------------------------------------------------------------- 3. temps of a killed save
def test_the_temp_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    st.save({"w": st.ones(2)}, path)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import steepest as st
        big = {{"w": st.ones(200_000_000)}}  # 800 MB: still being written when killed
        print("ready", flush=True)
        st.save(big, {str(path)!r})
    """)], stdout=subprocess.PIPE, env=ENV, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        temps = []
        while not temps and time.monotonic() < deadline:
            temps = [n for n in os.listdir(tmp_path) if n != "ckpt.safetensors"]
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert len(temps) == 1 and temps[0].startswith("ckpt.safetensors.tmp-")
    assert not temps[0].endswith((".safetensors", ".st"))  # no checkpoint glob picks it up
    assert os.path.exists(tmp_path / temps[0])  # left behind by the kill
    assert st.load(path)["w"].tolist() == [1.0, 1.0]  # the old file is whole
    st.save({"w": st.zeros(2)}, path)
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]


def test_a_temp_in_use_and_unrelated_names_are_left_alone(tmp_path):
    import fcntl
    path = tmp_path / "c.st"
    live = tmp_path / "c.st.tmp-123-0-456-0"
    stale = tmp_path / "c.st.tmp-999999-1-2-0"
    others = ["c.st.tmp-notes", "other.st.tmp-1-2-3-0", "c.st.bak"]
    for name in [live.name, stale.name, *others]:
        (tmp_path / name).write_bytes(b"x")
    with open(live, "rb") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # a save in progress (another process holds such a lock)
        st.save({"a": st.ones(1)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["c.st", live.name, *others])


# ------------------------------------------------------------------------- 4. corrupt input
def test_backslash_before_a_non_ascii_byte_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "esc.st"
    write_raw(path, b'{"__metadata__":{"k":"\\\xc3\xa9"}}')
    with pytest.raises(ValueError) as info:
        st.load(path)
    assert type(info.value) is ValueError  # not UnicodeDecodeError
    assert "esc.st" in str(info.value) and "backslash" in str(info.value)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"version":1,"root":' + '{"list":[' * 2000 + "1" + "]}" * 2000 + "}",
                                  '{"version":1,"root":' + '{"list":[' * 400 + "1" + "]}" * 400 + "}"])
def test_deeply_nested_structure_is_a_value_error_naming_the_file(tmp_path, text):
    path = tmp_path / "deep.st"
    st._core._save_tensors(str(path), [("a", st.ones(1))], {"steepest.structure": text})
    try:
        got = st.load(path)
    except ValueError as e:
        assert type(e) is ValueError and "deep.st" in str(e)
    else:  # shallow enough to decode: it must then be the 400-deep list
        for _ in range(400):
            assert isinstance(got, list) and len(got) == 1
            got = got[0]
        assert got == 1


def _fit(checkpoint, resume):
    st.manual_seed(0)
    model = st.nn.Linear(2, 1)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    X, y = st.randn(8, 2), st.randn(8, 1)
    data = st.data.DataLoader(st.data.TensorDataset(X, y), batch_size=4)
    st.train.fit(model, opt, data, loss_fn=st.nn.MSELoss(), epochs=1, checkpoint=checkpoint, resume=resume,
                 progress=False)


def test_resume_from_a_tagged_but_damaged_checkpoint_is_a_value_error(tmp_path):
    path = tmp_path / "ck.st"
    _fit(path, False)
    good = st.load(path)
    damaged = [{"format": good["format"]},
               {k: v for k, v in good.items() if k != "optimizer"},
               dict(good, epoch="one"),
               dict(good, history={"records": []})]
    for ck in damaged:
        st.save(ck, path)
        with pytest.raises(ValueError, match=r"ck\.st.*damaged"):
            _fit(path, True)


# ------------------------------------------------------------ 4. files that are not regular files
def test_fifo_device_and_directory_are_refused_before_opening(tmp_path):
    fifo = tmp_path / "pipe.st"
    os.mkfifo(fifo)
    (tmp_path / "dir.st").mkdir()
    out = run_child(f"""
        import steepest as st, steepest.datasets as D
        for p in [{str(fifo)!r}, "/dev/zero", {str(tmp_path / "dir.st")!r}]:
            for load in (st.load, D.load_spam):
                try:
                    load(p)
                except ValueError as e:
                    print(type(e).__name__, e)
        """, timeout=60)
    lines = out.stdout.splitlines()
    assert len(lines) == 6, out.stdout + out.stderr
    for line, kind in zip(lines, ["FIFO", "FIFO", "character device", "character device", "directory",
                                  "directory"]):
        assert kind in line, line
    assert str(fifo) in lines[0] and str(fifo) in lines[1] and "/dev/zero" in lines[2]


def test_resume_from_a_fifo_is_refused_not_blocked(tmp_path):
    fifo = tmp_path / "ck.st"
    os.mkfifo(fifo)
    out = run_child(f"""
        import steepest as st
        model = st.nn.Linear(2, 1)
        data = st.data.DataLoader(st.data.TensorDataset(st.randn(4, 2), st.randn(4, 1)), batch_size=2)
        try:
            st.train.fit(model, st.optim.SGD(model.parameters(), lr=0.1), data, loss_fn=st.nn.MSELoss(),
                         epochs=1, checkpoint={str(fifo)!r}, resume=True, progress=False)
        except ValueError as e:
            print("ValueError", e)
        """, timeout=60)
    assert "ValueError" in out.stdout and "FIFO" in out.stdout, out.stdout + out.stderr


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_not_blocked(tmp_path):
    """The check-then-open race, forced: os.stat in the data reader answers for a regular
    file, then the path becomes a FIFO before the open. The open must not wait for a writer."""
    path = tmp_path / "spam.txt"
    path.write_text("ham\tgo until jurong point\n")
    out = run_child(f"""
        import os
        import steepest.datasets as D
        from steepest.datasets import _files
        real_stat = os.stat
        def stat_then_swap(p, *a, **k):
            result = real_stat(p, *a, **k)
            os.remove(p)
            os.mkfifo(p)
            return result
        _files.os.stat = stat_then_swap
        try:
            D.load_spam({str(path)!r})
        except ValueError as e:
            print("ValueError", e)
        """, timeout=30)
    assert "ValueError" in out.stdout and "FIFO" in out.stdout, out.stdout + out.stderr


def test_st_load_racing_a_fifo_swap_never_blocks(tmp_path):
    """A thread keeps swapping the checkpoint's path between a real file and a FIFO while
    st.load reads it: every load returns the data or raises ValueError naming a FIFO, and the
    whole run ends (before the non-blocking open, a swap between the check and the open
    blocked the load forever)."""
    path = tmp_path / "ck.st"
    out = run_child(f"""
        import os, threading
        import steepest as st
        path = {str(path)!r}
        st.save({{"w": st.ones(3)}}, path + ".good")
        stop = False
        def swapper():
            i = 0
            while not stop:
                i += 1
                if i % 2:
                    os.mkfifo(path + ".fifo")
                    os.replace(path + ".fifo", path)
                else:
                    os.link(path + ".good", path + ".new")
                    os.replace(path + ".new", path)
        os.link(path + ".good", path)
        t = threading.Thread(target=swapper, daemon=True)
        t.start()
        ok = refused = 0
        for _ in range(3000):
            try:
                assert st.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
                ok += 1
            except ValueError as e:
                assert "FIFO" in str(e), e
                refused += 1
        stop = True
        t.join()
        print("done", ok, refused)
        """, timeout=60)
    assert out.stdout.startswith("done"), out.stdout + out.stderr
    ok, refused = map(int, out.stdout.split()[1:3])
    assert ok + refused == 3000


# ------------------------------------------------------------------------------ 5. checksums
def _tensor_span(path, name):
    """(start, end) of a tensor's bytes in the file, from the header (independent of steepest)."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    b, e = header[name]["data_offsets"]
    return 8 + n + b, 8 + n + e, header


def test_checksums_match_zlib_stay_readable_by_safetensors_and_catch_a_flipped_byte(tmp_path):
    path = tmp_path / "sum.safetensors"
    w = np.arange(1000, dtype=np.float32).reshape(10, 100) / 7
    b = np.array([1, -2, 3], dtype=np.int64)
    st.save({"w": st.tensor(w), "b": st.tensor(b), "meta": {"lr": 0.1}}, path, checksum=True)
    raw = path.read_bytes()
    for name, arr in (("w", w), ("b", b)):
        start, end, header = _tensor_span(path, name)
        assert raw[start:end] == arr.tobytes()
        assert header["__metadata__"][f"steepest.crc32.{name}"] == f"{zlib.crc32(arr.tobytes()):08x}"
    theirs = safetensors.numpy.load_file(str(path))
    assert np.array_equal(theirs["w"], w) and np.array_equal(theirs["b"], b)
    got = st.load(path)
    assert np.array_equal(got["w"].numpy(), w) and got["meta"] == {"lr": 0.1}

    start, _, _ = _tensor_span(path, "w")
    flipped = bytearray(raw)
    flipped[start + 1234] ^= 0x10
    path.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=r"sum\.safetensors.*tensor \"w\".*checksum"):
        st.load(path)


def test_without_checksum_a_flipped_byte_loads_and_bad_checksum_entries_are_rejected(tmp_path):
    path = tmp_path / "plain.st"
    st.save({"w": st.ones(4)}, path)
    start, _, header = _tensor_span(path, "w")
    assert not any(k.startswith("steepest.crc32.") for k in header["__metadata__"])
    raw = bytearray(path.read_bytes())
    raw[start] ^= 0x01
    path.write_bytes(bytes(raw))
    assert st.load(path)["w"].shape == (4,)  # nothing to check against
    for meta, problem in (({"steepest.crc32.w": "xyz"}, "8 hex digits"),
                          ({"steepest.crc32.nope": "00000000"}, "no tensor")):
        with pytest.raises(ValueError, match="reserved"):
            st._core._save_tensors(str(path), [("w", st.ones(1))], meta)
        entry = ",".join(f'"{k}":"{v}"' for k, v in meta.items())
        write_raw(path, ('{"__metadata__":{' + entry + '},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}')
                  .encode(), np.ones(1, np.float32).tobytes())
        with pytest.raises(ValueError, match=problem):
            st.load(path)


# ------------------------------------------------------------- names and errors of the OS
def test_file_names_that_are_not_utf8_save_and_load(tmp_path):
    """Linux file names are bytes; Python holds a non-UTF-8 one in a str through surrogate
    escapes. Both forms reach the file system unchanged, and errors print the name escaped."""
    raw_dir = os.fsencode(str(tmp_path))
    as_str = os.fsdecode(raw_dir + b"/ck\xff.st")
    st.save({"a": st.ones(2)}, as_str)
    assert os.listdir(raw_dir) == [b"ck\xff.st"]
    assert st.load(as_str)["a"].tolist() == [1.0, 1.0]
    st.save({"b": st.zeros(1)}, raw_dir + b"/b\xfe.st")
    assert st.load(raw_dir + b"/b\xfe.st")["b"].tolist() == [0.0]
    with pytest.raises(FileNotFoundError) as e:
        st.load(os.fsdecode(raw_dir + b"/missing\xff.st"))
    assert e.value.filename == os.fsdecode(raw_dir + b"/missing\xff.st")
    assert e.value.errno == 2


def test_missing_files_and_folders_raise_file_not_found_naming_the_path(tmp_path):
    # As open() does: FileNotFoundError with .filename; a save into a missing folder names
    # the path asked for, not the temp file it would have written first.
    with pytest.raises(FileNotFoundError, match="No such file") as e:
        st.load(tmp_path / "nope.st")
    assert e.value.filename == str(tmp_path / "nope.st")
    target = tmp_path / "no_folder" / "x.st"
    with pytest.raises(FileNotFoundError) as e:
        st.save({"a": st.ones(1)}, target)
    assert e.value.filename == str(target)
    assert not (tmp_path / "no_folder").exists()


def test_error_messages_with_raw_bytes_from_a_file_are_escaped(tmp_path):
    # A header whose bytes are not UTF-8: the error is a ValueError whose message shows the
    # bad byte escaped, not a UnicodeDecodeError raised while reporting the first error.
    path = tmp_path / "raw.st"
    hdr = b'{"w\xff": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    path.write_bytes(struct.pack("<Q", len(hdr)) + hdr + b"\0" * 4)
    with pytest.raises(ValueError, match="raw.st"):
        st.load(path)


def test_cycles_and_absurd_nesting_raise_value_error_before_writing(tmp_path):
    cyc: list = []
    cyc.append(cyc)
    d: dict = {"a": [1, 2]}
    d["a"].append(d)
    path = tmp_path / "c.st"
    with pytest.raises(ValueError, match=r"obj\[0\] contains itself"):
        st.save(cyc, path)
    with pytest.raises(ValueError, match=r"obj\['a'\]\[2\] contains itself"):
        st.save(d, path)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nests containers too deeply"):
        st.save(deep, path)
    assert not path.exists()
    # Shared (not cyclic) references are fine: the same list twice is saved twice.
    shared = [1, 2]
    st.save({"x": shared, "y": shared}, path)
    assert st.load(path) == {"x": [1, 2], "y": [1, 2]}
