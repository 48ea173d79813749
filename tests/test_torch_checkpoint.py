# torch zip checkpoints: st.load reads what torch.save writes (checked against torch's own
# tensors), st.save(format="torch") writes what torch.load(weights_only=True) reads, malicious
# pickles are refused as torch refuses them, damaged archives raise ValueError, and files of
# other kinds are named.
import collections
import io
import os
import pickle
import struct
import warnings
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st_

import steepest as st
from gpu import CUDA_BUILT, NO_CUDA  # noqa: E402

ALL_TORCH = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.bool]
WIDENED = {torch.int8: st.int32, torch.uint8: st.int32, torch.int16: st.int32, torch.uint16: st.int32,
           torch.uint32: st.int64}
ST_OF = {torch.float32: st.float32, torch.float64: st.float64, torch.float16: st.float16,
         torch.bfloat16: st.bfloat16, torch.int64: st.int64, torch.int32: st.int32, torch.bool: st.bool}


def np_of(t):
    """A tensor of either library as float64/int64/bool numpy (bfloat16 widened exactly)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    if t.dtype == st.bfloat16:
        t = t.float()
    return t.detach().numpy()


def same(a, b):
    """Deep equality of a torch-side object and a steepest-side one (either direction)."""
    if isinstance(a, (torch.Tensor, st.Tensor)):
        assert isinstance(b, (torch.Tensor, st.Tensor)), (type(a), type(b))
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(np_of(a), np_of(b))
        assert a.requires_grad == b.requires_grad
        return
    if isinstance(a, dict):
        assert type(b) is type(a) and list(a) == list(b)
        for k in a:
            same(a[k], b[k])
        return
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    if isinstance(a, (torch.dtype, st.dtype)):
        assert str(a).split(".")[-1] == str(b).split(".")[-1]
        return
    if isinstance(a, (torch.device, st.device)):
        assert str(a) == str(b)
        return
    assert type(a) is type(b) and a == b, (a, b)


def torch_file(tmp_path, obj, name="t.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


# ---- torch -> steepest --------------------------------------------------------------------------

def test_torch_state_dicts_of_real_modules_load_and_train_on_like_torch(tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.LayerNorm(8), torch.nn.Linear(8, 2))
    topt = torch.optim.AdamW(tm.parameters(), lr=1e-2)
    x, y = torch.randn(16, 4), torch.randn(16, 2)

    def step_torch():
        topt.zero_grad()
        ((tm(x) - y) ** 2).mean().backward()
        topt.step()

    for _ in range(3):
        step_torch()
    path = torch_file(tmp_path, {"model": tm.state_dict(), "optimizer": topt.state_dict(), "epoch": 3,
                                 "best": 0.25, "name": "run-1"})
    ck = st.load(path)
    assert ck["epoch"] == 3 and ck["best"] == 0.25 and ck["name"] == "run-1"
    assert isinstance(ck["model"], collections.OrderedDict)
    same(tm.state_dict(), ck["model"])
    sm = st.nn.Sequential(st.nn.Linear(4, 8), st.nn.Tanh(), st.nn.LayerNorm(8), st.nn.Linear(8, 2))
    sm.load_state_dict(ck["model"])
    sopt = st.optim.AdamW(sm.parameters(), lr=1e-2)
    sopt.load_state_dict(ck["optimizer"])
    xs, ys = st.tensor(x.numpy()), st.tensor(y.numpy())
    for _ in range(2):  # the resumed run continues torch's: same moments, same step count
        step_torch()
        sopt.zero_grad()
        ((sm(xs) - ys) ** 2).mean().backward()
        sopt.step()
    for (k, a), b in zip(tm.state_dict().items(), sm.state_dict().values()):
        np.testing.assert_allclose(b.detach().numpy(), a.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_torch_optimizer_state_and_batchnorm_buffers_load(tmp_path):
    bn = torch.nn.BatchNorm1d(3)
    bn(torch.randn(8, 3))
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.ones(3))], lr=0.1, momentum=0.9)
    sgd.param_groups[0]["params"][0].grad = torch.ones(3)
    sgd.step()
    obj = {"bn": bn.state_dict(), "sgd": sgd.state_dict()}
    ck = st.load(torch_file(tmp_path, obj))
    same(obj, ck)
    assert ck["bn"]["num_batches_tracked"].dtype == st.int64


@pytest.mark.parametrize("dtype", ALL_TORCH)
def test_every_dtype_torch_writes_loads_bit_exact(tmp_path, dtype):
    g = torch.Generator().manual_seed(1)
    t = (torch.randn(3, 5, generator=g) * 100).to(dtype)
    if dtype == torch.float32:
        t[0, :3] = torch.tensor([float("nan"), float("inf"), -0.0])
    ck = st.load(torch_file(tmp_path, {"t": t, "zero_d": t[1, 2].clone(), "empty": t[:0]}))
    assert ck["t"].dtype == ST_OF[dtype] and ck["t"].shape == (3, 5)
    if dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        bits = {torch.float16: np.uint16, torch.bfloat16: np.uint16, torch.float32: np.uint32,
                torch.float64: np.uint64}[dtype]
        mine = ck["t"].view(-1)
        if dtype == torch.bfloat16:  # compare raw bits: float32 widening keeps them in the top half
            np.testing.assert_array_equal(mine.float().numpy().view(np.uint32) >> 16,
                                          t.float().numpy().view(np.uint32).reshape(-1) >> 16)
        else:
            np.testing.assert_array_equal(mine.numpy().view(bits), t.numpy().reshape(-1).view(bits))
    else:
        np.testing.assert_array_equal(ck["t"].numpy(), t.numpy())
    assert ck["zero_d"].shape == () and ck["empty"].shape == (0, 5)
    same(t[1, 2], ck["zero_d"])


@pytest.mark.parametrize("dtype", list(WIDENED))
def test_integer_dtypes_steepest_lacks_load_widened_with_a_warning(tmp_path, dtype):
    info = torch.iinfo(dtype)
    t = torch.tensor([info.min, 0, info.max], dtype=dtype)
    with pytest.warns(UserWarning, match=f"{str(dtype)}.*widened"):
        ck = st.load(torch_file(tmp_path, t))
    assert ck.dtype == WIDENED[dtype]
    assert ck.numpy().tolist() == [info.min, 0, info.max]


def test_complex_tensors_are_refused_naming_the_dtype(tmp_path):
    with pytest.raises(ValueError, match="complex64"):
        st.load(torch_file(tmp_path, torch.ones(2, dtype=torch.complex64)))


def test_views_share_memory_and_strides_offsets_are_honoured(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"base": base, "col": base[:, 2], "t": base.t(), "block": base[1:3, 2:5], "step": base[::2, ::3],
           "expanded": torch.arange(3.0).expand(4, 3)}
    ck = st.load(torch_file(tmp_path, obj))
    same(obj, ck)
    assert ck["t"].stride() == (1, 6) and ck["block"].storage_offset() == 8
    assert ck["expanded"].stride() == (0, 1)
    ck["base"].add_(1000)  # one storage: every view sees the write, as in torch
    for k in ("col", "t", "block", "step"):
        same(obj[k] + 1000, ck[k])


def test_parameters_requires_grad_and_containers_keep_their_types(tmp_path):
    obj = collections.OrderedDict(
        p=torch.nn.Parameter(torch.ones(2)), frozen=torch.nn.Parameter(torch.ones(2), requires_grad=False),
        g=torch.ones(3, requires_grad=True), nested=[(1, 2.5, "x", None, True), {"k": [b"\x00\xff", {3, 4}]}],
        c=1 + 2j, dt=torch.bfloat16, dev=torch.device("cpu"), size=torch.Size([2, 3]), big=2**80, neg=-(2**40))
    ck = st.load(torch_file(tmp_path, obj))
    assert type(ck) is collections.OrderedDict
    assert isinstance(ck["p"], st.nn.Parameter) and ck["p"].requires_grad
    assert isinstance(ck["frozen"], st.nn.Parameter) and not ck["frozen"].requires_grad
    assert ck["g"].requires_grad and ck["g"].is_leaf
    assert ck["nested"] == [(1, 2.5, "x", None, True), {"k": [b"\x00\xff", {3, 4}]}]
    assert ck["c"] == 1 + 2j and ck["dt"] == st.bfloat16 and ck["dev"] == st.device("cpu")
    assert ck["size"] == (2, 3) and ck["big"] == 2**80 and ck["neg"] == -(2**40)


def test_file_objects_and_map_location(tmp_path):
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    buf.seek(0)
    same({"w": torch.ones(2)}, st.load(buf, map_location="cpu", weights_only=True))
    if not st.cuda.is_available():
        with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
            st.load(torch_file(tmp_path, torch.ones(1)), map_location="cuda:0")


# ---- steepest -> torch --------------------------------------------------------------------------

def steepest_obj():
    base = st.arange(24.0).reshape(4, 6)
    model = st.nn.Sequential(st.nn.Linear(3, 4), st.nn.ReLU(), st.nn.Linear(4, 2))
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    model(st.ones(2, 3)).sum().backward()
    opt.step()
    return {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 7,
            "views": {"base": base, "t": base.t(), "col": base[:, 2], "block": base[1:3, 2:5]},
            "dtypes": {str(d): (st.arange(6.0) * 7.5).to(d).reshape(2, 3) for d in
                       (st.float32, st.float64, st.float16, st.bfloat16, st.int64, st.int32, st.bool)},
            "zero_d": st.tensor(2.5), "empty": st.zeros(0, 3), "param": st.nn.Parameter(st.ones(2)),
            "grad": st.ones(2).requires_grad_(True),
            "plain": [1, -(2**70), 0.1, "s", b"\x00\xff", None, True, (1, 2, 3, 4), {5, 6}, 2j],
            "meta": {"dt": st.float16, "dev": st.device("cpu"), 3: "int key", (1, 2): "tuple key"}}


def as_torch_side(x):
    """What torch should read back for a steepest object (same values, torch types)."""
    if isinstance(x, st.Tensor):
        return x
    if isinstance(x, dict):
        return type(x)((k, as_torch_side(v)) for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return type(x)(as_torch_side(v) for v in x)
    return x


def test_torch_load_weights_only_reads_what_st_save_writes(tmp_path):
    obj = steepest_obj()
    path = tmp_path / "s.pt"
    st.save(obj, path)  # a .pt path: torch's format by default
    assert zipfile.is_zipfile(path)
    theirs = torch.load(path, weights_only=True)
    same(obj, theirs)
    assert isinstance(theirs["param"], torch.nn.Parameter) and theirs["param"].requires_grad
    assert type(theirs["model"]) is collections.OrderedDict
    v = theirs["views"]  # views of one steepest tensor share one torch storage
    assert v["t"].untyped_storage().data_ptr() == v["base"].untyped_storage().data_ptr()
    assert v["col"].untyped_storage().data_ptr() == v["base"].untyped_storage().data_ptr()
    v["base"].add_(100)
    same(obj["views"]["block"] + 100, v["block"])
    same(obj, st.load(path))  # and back
    mm = torch.load(path, weights_only=True, mmap=True)  # entries are aligned for torch's mmap load
    same(obj["dtypes"], mm["dtypes"])


def test_a_steepest_model_saved_as_torch_loads_into_the_torch_model(tmp_path):
    st.manual_seed(0)
    sm = st.nn.Sequential(st.nn.Linear(3, 5), st.nn.GELU(), st.nn.LayerNorm(5), st.nn.Linear(5, 1))
    st.save(sm.state_dict(), tmp_path / "m.pth")
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.GELU(), torch.nn.LayerNorm(5), torch.nn.Linear(5, 1))
    tm.load_state_dict(torch.load(tmp_path / "m.pth", weights_only=True))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    # float32 kernels differ in rounding (LayerNorm divides by a row's spread, which can be small:
    # 1.7e-6 was seen at an output of 0.048); a wrongly loaded weight would be off by ~0.1
    np.testing.assert_allclose(tm(torch.tensor(x)).detach().numpy(), sm(st.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=2e-5)


def test_small_views_are_not_saved_with_their_whole_base(tmp_path):
    big = st.zeros(100000)
    st.save({"slice": big[10:12]}, tmp_path / "s.pt")
    assert os.path.getsize(tmp_path / "s.pt") < 4000
    same(torch.load(tmp_path / "s.pt", weights_only=True), {"slice": st.zeros(2)})


def test_format_choice_file_objects_and_keyword_checks(tmp_path):
    st.save({"a": st.ones(2)}, tmp_path / "x.safetensors")
    assert not zipfile.is_zipfile(tmp_path / "x.safetensors")
    st.save({"a": st.ones(2)}, tmp_path / "x.bin", format="torch")
    assert zipfile.is_zipfile(tmp_path / "x.bin")
    st.save({"a": st.ones(2)}, tmp_path / "y.pt", format="safetensors")
    same({"a": st.ones(2)}, st.load(tmp_path / "y.pt"))  # st.load goes by content, not by name
    buf = io.BytesIO()
    st.save({"a": st.ones(2)}, buf, format="torch", pickle_protocol=2, _use_new_zipfile_serialization=True)
    buf.seek(0)
    same({"a": st.ones(2)}, torch.load(buf, weights_only=True))
    with pytest.raises(TypeError, match="pickle_protocol=4"):
        st.save({}, tmp_path / "z.pt", pickle_protocol=4)
    with pytest.raises(TypeError, match="_use_new_zipfile_serialization=False"):
        st.save({}, tmp_path / "z.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="format"):
        st.save({}, tmp_path / "z.pt", format="pickle")
    with pytest.raises(TypeError, match="unsupported keyword"):
        st.save({}, tmp_path / "z.safetensors", pickle_protocol=2)


def test_zip_entries_are_64_byte_aligned_and_python_zipfile_agrees(tmp_path):
    st.save({f"w{i}": st.ones(i + 1) for i in range(5)}, tmp_path / "a.pt")
    with zipfile.ZipFile(tmp_path / "a.pt") as z:
        assert z.testzip() is None
        raw = (tmp_path / "a.pt").read_bytes()
        for info in z.infolist():
            n, m = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            start = info.header_offset + 30 + n + m
            assert start % 64 == 0, info.filename
        assert {"archive/data.pkl", "archive/byteorder", "archive/version"} <= set(z.namelist())


def test_zip64_records_are_read_by_zipfile_torch_and_st(tmp_path):
    from steepest import _torch_pickle_writer, _torch_zip
    obj = {"w": st.arange(5.0), "n": 3}
    pkl, records = _torch_pickle_writer.dump(obj, "test")
    z = _torch_zip.Writer(force_zip64=True)
    z.add("archive/data.pkl", pkl)
    z.add("archive/byteorder", b"little")
    for key, values in records:
        z.add(f"archive/data/{key}", _torch_zip.as_bytes(values))
    z.add("archive/version", b"3\n")
    (tmp_path / "z.pt").write_bytes(b"".join(bytes(p) for p in z.finish()))
    with zipfile.ZipFile(tmp_path / "z.pt") as zf:
        assert zf.testzip() is None
    same(obj, torch.load(tmp_path / "z.pt", weights_only=True))
    same(obj, st.load(tmp_path / "z.pt"))


def test_unsupported_objects_raise_type_error_naming_where_and_keep_the_old_file(tmp_path):
    path = tmp_path / "keep.pt"
    st.save({"v": st.ones(1)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['a'\]\[1\]"):
        st.save({"a": [1, object()]}, path)
    with pytest.raises(ValueError, match="contains itself"):
        loop = []
        loop.append(loop)
        st.save(loop, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.pt"]


def test_saves_are_atomic_through_symlinks_and_keep_permissions(tmp_path):
    target = tmp_path / "real.pt"
    st.save({"v": st.ones(1)}, target)
    os.chmod(target, 0o600)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    st.save({"v": st.zeros(2)}, link)
    assert link.is_symlink() and (os.stat(target).st_mode & 0o777) == 0o600
    same({"v": st.zeros(2)}, torch.load(target, weights_only=True))


# ---- malicious pickles ----------------------------------------------------------------------------

def archive_with(tmp_path, pkl: bytes, records=None, name="evil.pt"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        for k, v in (records or {}).items():
            z.writestr(f"archive/data/{k}", v)
        z.writestr("archive/version", "3\n")
    return path


class _Reduce:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize("payload, global_name", [
    (lambda marker: _Reduce(os.system, f"touch {marker}"), "posix.system"),
    (lambda marker: _Reduce(eval, f"open({str(marker)!r}, 'w')"), "builtins.eval"),
    (lambda marker: {"ok": 1, "bad": _Reduce(getattr, "text", "upper")}, "builtins.getattr"),
    (lambda marker: [_Reduce(collections.namedtuple, "X", "a")], "collections.namedtuple"),
])
def test_malicious_reduces_are_refused_naming_the_global_like_torch(tmp_path, payload, global_name):
    marker = tmp_path / "pwned"
    path = archive_with(tmp_path, pickle.dumps(payload(marker), protocol=2))
    with pytest.raises(pickle.UnpicklingError):  # torch refuses the same file
        torch.load(path, weights_only=True)
    for weights_only in (True, False, None):
        with pytest.raises(ValueError, match=global_name.replace(".", r"\.")) as e:
            st.load(path, weights_only=weights_only)
        assert isinstance(e.value, pickle.UnpicklingError)
    assert not marker.exists()


def test_object_building_opcodes_and_memo_bombs_are_refused(tmp_path):
    inst = b"\x80\x02(cos\nsystem\nS'true'\ni__main__\nX\n."  # INST: builds an instance of a named class
    with pytest.raises(ValueError, match="INST"):
        st.load(archive_with(tmp_path, inst))
    newobj = b"\x80\x02ccollections\nOrderedDict\n)\x81."  # NEWOBJ
    with pytest.raises(ValueError, match="NEWOBJ"):
        st.load(archive_with(tmp_path, newobj))
    bomb = b"\x80\x02Nr\xf0\xff\xff\x0f."  # LONG_BINPUT at index 2**28: a 2 GB memo table in CPython
    with pytest.raises(ValueError, match="memo index"):
        st.load(archive_with(tmp_path, bomb))
    with pytest.raises(ValueError, match="bytearray|not allowed|bytes"):
        st.load(archive_with(tmp_path, b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x7f\x85R."))


def storage_pickle(numel, size=(2,), stride=(1,), offset=0, key="0", storage="FloatStorage"):
    """torch._utils._rebuild_tensor_v2(<storage pid>, offset, size, stride, False, OrderedDict()),
    pickled by hand as torch writes it, with any numbers."""
    def g(mod, name):
        return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"
    out = b"\x80\x02" + g("torch._utils", "_rebuild_tensor_v2") + b"((X" + struct.pack("<I", 7) + b"storage"
    out += g("torch", storage) + b"X" + struct.pack("<I", len(key)) + key.encode() + b"X\x03\x00\x00\x00cpu"
    out += b"J" + struct.pack("<i", numel) + b"tQJ" + struct.pack("<i", offset)
    out += b"(" + b"".join(b"J" + struct.pack("<i", v) for v in size) + b"t"
    out += b"(" + b"".join(b"J" + struct.pack("<i", v) for v in stride) + b"t"
    out += b"\x89" + g("collections", "OrderedDict") + b")RtR."
    return out


def test_hand_built_tensor_pickle_loads_in_torch_and_st(tmp_path):
    data = np.arange(6, dtype=np.float32).tobytes()
    path = archive_with(tmp_path, storage_pickle(6, size=(2, 2), stride=(1, 2), offset=1), {"0": data})
    same(torch.load(path, weights_only=True), st.load(path))


@pytest.mark.parametrize("kw, records, words", [
    ({"numel": 6, "size": (3, 3), "stride": (3, 1)}, {"0": bytes(24)}, "reaches element 8"),
    ({"numel": 6, "size": (2,), "offset": 5}, {"0": bytes(24)}, "reaches element 6"),
    ({"numel": 1000, "size": (2,)}, {"0": bytes(24)}, "holds 24 bytes"),
    ({"numel": 6, "size": (2,), "key": "9"}, {"0": bytes(24)}, "no record"),
    ({"numel": 6, "size": (2,), "storage": "NopeStorage"}, {"0": bytes(24)}, "torch.NopeStorage"),
    ({"numel": 6, "size": (-2,)}, {"0": bytes(24)}, "size"),
])
def test_tensors_outside_their_storage_are_value_errors(tmp_path, kw, records, words):
    path = archive_with(tmp_path, storage_pickle(**kw), records)
    with pytest.raises(ValueError, match=words):
        st.load(path)


# ---- damaged archives -----------------------------------------------------------------------------

def good_torch_bytes():
    base = torch.arange(12.0).reshape(3, 4)
    obj = {"w": base, "t": base.t(), "b": torch.tensor([True, False]), "h": torch.ones(3, dtype=torch.bfloat16),
           "meta": {"epoch": 3, "name": "x"}}
    buf = io.BytesIO()
    torch.save(obj, buf)
    return obj, buf.getvalue()


_OBJ, _RAW = good_torch_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st_.lists(st_.tuples(st_.integers(0, len(_RAW) - 1), st_.integers(1, 255)), min_size=1, max_size=3),
       cut=st_.one_of(st_.none(), st_.integers(0, len(_RAW) - 1)))
def test_byte_flips_and_truncations_give_a_value_error_or_a_correct_load(tmp_path, flips, cut):
    raw = bytearray(_RAW)
    for pos, x in flips:
        raw[pos] ^= x
    if cut is not None:
        raw = raw[:cut]
    path = tmp_path / "damaged.pt"
    path.write_bytes(bytes(raw))
    try:
        got = st.load(path)
    except ValueError as e:
        assert "damaged.pt" in str(e)
        return
    same(_OBJ, got)


def _rezip(raw, edit):
    """The archive with data.pkl replaced by edit(data.pkl), CRCs recomputed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
        for n in zin.namelist():
            v = zin.read(n)
            zout.writestr(n, edit(v) if n.endswith("data.pkl") else v)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st_.lists(st_.tuples(st_.integers(0, 10**6), st_.integers(1, 255)), min_size=1, max_size=3),
       cut=st_.one_of(st_.none(), st_.integers(0, 10**6)))
