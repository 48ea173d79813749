"""Zero-copy exchange with numpy (from_numpy, .numpy(), __array__) and DLPack (numpy, torch,
and hand-built capsules whose structs are declared here with ctypes from the DLPack spec):
shared memory proven by writes in both directions, every dtype, strided views, lifetimes,
deleters called exactly once, and no leaks over many conversions."""
import ctypes
import gc
import sys
import warnings

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as hst

import steepest as st
from gpu import CUDA_BUILT, NO_CUDA  # noqa: E402

NUMPY_DTYPES = [np.bool_, np.int32, np.int64, np.float16, np.float32, np.float64]
ST_OF = {np.dtype(np.bool_): st.bool, np.dtype(np.int32): st.int32, np.dtype(np.int64): st.int64,
         np.dtype(np.float16): st.float16, np.dtype(np.float32): st.float32,
         np.dtype(np.float64): st.float64}
TORCH_DTYPES = {st.bool: torch.bool, st.int32: torch.int32, st.int64: torch.int64,
                st.bfloat16: torch.bfloat16, st.float16: torch.float16, st.float32: torch.float32,
                st.float64: torch.float64}


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if np.dtype(dtype).kind == "i":
        return np.asarray(rng.integers(-1000, 1000, shape), dtype=dtype)
    return np.asarray(rng.standard_normal(shape) * 10, dtype=dtype)


def poke(dtype):
    """A value different from anything sample() makes, of the given numpy dtype."""
    return np.array(True if dtype == np.bool_ else 12345, dtype=dtype)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


# ------------------------------------------------------------------ from_numpy / numpy()

@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_from_numpy_shares_memory_both_ways(dtype):
    arr = sample((3, 5), dtype)
    t = st.from_numpy(arr)
    assert t.dtype == ST_OF[np.dtype(dtype)] and t.shape == (3, 5) and t.stride() == (5, 1)
    assert t.data_ptr() == arr.ctypes.data
    arr[1, 2] = poke(dtype)  # numpy -> tensor
    assert t.tolist()[1][2] == poke(dtype).item()
    back = t.numpy()  # tensor -> numpy view of the same memory
    back[0, 0] = poke(dtype)
    assert arr[0, 0] == poke(dtype)
    np.testing.assert_array_equal(back, arr)
    t.fill_(0)  # a tensor op writes the numpy memory
    assert not arr.any()


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_from_numpy_strided_views(dtype):
    base = sample((6, 8), dtype)
    for view in (base.T, base[::2, 1::3], base[:, 3], base[2:3, :], base[::-1][::-1]):
        t = st.from_numpy(view)
        assert t.shape == view.shape
        np.testing.assert_array_equal(np.array(t.tolist(), dtype=dtype).reshape(view.shape), view)
        assert t.data_ptr() == view.ctypes.data
        assert t.is_contiguous() == (view.flags.c_contiguous or view.size <= 1)
        if view.size:
            view.flat[0] = poke(dtype)
            assert t.numpy().flat[0] == poke(dtype)


def test_from_numpy_0d_and_empty():
    t = st.from_numpy(np.array(2.5))
    assert t.shape == () and t.item() == 2.5
    e = st.from_numpy(np.zeros((0, 3), dtype=np.int32))
    assert e.shape == (0, 3) and e.dtype == st.int32 and e.numel() == 0
    assert e.numpy().shape == (0, 3)


def test_from_numpy_errors():
    with pytest.raises(TypeError, match="supported: bool, int32, int64, float16, float32, float64"):
        st.from_numpy(np.zeros(3, dtype=np.uint8))
    with pytest.raises(TypeError, match="complex128"):
        st.from_numpy(np.zeros(3, dtype=np.complex128))
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        st.from_numpy([1.0, 2.0])
    with pytest.raises(ValueError, match="negative strides"):
        st.from_numpy(np.arange(5.0)[::-1])
    with pytest.raises(TypeError, match="big-endian"):
        st.from_numpy(np.arange(3, dtype=">f8"))
    raw = np.zeros(17, dtype=np.uint8)
    misaligned = raw[1:].view(np.float64) if raw[1:].ctypes.data % 8 else raw[2:10].view(np.float64)
    with pytest.raises(ValueError, match="not aligned to its element size"):
        st.from_numpy(misaligned)


