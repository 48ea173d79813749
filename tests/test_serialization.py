"""st.save / st.load: bit-exact round trips of every dtype, interchange with the `safetensors`
package both ways, nested structures, atomic replacement, and clear errors on damaged files."""
import json
import os
import pathlib
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import safetensors.numpy as sf_np
import safetensors.torch as sf_torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

HYP = settings(max_examples=40, deadline=None)

# steepest dtype -> (safetensors name, torch dtype, same-width integer dtype for bit views)
DTYPES = {
    st.float32: ("F32", torch.float32, torch.int32),
    st.float64: ("F64", torch.float64, torch.int64),
    st.bfloat16: ("BF16", torch.bfloat16, torch.int16),
    st.float16: ("F16", torch.float16, torch.int16),
    st.int32: ("I32", torch.int32, torch.int32),
    st.int64: ("I64", torch.int64, torch.int64),
    st.bool: ("BOOL", torch.bool, torch.uint8),
}
SHAPES = [(), (0,), (1,), (7,), (3, 0, 2), (2, 3, 5), (4097,)]


def bits(t):
    """The raw element bits of a steepest or torch tensor, as a numpy integer array."""
    tt = t if isinstance(t, torch.Tensor) else torch.from_dlpack(t)
    intdt = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[tt.element_size()]
    return tt.contiguous().view(intdt).numpy().copy()


def random_torch(dtype, shape, seed):
    """A torch tensor of `dtype` whose elements are random bit patterns (NaN payloads,
    subnormals, -0 included), or random 0/1 for bool."""
    rng = np.random.default_rng(seed)
    tdt, intdt = DTYPES[dtype][1], DTYPES[dtype][2]
    n = int(np.prod(shape))
    if dtype == st.bool:
        return torch.from_numpy(rng.integers(0, 2, n, dtype=np.uint8)).view(torch.bool).reshape(shape)
    npint = {torch.int16: np.int16, torch.int32: np.int32, torch.int64: np.int64}[intdt]
    raw = rng.integers(0, 256, n * np.dtype(npint).itemsize, dtype=np.uint8).view(npint)
    return torch.from_numpy(raw).view(tdt).reshape(shape).clone()


def random_tensor(dtype, shape, seed=0):
    t = random_torch(dtype, shape, seed)
    return st.from_dlpack(t), t


def file_names(d):
    return sorted(os.listdir(d))


def assert_bits_equal(a, b):
    np.testing.assert_array_equal(bits(a), bits(b))


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", list(DTYPES), ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_round_trip_keeps_every_bit(tmp_path, dtype, shape):
    x, ref = random_tensor(dtype, shape, seed=10 * SHAPES.index(shape) + list(DTYPES).index(dtype))
    st.save({"x": x}, tmp_path / "f.safetensors")
    y = st.load(tmp_path / "f.safetensors")["x"]
    assert y.dtype == dtype and tuple(y.shape) == shape
    assert_bits_equal(y, ref)
    assert file_names(tmp_path) == ["f.safetensors"]  # no temp files left behind


def test_a_bare_tensor_round_trips(tmp_path):
    x, ref = random_tensor(st.float32, (3, 4))
    st.save(x, str(tmp_path / "t.st"))
    y = st.load(str(tmp_path / "t.st"))
    assert isinstance(y, st.Tensor)
    assert_bits_equal(y, ref)


def test_non_contiguous_views_are_written_contiguously(tmp_path):
    base, ref = random_tensor(st.float64, (6, 8))
    views = {"T": base.T, "step": base[:, ::3], "row": base[2], "tt": base.T[1:5:2]}
    refs = {"T": ref.T, "step": ref[:, ::3], "row": ref[2], "tt": ref.T[1:5:2]}
    assert not views["T"].is_contiguous()
    st.save(views, tmp_path / "v.st")
    got = st.load(tmp_path / "v.st")
    for k in views:
        assert tuple(got[k].shape) == tuple(refs[k].shape)
        assert got[k].is_contiguous()
        assert_bits_equal(got[k], refs[k])
    # And the safetensors package sees the same values.
    theirs = sf_torch.load_file(str(tmp_path / "v.st"))
    for k in views:
        assert_bits_equal(theirs[k], refs[k])