# the bool tensor's storage key "1" flipped to "0": a key read before as float32 (torch keeps its first type)
@example(flips=[(20329, 1)], cut=None)
def test_damaged_pickles_behind_valid_crcs_fail_cleanly_or_load_as_torch_loads_them(tmp_path, flips, cut):
    def edit(pkl):
        b = bytearray(pkl)
        for pos, x in flips:
            b[pos % len(b)] ^= x
        return bytes(b[:cut % (len(b) + 1)] if cut is not None else b)

    path = tmp_path / "pkl.pt"
    path.write_bytes(_rezip(_RAW, edit))
    try:
        mine = st.load(path)
    except ValueError as e:
        assert "pkl.pt" in str(e)
        return
    with warnings.catch_warnings():  # torch warns about pickle protocols it doesn't expect
        warnings.simplefilter("ignore")
        theirs = torch.load(path, weights_only=True)  # what we accepted, torch accepts and reads alike
    same(theirs, mine)


def test_every_truncation_is_a_value_error(tmp_path):
    path = tmp_path / "cut.pt"
    for cut in range(0, len(_RAW), max(1, len(_RAW) // 97)):
        path.write_bytes(_RAW[:cut])
        with pytest.raises(ValueError):
            st.load(path)


def test_declared_sizes_beyond_the_file_and_compressed_entries_are_refused(tmp_path):
    raw = bytearray(_RAW)
    with zipfile.ZipFile(io.BytesIO(_RAW)) as z:
        info = z.getinfo([n for n in z.namelist() if n.endswith("data/0")][0])
    # patch the central directory record of data/0: both sizes to 2**31 (a 2 GB "bomb")
    name = info.filename.encode()
    at = raw.find(b"PK\x01\x02", 0)
    while raw[at + 46:at + 46 + len(name)] != name:
        at = raw.find(b"PK\x01\x02", at + 4)
    raw[at + 20:at + 28] = struct.pack("<LL", 2**31, 2**31)
    (tmp_path / "bomb.pt").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="more than the file holds"):
        st.load(tmp_path / "bomb.pt")
    with zipfile.ZipFile(tmp_path / "deflated.pt", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"a": 1}, protocol=2))
        z.writestr("archive/data/0", bytes(10**6))
    with pytest.raises(ValueError, match="compressed"):
        st.load(tmp_path / "deflated.pt")