def test_from_numpy_read_only_warns():
    arr = np.arange(4.0)
    arr.flags.writeable = False
    with pytest.warns(UserWarning, match="read-only"):
        t = st.from_numpy(arr)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_numpy_of_unsupported_or_grad_tensor():
    with pytest.raises(TypeError, match="numpy has no bfloat16 dtype"):
        st.zeros(2, dtype=st.bfloat16).numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        st.zeros(2, requires_grad=True).numpy()
    g = st.ones(2, requires_grad=True)
    v = g.numpy(force=True)
    v[0] = 5
    assert g.tolist() == [5.0, 1.0]
    assert st.Tensor.__array_priority__ == torch.Tensor.__array_priority__


def test_lifetimes_survive_deleting_the_source():
    arr = np.arange(1000.0)
    t = st.from_numpy(arr[::2])
    del arr
    gc.collect()
    assert t.tolist()[:3] == [0.0, 2.0, 4.0] and t.tolist()[-1] == 998.0
    s = st.tensor([1.0, 2.0, 3.0])
    view = s.numpy()
    del s
    gc.collect()
    np.testing.assert_array_equal(view, [1, 2, 3])


def test_from_numpy_keeps_the_array_alive_until_the_last_view_dies():
    arr = np.arange(10.0)
    before = sys.getrefcount(arr)
    t = st.from_numpy(arr)
    assert sys.getrefcount(arr) == before + 1
    del t
    gc.collect()
    assert sys.getrefcount(arr) == before


# ------------------------------------------------------------------ __array__

def test_array_protocol_is_zero_copy():
    t = st.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.ctypes.data == t.data_ptr()
    a[0, 0] = 9
    assert t.tolist()[0][0] == 9.0
    np.testing.assert_array_equal(np.array(st.tensor([True, False])), [True, False])
    assert np.asarray(st.tensor(3)).shape == ()


def test_array_protocol_dtype_and_copy():
    t = st.tensor([1.5, 2.5])
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and d.tolist() == [1.5, 2.5]
    c = np.array(t, copy=True)
    c[0] = 0
    assert t.tolist() == [1.5, 2.5]
    same = t.__array__(np.float32, copy=False)
    assert same.ctypes.data == t.data_ptr()
    with pytest.raises(ValueError, match="needs a copy, but copy=False"):
        t.__array__(np.float64, copy=False)
    with pytest.raises(TypeError, match="numpy has no bfloat16"):
        np.asarray(st.zeros(2, dtype=st.bfloat16))
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(st.zeros(2, requires_grad=True))


# ------------------------------------------------------------------ DLPack with numpy

@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_dlpack_numpy_both_ways(dtype):
    arr = sample((4, 3), dtype)
    t = st.from_dlpack(arr)
    assert t.dtype == ST_OF[np.dtype(dtype)] and t.data_ptr() == arr.ctypes.data
    arr[2, 1] = poke(dtype)
    assert t.tolist()[2][1] == poke(dtype).item()
    back = np.from_dlpack(t)
    assert back.ctypes.data == t.data_ptr() and back.dtype == dtype
    back[0, 0] = poke(dtype)
    assert arr[0, 0] == poke(dtype)
    # a steepest-made tensor exported to numpy
    s = st.from_numpy(sample((5,), dtype, seed=1).copy())
    n = np.from_dlpack(s)
    n[3] = poke(dtype)
    assert s.tolist()[3] == poke(dtype).item()