def test_nested_structures_round_trip_exactly(tmp_path):
    w, _ = random_tensor(st.float32, (2, 3))
    b, _ = random_tensor(st.bfloat16, (3,))
    obj = {
        "model": {"0.weight": w, "0.bias": b},
        "optim": {"state": {0: {"step": 7, "exp_avg": st.zeros(2, 3)}, 1: {}},
                  "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                                    "foreach": None, "name": "dé \"quoted\" \\ \n"}]},
        "epoch": 3, "big": 2**70, "neg": -1.5e-300, "inf": float("inf"),
        "nested": [(1, [2, (3,)]), [], (), {}],
        "z_first": 1, "a_second": 2,  # insertion order, not sorted order, must survive
    }
    st.save(obj, tmp_path / "ckpt.st")
    got = st.load(tmp_path / "ckpt.st")
    # Same structure: compare with tensors replaced by their bits.
    def plain(o):
        if isinstance(o, st.Tensor):
            return ("T", str(o.dtype), tuple(o.shape), bits(o).tolist())
        if isinstance(o, dict):
            return ("D", [(k, plain(v)) for k, v in o.items()])
        if isinstance(o, (list, tuple)):
            return (type(o).__name__, [plain(v) for v in o])
        return (type(o).__name__, o)
    assert plain(got) == plain(obj)
    assert list(got) == list(obj)
    assert isinstance(got["nested"][0], tuple) and isinstance(got["nested"][0][1], list)
    assert list(got["optim"]["state"]) == [0, 1]  # int keys stay ints


def test_a_tensor_reached_twice_is_stored_once_and_comes_back_shared(tmp_path):
    w, ref = random_tensor(st.float32, (4,))
    st.save({"encoder": {"emb": w}, "decoder": {"out": w}}, tmp_path / "tied.st")
    assert list(sf_torch.load_file(str(tmp_path / "tied.st"))) == ["encoder.emb"]
    got = st.load(tmp_path / "tied.st")
    assert got["encoder"]["emb"] is got["decoder"]["out"]
    assert_bits_equal(got["decoder"]["out"], ref)


def test_requires_grad_is_kept(tmp_path):
    p = st.ones(3, requires_grad=True)
    q = st.ones(3)
    st.save([p, q], tmp_path / "g.st")
    a, b = st.load(tmp_path / "g.st")
    assert a.requires_grad and not b.requires_grad


def test_paths_may_be_str_bytes_or_pathlike(tmp_path):
    x = st.arange(5)
    for p in (str(tmp_path / "a.st"), tmp_path / "b.st", os.fsencode(tmp_path / "c.st")):
        st.save(x, p)
        assert st.load(p).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError):
        st.save(x, 3.5)


# ------------------------------------------------------------- interchange


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != st.bfloat16], ids=str)
def test_safetensors_numpy_reads_what_we_write(tmp_path, dtype):
    x, ref = random_tensor(dtype, (3, 5), seed=11)
    e = st.empty(0, 2, dtype=dtype)
    st.save({"layer.0.weight": x, "empty": e}, tmp_path / "n.st")
    theirs = sf_np.load_file(str(tmp_path / "n.st"))
    assert set(theirs) == {"layer.0.weight", "empty"}
    assert theirs["layer.0.weight"].dtype == ref.numpy().dtype
    np.testing.assert_array_equal(theirs["layer.0.weight"].view(bits(ref).dtype), bits(ref))
    assert theirs["empty"].shape == (0, 2)