def test_big_endian_checkpoints_are_byte_swapped(tmp_path):
    obj = {"f": torch.tensor([1.5, -2.25]), "d": torch.tensor([3.0], dtype=torch.float64),
           "i": torch.tensor([1, -2, 3 << 40]), "h": torch.tensor([0.5, 7.0], dtype=torch.bfloat16),
           "b": torch.tensor([True, False])}
    little = torch_file(tmp_path, obj)
    sizes = {}
    with zipfile.ZipFile(little) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    prefix = [n for n in entries if n.endswith("data.pkl")][0][:-len("data.pkl")]
    loaded = st.load(little)
    for key, t in obj.items():  # storage keys follow the order torch met the tensors
        sizes[str(list(obj).index(key))] = t.element_size()
    big = {}
    for n, v in entries.items():
        if n == prefix + "byteorder":
            v = b"big"
        elif n.startswith(prefix + "data/"):
            size = sizes[n.rsplit("/", 1)[1]]
            v = np.frombuffer(v, dtype=f"<u{size}" if size > 1 else "u1").byteswap().tobytes()
        big[n] = v
    path = tmp_path / "big.pt"
    with zipfile.ZipFile(path, "w") as z:
        for n, v in big.items():
            z.writestr(n, v)
    same(obj, torch.load(path, weights_only=True))  # the crafted file is a valid big-endian checkpoint
    same(obj, st.load(path))
    same(obj, loaded)