def test_dlpack_numpy_strided_0d_empty():
    base = np.arange(24.0).reshape(4, 6)
    for view in (base.T, base[1::2, ::3], np.array(7.0), np.zeros((0, 5)), np.zeros((3, 0, 2))):
        t = st.from_dlpack(view)
        assert t.shape == view.shape
        np.testing.assert_array_equal(np.asarray(t), view)
        assert np.from_dlpack(t).shape == view.shape
    t = st.from_dlpack(base.T)
    assert t.stride() == (1, 6)


@settings(max_examples=60, deadline=None)
@given(shape=hst.lists(hst.integers(0, 5), min_size=0, max_size=3),
       steps=hst.lists(hst.integers(1, 3), min_size=3, max_size=3),
       transpose=hst.booleans(), dtype=hst.sampled_from(NUMPY_DTYPES))
def test_dlpack_and_from_numpy_hypothesis(shape, steps, transpose, dtype):
    full = sample([s * 3 for s in shape], dtype)
    view = full[tuple(slice(None, None, k) for k in steps[:len(shape)])] if shape else full
    if transpose:
        view = view.T
    for make in (st.from_dlpack, st.from_numpy):
        t = make(view)
        assert t.shape == view.shape and t.dtype == ST_OF[np.dtype(dtype)]
        np.testing.assert_array_equal(np.asarray(t), view)
        if view.size:
            assert t.data_ptr() == view.ctypes.data


# ------------------------------------------------------------------ DLPack with torch

@pytest.mark.parametrize("dtype", list(TORCH_DTYPES))
def test_dlpack_torch_both_ways_every_dtype(dtype):
    tdt = TORCH_DTYPES[dtype]
    src = (torch.randn(3, 4) * 10).to(tdt)
    t = st.from_dlpack(src)
    assert t.dtype == dtype and t.data_ptr() == src.data_ptr() and t.shape == (3, 4)
    assert t.float().tolist() == src.float().tolist()
    src[1, 1] = 1  # torch -> steepest
    assert t.float().tolist()[1][1] == 1.0
    out = torch.from_dlpack(t)  # steepest -> torch
    assert out.dtype == tdt and out.data_ptr() == t.data_ptr()
    t.fill_(0)
    assert not src.any() and not out.any()
    own = st.ones((2, 2), dtype=dtype)
    view = torch.from_dlpack(own)
    view[0, 1] = 0
    assert own.float().tolist() == [[1.0, 0.0], [1.0, 1.0]]


def test_dlpack_torch_bfloat16_bits_exact():
    src = torch.tensor([1.0, -2.5, 3.140625, 1e-40, float("inf"), float("nan")], dtype=torch.bfloat16)
    t = st.from_dlpack(src)
    back = torch.from_dlpack(t)
    assert torch.equal(back.view(torch.int16), src.view(torch.int16))
    np.testing.assert_array_equal(np.asarray(t.float()), src.float().numpy())


def test_dlpack_torch_strided_and_odd_shapes():
    base = torch.arange(60.0).reshape(3, 4, 5)
    for view in (base.transpose(0, 2), base[:, ::2, 1::2], base[1], torch.tensor(3.0), torch.zeros(0, 4),
                 base.permute(1, 2, 0)[:, :, 1:]):
        t = st.from_dlpack(view)
        assert t.shape == tuple(view.shape) and t.stride() == view.stride()
        np.testing.assert_array_equal(np.asarray(t), view.numpy())
        back = torch.from_dlpack(t)
        assert torch.equal(back, view) and back.stride() == view.stride()


def test_dlpack_lifetimes_with_torch():
    src = torch.arange(1000.0)
    t = st.from_dlpack(src[::3])
    del src
    gc.collect()
    assert t.tolist()[:3] == [0.0, 3.0, 6.0] and t.numel() == 334
    s = st.tensor([5.0, 6.0, 7.0])
    tt = torch.from_dlpack(s)
    del s
    gc.collect()
    assert tt.tolist() == [5.0, 6.0, 7.0]