def test_safetensors_torch_reads_every_dtype_we_write_including_bf16(tmp_path):
    tensors, refs = {}, {}
    for i, dtype in enumerate(DTYPES):
        tensors[f"t{i}"], refs[f"t{i}"] = random_tensor(dtype, (2, 3), seed=i)
    tensors["scalar"], refs["scalar"] = random_tensor(st.bfloat16, (), seed=99)
    st.save(tensors, tmp_path / "all.st")
    theirs = sf_torch.load_file(str(tmp_path / "all.st"))
    assert set(theirs) == set(tensors)
    for k, ref in refs.items():
        assert theirs[k].dtype == ref.dtype and theirs[k].shape == ref.shape
        assert_bits_equal(theirs[k], ref)


def test_flat_state_dict_gets_torch_like_names(tmp_path):
    sd = {"0.weight": st.zeros(2, 2), "0.bias": st.zeros(2), "2.weight": st.zeros(1, 2)}
    st.save(sd, tmp_path / "sd.st")
    assert list(sf_torch.load_file(str(tmp_path / "sd.st"))) == list(sd)
    nested = {"model": sd, "extra": [st.zeros(1)]}
    st.save(nested, tmp_path / "n.st")
    assert set(sf_torch.load_file(str(tmp_path / "n.st"))) == {"model.0.weight", "model.0.bias", "model.2.weight",
                                                                 "extra.0"}


def test_colliding_dotted_names_stay_distinct(tmp_path):
    a, b = st.zeros(1), st.ones(1)
    st.save({"a.b": a, "a": {"b": b}}, tmp_path / "c.st")
    got = st.load(tmp_path / "c.st")
    assert got["a.b"].tolist() == [0.0] and got["a"]["b"].tolist() == [1.0]


def test_we_read_what_safetensors_writes(tmp_path):
    refs = {f"t{i}": random_torch(d, (3, 2), seed=40 + i) for i, d in enumerate(DTYPES)}
    refs["zero_d"] = torch.tensor(2.5, dtype=torch.float16)
    refs["empty"] = torch.zeros(0, 4, dtype=torch.int32)
    sf_torch.save_file(refs, str(tmp_path / "t.st"), metadata={"format": "pt"})
    got = st.load(tmp_path / "t.st")
    assert isinstance(got, dict) and set(got) == set(refs)
    for k, ref in refs.items():
        assert tuple(got[k].shape) == tuple(ref.shape)
        assert DTYPES[got[k].dtype][1] == ref.dtype
        assert_bits_equal(got[k], ref)

    arrays = {"x": np.arange(6, dtype=np.int64).reshape(2, 3), "y": np.array([True, False])}
    sf_np.save_file(arrays, str(tmp_path / "n.st"))
    got = st.load(tmp_path / "n.st")
    np.testing.assert_array_equal(got["x"].numpy(), arrays["x"])
    np.testing.assert_array_equal(got["y"].numpy(), arrays["y"])


def test_header_layout_matches_the_format(tmp_path):
    """The file as the format describes it, parsed here with struct + Python's json."""
    x = st.tensor([1.0, 2.0], dtype=st.float32)
    i = st.tensor([[1, 2, 3]], dtype=st.int64)
    st.save({"x": x, "i": i}, tmp_path / "h.st")
    raw = (tmp_path / "h.st").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0 and 8 + n <= len(raw)
    header_text = raw[8:8 + n].decode("utf-8")
    assert header_text.startswith("{") and header_text.rstrip(" ").endswith("}")
    header = json.loads(header_text)
    assert list(header)[0] == "__metadata__" and "steepest.structure" in header["__metadata__"]
    assert header["x"]["dtype"] == "F32" and header["x"]["shape"] == [2]
    assert header["i"]["dtype"] == "I64" and header["i"]["shape"] == [1, 3]
    data = raw[8 + n:]
    bx, ex = header["x"]["data_offsets"]
    bi, ei = header["i"]["data_offsets"]
    assert struct.unpack("<2f", data[bx:ex]) == (1.0, 2.0)
    assert struct.unpack("<3q", data[bi:ei]) == (1, 2, 3)
    assert bi % 8 == 0 and len(data) == max(ex, ei)