# ---- files of other kinds -----------------------------------------------------------------------

def test_files_of_other_kinds_say_what_they_are(tmp_path):
    cases = {}
    np.save(tmp_path / "a.npy", np.ones(3))
    cases["a.npy"] = "numpy .npy"
    np.savez(tmp_path / "b.npz", x=np.ones(3))
    cases["b.npz"] = "not a torch checkpoint"
    (tmp_path / "c.txt").write_text("hello, this is text\n")
    cases["c.txt"] = "looks like text"
    (tmp_path / "d.bin").write_bytes(bytes(range(7, 200)))
    cases["d.bin"] = "neither a safetensors nor a torch file"
    (tmp_path / "e.pt").write_bytes(b"")
    cases["e.pt"] = "empty"
    torch.save({"w": torch.ones(2)}, tmp_path / "f.pt", _use_new_zipfile_serialization=False)
    cases["f.pt"] = "legacy"
    (tmp_path / "g.pkl").write_bytes(pickle.dumps({"a": 1}))
    cases["g.pkl"] = "plain Python pickle"
    import gzip
    (tmp_path / "h.gz").write_bytes(gzip.compress(b"abc"))
    cases["h.gz"] = "gzip"
    for name, words in cases.items():
        with pytest.raises(ValueError, match=words) as e:
            st.load(tmp_path / name)
        assert name in str(e.value)


def test_safetensors_and_torch_files_load_whatever_their_names(tmp_path):
    st.save({"a": st.ones(2)}, tmp_path / "steepest.pt", format="safetensors")
    torch.save({"a": torch.ones(2)}, tmp_path / "torch.safetensors")
    same({"a": st.ones(2)}, st.load(tmp_path / "steepest.pt"))
    same({"a": torch.ones(2)}, st.load(tmp_path / "torch.safetensors"))