def test_from_dlpack_of_steepest_tensor_shares_storage():
    a = st.tensor([1.0, 2.0])
    b = st.from_dlpack(a)
    assert b is not a and b.data_ptr() == a.data_ptr()
    b.fill_(3)
    assert a.tolist() == [3.0, 3.0] and a._version == b._version
    c = st.from_dlpack(a, copy=True)
    c.fill_(0)
    assert a.tolist() == [3.0, 3.0]


def test_dlpack_producer_protocol():
    t = st.tensor([1, 2, 3])
    assert t.__dlpack_device__() == (1, 0)
    cap = t.__dlpack__()
    assert "dltensor" in repr(cap) and "versioned" not in repr(cap)
    assert "dltensor_versioned" in repr(t.__dlpack__(max_version=(1, 0)))
    assert "versioned" not in repr(t.__dlpack__(max_version=(0, 8)))
    t.__dlpack__(stream=None, dl_device=(1, 0), copy=False)
    with pytest.raises(BufferError, match="require gradient"):
        st.zeros(2, requires_grad=True).__dlpack__()
    with pytest.raises(ValueError, match="stream must be None"):
        t.__dlpack__(stream=5)
    with pytest.raises(BufferError, match="can only export to the CPU"):
        t.__dlpack__(dl_device=(2, 0))
    # what consumers pass: device=/copy= become dl_device=/copy= on our side
    f = st.tensor([1.0, 2.0])
    assert torch.from_dlpack(f, device="cpu").data_ptr() == f.data_ptr()
    assert np.from_dlpack(f, device="cpu").ctypes.data == f.data_ptr()
    tc, nc = torch.from_dlpack(f, copy=True), np.from_dlpack(f, copy=True)
    tc[0], nc[1] = 7, 9
    assert f.tolist() == [1.0, 2.0]


def test_from_dlpack_consumes_capsules_once():
    arr = np.arange(4.0)
    cap = arr.__dlpack__()
    t = st.from_dlpack(cap)
    assert "used_dltensor" in repr(cap)
    with pytest.raises(BufferError, match="already consumed"):
        st.from_dlpack(cap)
    vcap = arr.__dlpack__(max_version=(1, 0))
    st.from_dlpack(vcap)
    assert "used_dltensor_versioned" in repr(vcap)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_from_dlpack_errors():
    with pytest.raises(TypeError, match="expected an object with __dlpack__.*got list"):
        st.from_dlpack([1, 2])

    class FakeCuda:
        def __dlpack_device__(self):
            return (2, 1)

        def __dlpack__(self, **kwargs):
            raise AssertionError("must not be asked for a capsule")

    if not CUDA_BUILT:
        with pytest.raises(BufferError, match="on cuda:1; this build of steepest only has the CPU"):
            st.from_dlpack(FakeCuda())
    if not st.cuda.is_available():
        with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
            st.from_dlpack(np.zeros(2), device="cuda")
    with pytest.raises(TypeError, match="unsupported DLPack dtype uint8"):
        st.from_dlpack(np.zeros(2, dtype=np.uint8))
    with pytest.raises(ValueError, match="negative strides"):
        st.from_dlpack(np.arange(4.0)[::-1])

    class OldProducer:  # no max_version keyword: from before DLPack 1.0
        def __init__(self):
            self.a = np.arange(3.0)

        def __dlpack__(self, stream=None):
            return self.a.__dlpack__()

    assert st.from_dlpack(OldProducer()).tolist() == [0.0, 1.0, 2.0]


# ------------------------------------------------------------------ hand-built capsules (ctypes)

class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensor(ctypes.Structure):
    pass


class DLManagedTensorVersioned(ctypes.Structure):
    pass


DELETER = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensor))
DELETER_V = ctypes.CFUNCTYPE(None, ctypes.POINTER(DLManagedTensorVersioned))
DLManagedTensor._fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", DELETER)]
DLManagedTensorVersioned._fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p),
                                     ("deleter", DELETER_V), ("flags", ctypes.c_uint64),
                                     ("dl_tensor", DLTensor)]