def test_names_with_escapes_and_unicode_survive_both_ways(tmp_path):
    names = ["é/ü", "quote\"back\\slash", "tab\tnew\nline\x01", "😀", ""]
    tensors = {n: st.full((1,), float(k)) for k, n in enumerate(names)}
    # A flat mapping of tensors is what safetensors can hold; use the C++ layer directly.
    st._core._save_tensors(str(tmp_path / "u.st"), list(tensors.items()), {"k\"ey": "välue\n"})
    theirs = sf_torch.load_file(str(tmp_path / "u.st"))
    assert {k: v.tolist() for k, v in theirs.items()} == {n: [float(k)] for k, n in enumerate(names)}
    pairs, meta = st._core._load_tensors(str(tmp_path / "u.st"))
    assert [p[0] for p in pairs] == names and meta == {"k\"ey": "välue\n"}
    # And a header using \u escapes (surrogate pair included) is decoded like Python's json does.
    header = '{"\\u00e9\\ud83d\\ude00\\/":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}'
    write_raw(tmp_path / "esc.st", header.encode(), b"\x05\x00\x00\x00")
    got = st.load(tmp_path / "esc.st")
    assert list(got) == list(json.loads(header)) and got[list(got)[0]].item() == 5


@HYP
@given(specs=hs.lists(hs.tuples(hs.sampled_from(list(DTYPES)),
                                hs.lists(hs.sampled_from([0, 1, 2, 3, 7]), min_size=0, max_size=4)),
                      min_size=1, max_size=5),
       seed=hs.integers(0, 2**31))
def test_hypothesis_random_files_round_trip_and_safetensors_agrees(specs, seed):
    tensors, refs = {}, {}
    for k, (dtype, shape) in enumerate(specs):
        tensors[f"p{k}"], refs[f"p{k}"] = random_tensor(dtype, tuple(shape), seed=seed + k)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "h.st")
        st.save(tensors, path)
        got = st.load(path)
        theirs = sf_torch.load_file(path)
        assert list(got) == list(tensors) and os.listdir(d) == ["h.st"]
        for k, ref in refs.items():
            assert tuple(got[k].shape) == tuple(ref.shape) and theirs[k].dtype == ref.dtype
            assert_bits_equal(got[k], ref)
            assert_bits_equal(theirs[k], ref)


# ----------------------------------------------------------------- atomicity


def test_unsupported_objects_raise_type_error_naming_the_key_and_keep_the_old_file(tmp_path):
    path = tmp_path / "keep.st"
    st.save({"w": st.ones(3)}, path)
    before = path.read_bytes()
    cases = [({"w": st.ones(3), "opt": {"fn": print}}, "obj['opt']['fn']"),
             ({"a": [1, {2.5: 3}]}, "obj['a'][1]"),
             ({"a": {True: 1}}, "obj['a']"),
             ([np.zeros(2)], "obj[0]"),
             ({"t": torch.zeros(2)}, "obj['t']")]
    for obj, where in cases:
        with pytest.raises(TypeError, match=re.escape(where)):
            st.save(obj, path)
        assert path.read_bytes() == before
    assert file_names(tmp_path) == ["keep.st"]