PyCapsule_New = ctypes.pythonapi.PyCapsule_New
PyCapsule_New.restype = ctypes.py_object
PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
PyCapsule_GetPointer = ctypes.pythonapi.PyCapsule_GetPointer
PyCapsule_GetPointer.restype = ctypes.c_void_p
PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
NAME = b"dltensor"
NAME_V = b"dltensor_versioned"


class Producer:
    """A DLPack producer built by hand over a numpy buffer; counts deleter calls."""

    def __init__(self, buf, shape, strides, code, bits, versioned=False, byte_offset=0, lanes=1,
                 flags=0, major=1, device=1):
        self.buf = buf
        self.calls = 0
        self.shape = (ctypes.c_int64 * len(shape))(*shape)
        self.strides = None if strides is None else (ctypes.c_int64 * len(strides))(*strides)
        dl = DLTensor(buf.ctypes.data, DLDevice(device, 0), len(shape), DLDataType(code, bits, lanes),
                      self.shape, self.strides, byte_offset)
        if versioned:
            self.deleter = DELETER_V(self._delete)
            self.m = DLManagedTensorVersioned(DLPackVersion(major, 0), None, self.deleter, flags, dl)
        else:
            self.deleter = DELETER(self._delete)
            self.m = DLManagedTensor(dl, None, self.deleter)
        self.capsule = PyCapsule_New(ctypes.addressof(self.m), NAME_V if versioned else NAME, None)

    def _delete(self, _ptr):
        self.calls += 1


def test_hand_built_capsule_strides_offset_and_single_deleter_call():
    buf = np.arange(40, dtype=np.float32)
    p = Producer(buf, shape=(3, 4), strides=(1, 8), code=2, bits=32, byte_offset=8)  # starts at buf[2]
    t = st.from_dlpack(p.capsule)
    expected = np.lib.stride_tricks.as_strided(buf[2:], (3, 4), (4, 32))
    np.testing.assert_array_equal(np.asarray(t), expected)
    view = t.numpy()
    assert p.calls == 0
    del t
    gc.collect()
    assert p.calls == 0  # the numpy view still holds the memory
    del view
    gc.collect()
    assert p.calls == 1


def test_hand_built_versioned_capsule_null_strides_and_bfloat16():
    bits = np.array([0x3F80, 0xC020, 0x7F80], dtype=np.uint16)  # 1.0, -2.5, inf in bfloat16
    p = Producer(bits, shape=(3,), strides=None, code=4, bits=16, versioned=True)
    t = st.from_dlpack(p.capsule)
    assert t.dtype == st.bfloat16 and t.float().tolist() == [1.0, -2.5, float("inf")]
    del t
    gc.collect()
    assert p.calls == 1


def test_hand_built_capsule_errors_leave_ownership_with_the_capsule():
    buf = np.zeros(8, dtype=np.float64)
    cases = [
        (dict(code=1, bits=16), TypeError, "unsupported DLPack dtype uint16"),
        (dict(code=2, bits=32, lanes=4), TypeError, "unsupported DLPack dtype float32x4"),
        (dict(code=2, bits=64, versioned=True, major=2), BufferError, "version 2.0 is newer"),
        (dict(code=2, bits=64, byte_offset=4), ValueError, "not aligned"),
    ]
    if not st.cuda.is_available():  # CUDA memory: no CUDA backend, or no device to own it
        cases.append((dict(code=2, bits=64, device=2), BufferError, "on cuda:0"))
    for kw, exc, msg in cases:
        p = Producer(buf, shape=(2,), strides=(1,), **kw)
        with pytest.raises(exc, match=msg):
            st.from_dlpack(p.capsule)
        assert p.calls == 0  # never freed by us: the producer still owns it
        assert "used" not in repr(p.capsule)


def test_hand_built_read_only_capsule_warns():
    buf = np.arange(3.0)
    p = Producer(buf, shape=(3,), strides=(1,), code=2, bits=64, versioned=True, flags=1)
    with pytest.warns(UserWarning, match="read-only"):
        t = st.from_dlpack(p.capsule)
    assert t.tolist() == [0.0, 1.0, 2.0]