def test_a_failure_in_the_middle_of_writing_leaves_the_old_file_and_no_temp(tmp_path):
    """A file-size limit (RLIMIT_FSIZE) makes fwrite fail half way: a real I/O error."""
    path = tmp_path / "big.st"
    st.save({"small": st.ones(4)}, path)
    before = path.read_bytes()
    code = f"""
import resource, signal, steepest as st
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    st.save({{"big": st.zeros(1_000_000)}}, {str(path)!r})
except OSError as e:
    print("ERR", e)
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "ERR" in out.stdout, out.stdout + out.stderr
    assert "File too large" in out.stdout and str(tmp_path) in out.stdout
    assert path.read_bytes() == before
    assert file_names(tmp_path) == ["big.st"]


def test_file_system_errors_name_the_call_and_path(tmp_path):
    # OSError subclasses by errno, as open() raises them, with the call in the message.
    with pytest.raises(FileNotFoundError, match=r"No such file or directory \(open\): '.*missing_dir/x\.st'"):
        st.save(st.ones(1), tmp_path / "missing_dir" / "x.st")
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError, match=r"Is a directory \(rename\)"):
        st.save(st.ones(1), tmp_path / "adir")
    assert file_names(tmp_path) == ["adir"]
    with pytest.raises(FileNotFoundError, match=r"No such file or directory \(open\): '.*nope\.st'"):
        st.load(tmp_path / "nope.st")


def test_reserved_and_duplicate_names_are_rejected_before_writing(tmp_path):
    with pytest.raises(ValueError, match="__metadata__"):
        st._core._save_tensors(str(tmp_path / "r.st"), [("__metadata__", st.ones(1))], {})
    with pytest.raises(ValueError, match="two tensors are named \"a\""):
        st._core._save_tensors(str(tmp_path / "r.st"), [("a", st.ones(1)), ("a", st.ones(1))], {})
    assert file_names(tmp_path) == []
    # st.save never produces the reserved name, even when asked to via a key.
    st.save({"__metadata__": st.ones(1)}, tmp_path / "m.st")
    assert st.load(tmp_path / "m.st")["__metadata__"].tolist() == [1.0]


# ------------------------------------------------------------- damaged files


def write_raw(path, header: bytes, data: bytes = b"", length=None):
    n = len(header) if length is None else length
    pathlib.Path(path).write_bytes(struct.pack("<Q", n) + header + data)


def good_file(tmp_path):
    path = tmp_path / "good.st"
    st.save({"a": st.arange(6, dtype=st.float32).reshape(2, 3), "b": st.ones(4, dtype=st.int64)}, path)
    return path


def load_error(path, exc=ValueError):
    with pytest.raises(exc) as info:
        st.load(path)
    msg = str(info.value)
    assert str(path) in msg
    return msg


def test_truncated_files_raise_naming_the_file(tmp_path):
    raw = good_file(tmp_path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    cut_path = tmp_path / "cut.st"
    for cut in [0, 1, 7, 8, 9, 8 + n // 2, 8 + n - 1, 8 + n, 8 + n + 1, 8 + n + 24, len(raw) - 1]:
        cut_path.write_bytes(raw[:cut])
        msg = load_error(cut_path)
        assert "not a valid safetensors file" in msg, (cut, msg)
    cut_path.write_bytes(raw[:len(raw) - 1])
    assert "truncated" in load_error(cut_path)


def test_corrupted_header_bytes_raise(tmp_path):
    raw = bytearray(good_file(tmp_path).read_bytes())
    (n,) = struct.unpack("<Q", raw[:8])
    bad = tmp_path / "bad.st"
    header = raw[8:8 + n].decode()
    for pos in [0, 1, header.index(":"), header.index("["), header.index("]"), header.rindex("}")]:
        b = bytearray(raw)
        b[8 + pos] = ord("#")
        bad.write_bytes(bytes(b))
        assert "not valid JSON" in load_error(bad)
    b = bytearray(raw)
    b[8 + header.index("F32") + 1] = ord("9")  # "F92": an unknown dtype
    bad.write_bytes(bytes(b))
    assert "F92" in load_error(bad)
    b = bytearray(raw)
    b[8 + 5] = 0xff  # not UTF-8
    bad.write_bytes(bytes(b))
    assert "UTF-8" in load_error(bad)


def test_wrong_header_length_raises(tmp_path):
    raw = good_file(tmp_path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    bad = tmp_path / "len.st"
    for wrong in [0, 1, n - 8, n + 8, len(raw), 2**63, 2**64 - 1, 200_000_000]:
        bad.write_bytes(struct.pack("<Q", wrong) + raw[8:])
        load_error(bad)


HEADER_PROBLEMS = [
    # (header JSON text, data, expected words)
    ('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\0" * 4, "truncated"),
    ('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999]}}', b"\0" * 8, "span"),
    ('{"a":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}', b"\0" * 8, "past the end"),
    ('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', b"\0" * 8, "backwards"),
    ('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\0" * 8, "12 bytes"),
    ('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}}',
     b"\0" * 8, "overlap"),
    ('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8, "belong to no tensor"),
    ('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 8, "after the last tensor"),
    ('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0", "not supported"),
    ('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', b"\0" * 4, "shape[0]"),
    ('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', b"\0" * 4, "shape[0]"),
    ('{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}', b"\0" * 4, "overflow"),
    ('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', b"\0" * 4, "data_offsets"),
    ('{"a":{"dtype":"F32","shape":[1]}}', b"\0" * 4, "lacks \"data_offsets\""),
    ('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}', b"\0" * 4, "unknown field"),
    ('{"a":[1]}', b"", "must be an object"),
    ('[1,2]', b"", "must be a JSON object"),
    ('{"__metadata__":{"k":1}}', b"", "must be a string"),
    ('{"__metadata__":[]}', b"", "must be an object"),
    ('{"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', b"\x01\x02", "must be 0 or 1"),
    # not JSON at all, or not strict JSON
    ('{"a":1,}', b"", "not valid JSON"),
    ('{"a":1 "b":2}', b"", "not valid JSON"),
    ('{"a":NaN}', b"", "not valid JSON"),
    ('{"a":01}', b"", "not valid JSON"),
    ('{"a":1} // c', b"", "not valid JSON"),
    ("{'a':1}", b"", "not valid JSON"),
    ('{"a":"\\ud800"}', b"", "surrogate"),
    ('{"a":"\\x41"}', b"", "invalid escape"),
    ('{"a":"tab\there"}', b"", "control character"),
    ('{"a":1,"a":2}', b"", "duplicate key"),
    ('{"a":' + "[" * 100 + "]" * 100 + "}", b"", "nesting"),
    ('{"a":tru}', b"", "invalid literal"),
    ('{"a"', b"", "not valid JSON"),
]


@pytest.mark.parametrize("header,data,words", HEADER_PROBLEMS, ids=[h[:40] for h, _, _ in HEADER_PROBLEMS])
def test_bad_headers_raise_value_error_naming_file_and_problem(tmp_path, header, data, words):
    path = tmp_path / "h.st"
    write_raw(path, header.encode(), data)
    msg = load_error(path)
    assert words in msg, msg


def test_padding_and_whitespace_in_headers_are_accepted(tmp_path):
    path = tmp_path / "ws.st"
    header = b' { "a" : { "dtype" : "I32" , "shape" : [ ] , "data_offsets" : [ 0 , 4 ] } }\n\t  '
    write_raw(path, header, struct.pack("<i", -7))
    assert st.load(path)["a"].item() == -7


def test_corrupt_structure_metadata_raises(tmp_path):
    path = tmp_path / "s.st"
    st._core._save_tensors(str(path), [("a", st.ones(1))], {"steepest.structure": "{not json"})
    assert "steepest.structure" in load_error(path)
    st._core._save_tensors(str(path), [("a", st.ones(1))],
                           {"steepest.structure": '{"version":1,"root":{"tensor":"missing"}}'})
    assert "no tensor named 'missing'" in load_error(path)
    st._core._save_tensors(str(path), [("a", st.ones(1))], {"steepest.structure": '{"version":99,"root":1}'})
    assert "version" in load_error(path)