def test_our_capsules_have_the_spec_layout():
    src = st.from_numpy(np.arange(12, dtype=np.int32).reshape(3, 4).T)
    cap = src.__dlpack__(max_version=(1, 3), copy=True)
    m = ctypes.cast(PyCapsule_GetPointer(cap, NAME_V), ctypes.POINTER(DLManagedTensorVersioned)).contents
    assert (m.version.major, m.version.minor) == (1, 1)
    assert m.flags == 2  # IS_COPIED, read-only not set
    dl = m.dl_tensor
    assert (dl.device.device_type, dl.device.device_id, dl.ndim) == (1, 0, 2)
    assert (dl.dtype.code, dl.dtype.bits, dl.dtype.lanes) == (0, 32, 1)
    assert [dl.shape[i] for i in range(2)] == [4, 3]
    assert dl.data != src.data_ptr()  # copy=True made a copy
    legacy = src.__dlpack__()
    lm = ctypes.cast(PyCapsule_GetPointer(legacy, NAME), ctypes.POINTER(DLManagedTensor)).contents
    assert lm.dl_tensor.data == src.data_ptr()
    assert [lm.dl_tensor.strides[i] for i in range(2)] == [1, 4]
    bf = st.zeros(2, dtype=st.bfloat16).__dlpack__()
    bm = ctypes.cast(PyCapsule_GetPointer(bf, NAME), ctypes.POINTER(DLManagedTensor)).contents
    assert (bm.dl_tensor.dtype.code, bm.dl_tensor.dtype.bits) == (4, 16)
    b = st.tensor([True]).__dlpack__()
    bb = ctypes.cast(PyCapsule_GetPointer(b, NAME), ctypes.POINTER(DLManagedTensor)).contents
    assert (bb.dl_tensor.dtype.code, bb.dl_tensor.dtype.bits) == (6, 8)


def test_unconsumed_capsule_releases_the_storage():
    arr = np.arange(5.0)
    before = sys.getrefcount(arr)
    t = st.from_numpy(arr)
    cap = t.__dlpack__()
    del t
    gc.collect()
    assert sys.getrefcount(arr) == before + 1  # the capsule keeps the storage alive
    del cap
    gc.collect()
    assert sys.getrefcount(arr) == before


def test_release_from_another_thread():
    import threading
    arr = np.arange(6.0)
    before = sys.getrefcount(arr)
    t = st.from_dlpack(arr)
    box = [t]
    del t
    th = threading.Thread(target=box.clear)
    th.start()
    th.join()
    gc.collect()
    assert sys.getrefcount(arr) == before


# ------------------------------------------------------------------ no leaks

def test_many_conversions_do_not_leak():
    arr = np.arange(2048, dtype=np.float64)  # 16 KiB: 10000 leaked copies would be 160 MiB
    src = torch.arange(2048, dtype=torch.float64)

    def round_trips(n):
        for _ in range(n):
            a = st.from_numpy(arr)
            a.numpy()
            np.asarray(a)
            st.from_dlpack(arr)
            np.from_dlpack(a)
            st.from_dlpack(src)
            torch.from_dlpack(a)
            a.__dlpack__(max_version=(1, 0))
            st.tensor(arr)

    round_trips(200)
    gc.collect()
    before = rss_bytes()
    refs = sys.getrefcount(arr)
    round_trips(10_000)
    gc.collect()
    assert sys.getrefcount(arr) == refs
    assert rss_bytes() - before < 24 * 2**20


def test_ml_dtypes_bfloat16_array_to_tensor():
    a = np.array([1.0, 0.1, -3.0], dtype=ml_dtypes.bfloat16)
    t = st.tensor(a)
    assert t.dtype == st.bfloat16
    assert t.float().tolist() == a.astype(np.float32).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st.tensor(np.arange(3.0))  # no warning on the ordinary path
