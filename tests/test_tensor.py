"""The tensor core from Python: creation functions against torch and numpy formulas, every
dtype, bfloat16/float16 rounding against ml_dtypes and numpy, item/tolist, metadata,
requires_grad and .grad rules, object identity, st.tensor/as_tensor inference, .to() and
friends, and printing that is character-for-character torch's."""
import math

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as hst

import steepest as st
from gpu import CUDA_BUILT, NO_CUDA  # noqa: E402

ALL = [st.bool, st.int32, st.int64, st.bfloat16, st.float16, st.float32, st.float64]
FLOATS = [st.bfloat16, st.float16, st.float32, st.float64]
NAME = {d: d.name for d in ALL}


def tdt(d):
    return getattr(torch, d.name)


def np_of(t):
    """float64 values of any steepest tensor (bfloat16 through its exact float32 widening)."""
    if t.dtype == st.bfloat16:
        t = t.float()
    return np.asarray(t).astype(np.float64)


def same(s, t):
    """Same dtype name, shape and values (NaN-aware) as the torch tensor t."""
    assert s.dtype.name == str(t.dtype).split(".")[1]
    assert s.shape == tuple(t.shape)
    np.testing.assert_array_equal(np_of(s), t.double().numpy())


# ------------------------------------------------------------------ creation

@pytest.mark.parametrize("dtype", [None] + ALL)
def test_zeros_ones_full_empty_every_dtype(dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    tkw = {} if dtype is None else {"dtype": tdt(dtype)}
    for shape in [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 1, 1, 5)]:
        same(st.zeros(shape, **kw), torch.zeros(shape, **tkw))
        same(st.ones(shape, **kw), torch.ones(shape, **tkw))
        e = st.empty(shape, **kw)
        assert e.shape == shape and e.dtype == (dtype or st.float32) and e.is_contiguous()
    same(st.zeros(2, 3, **kw), torch.zeros(2, 3, **tkw))
    same(st.ones([4], **kw), torch.ones([4], **tkw))
    same(st.empty(size=(2,), **kw).zero_(), torch.zeros(2, **tkw))
    same(st.full((2, 2), 1, **kw), torch.full((2, 2), 1, **tkw))


def test_full_infers_dtype_from_the_fill_value():
    for v in [True, 3, -7, 2.5, float("inf")]:
        same(st.full((2, 3), v), torch.full((2, 3), v))
    same(st.full((2,), 2.5, dtype=st.int64), torch.full((2,), 2.5, dtype=torch.int64))


ARANGE_INT = [(5,), (0, 10, 3), (10, 0, -3), (-7, 7, 2), (3, 3), (0, 1), (-(2**40), 2**40, 2**38)]
ARANGE_FLOAT = [(0, 1, 0.1), (1, 0, -0.3), (0.0, 10.0, 3), (-5, 5, 0.7), (0, 1, 1 / 3), (0.5, 100.5, 0.25),
                (1e-3, 1, 1e-3), (2.5,), (-1.5, 2.5)]


@pytest.mark.parametrize("args", ARANGE_INT)
def test_arange_integers_match_torch_exactly(args):
    same(st.arange(*args), torch.arange(*args))
    for d in [st.int32, st.float32, st.float64, st.float16, st.bfloat16]:
        same(st.arange(*args, dtype=d), torch.arange(*args, dtype=tdt(d))) if max(map(abs, args)) < 256 else None


@pytest.mark.parametrize("args", ARANGE_FLOAT)
@pytest.mark.parametrize("dtype", [None, st.float64, st.float16, st.bfloat16])
def test_arange_float_steps(args, dtype):
    s = st.arange(*args) if dtype is None else st.arange(*args, dtype=dtype)
    t = torch.arange(*args) if dtype is None else torch.arange(*args, dtype=tdt(dtype))
    assert s.dtype.name == str(t.dtype).split(".")[1] and s.shape == tuple(t.shape)  # torch's length rule
    start, end, step = (0, args[0], 1) if len(args) == 1 else (*args, 1) if len(args) == 2 else args
    n = math.ceil((end - start) / step)
    exact = start + np.arange(n) * float(step)  # float64, then one rounding to the dtype
    npd = {None: np.float32, st.float64: np.float64, st.float16: np.float16,
           st.bfloat16: ml_dtypes.bfloat16}[dtype]
    np.testing.assert_array_equal(np_of(s), exact.astype(npd).astype(np.float64))
    # torch computes some lanes in the output precision: allow it a few ulps.
    np.testing.assert_allclose(np_of(s), t.double().numpy(), rtol=3 * {None: 2**-24, st.float64: 2**-53,
                               st.float16: 2**-11, st.bfloat16: 2**-8}[dtype], atol=1e-7)


def test_arange_errors():
    with pytest.raises(ValueError, match="step must be nonzero"):
        st.arange(0, 1, 0)
    with pytest.raises(ValueError, match="upper bound and lower bound inconsistent with step sign"):
        st.arange(0, -1, 1)
    with pytest.raises(ValueError, match="upper bound and lower bound inconsistent with step sign"):
        st.arange(0.0, 1.0, -0.5)


@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 7), (0, 1, 1), (0, 1, 0), (3, -2, 11), (0.1, 0.7, 100),
                                  (0, 1e6, 1001), (5, 5, 4)])
@pytest.mark.parametrize("dtype", [None, st.float64, st.float16, st.bfloat16, st.int64, st.int32])
def test_linspace(args, dtype):
    if dtype == st.float16 and max(map(abs, args[:2])) > 65504:
        return  # torch refuses values float16 can't hold; we give inf
    s = st.linspace(*args) if dtype is None else st.linspace(*args, dtype=dtype)
    t = torch.linspace(*args) if dtype is None else torch.linspace(*args, dtype=tdt(dtype))
    start, end, steps = args
    assert s.dtype.name == str(t.dtype).split(".")[1] and s.shape == (steps,)
    # torch's rule in float64: the first half steps up from start, the second down from end.
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    exact = np.array([start + step * i if i < steps // 2 or steps == 1 else end - step * (steps - 1 - i)
                      for i in range(steps)])
    if dtype in (st.int64, st.int32):
        np.testing.assert_array_equal(np_of(s), np.trunc(exact))
        np.testing.assert_array_equal(np_of(s), t.double().numpy())
        return
    npd = {None: np.float32, st.float64: np.float64, st.float16: np.float16,
           st.bfloat16: ml_dtypes.bfloat16}[dtype]
    np.testing.assert_array_equal(np_of(s), exact.astype(np.float32 if npd != np.float64 else npd)
                                  .astype(npd).astype(np.float64))
    if steps:
        assert np_of(s)[0] == t.double().numpy()[0] and np_of(s)[-1] == t.double().numpy()[-1]
    eps = {None: 2**-23, st.float64: 2**-52, st.float16: 2**-10, st.bfloat16: 2**-7}[dtype]
    np.testing.assert_allclose(np_of(s), t.double().numpy(), rtol=2 * eps, atol=2 * eps * max(abs(start), abs(end)))


def test_linspace_and_eye_errors():
    with pytest.raises(ValueError, match="number of steps must be non-negative, got -1"):
        st.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="sizes must be non-negative"):
        st.eye(-2)


@pytest.mark.parametrize("args", [(3,), (3, 4), (4, 2), (0,), (0, 3), (1,)])
@pytest.mark.parametrize("dtype", [None] + ALL)
def test_eye(args, dtype):
    kw = {} if dtype is None else {"dtype": dtype}
    tkw = {} if dtype is None else {"dtype": tdt(dtype)}
    same(st.eye(*args, **kw), torch.eye(*args, **tkw))


@pytest.mark.parametrize("dtype", ALL)
def test_like_functions(dtype):
    base = st.ones((2, 3), dtype=dtype)
    tb = torch.ones((2, 3), dtype=tdt(dtype))
    same(st.zeros_like(base), torch.zeros_like(tb))
    same(st.ones_like(base), torch.ones_like(tb))
    same(st.full_like(base, 1), torch.full_like(tb, 1))
    e = st.empty_like(base)
    assert e.shape == (2, 3) and e.dtype == dtype
    same(st.zeros_like(base, dtype=st.float64), torch.zeros_like(tb, dtype=torch.float64))
    strided = st.from_numpy(np.ones((4, 6))[:, ::2])
    assert st.zeros_like(strided).shape == (4, 3)


def test_scalar_tensor():
    same(st.scalar_tensor(2.5), torch.scalar_tensor(2.5))
    assert st.scalar_tensor(3).dtype == st.int64 and st.scalar_tensor(True).dtype == st.bool


# ------------------------------------------------------------------ bfloat16 / float16 rounding

def f32_edge_values():
    vals = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 65536.0, 1e38, 3.4028235e38,
            6.1035156e-05, 6.0975552e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 8.940697e-08,
            1.1754944e-38, 1e-40, 1.4e-45, -1e-40, float("inf"), -float("inf"), 1 + 2**-8, 1 + 3 * 2**-8,
            1 + 2**-11, 1 + 3 * 2**-11, 3.140625, 0.1, 1 / 3, 2049.0, 2051.0, 4097.0, 255.5, 256.5]
    bits = np.array(vals, dtype=np.float32).view(np.uint32)
    # exact bfloat16 ties (low 16 bits = 0x8000) and their neighbours, odd and even
    ties = np.array([0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0x7F7F8000, 0x00008000, 0x80018000],
                    dtype=np.uint32)
    # exact float16 ties (13 dropped bits = 0x1000) for normal and subnormal halves
    hties = np.array([0x3F801000, 0x3F803000, 0x38801000, 0x33800000, 0x33C00000, 0x33A00000, 0x34400000],
                     dtype=np.uint32)
    rng = np.random.default_rng(1234)
    rand_bits = rng.integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32)
    return np.concatenate([bits, ties, hties, rand_bits]).view(np.float32)


def test_float32_to_bfloat16_round_to_nearest_even_vs_ml_dtypes():
    x = f32_edge_values()
    got = np.asarray(st.from_numpy(x).to(st.bfloat16).float())
    with np.errstate(all="ignore"):
        want = x.astype(ml_dtypes.bfloat16).astype(np.float32)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))  # sign of zero too


def test_float32_to_float16_round_to_nearest_even_vs_numpy():
    x = f32_edge_values()
    got = np.asarray(st.from_numpy(x).to(st.float16))
    with np.errstate(all="ignore"):
        want = x.astype(np.float16)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint16), want[~nan].view(np.uint16))


def test_16bit_to_float32_widening_is_exact_for_every_bit_pattern():
    every = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    h = every.view(np.float16)
    got = np.asarray(st.from_numpy(h).float())
    want = h.astype(np.float32)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))
    b = st.from_dlpack(torch.from_numpy(every.view(np.int16)).view(torch.bfloat16))
    got = np.asarray(b.float())
    want = every.view(ml_dtypes.bfloat16).astype(np.float32)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))
    # and back: every non-NaN 16-bit value survives a round trip through float32 bit for bit
    back = torch.from_dlpack(b.float().to(st.bfloat16)).view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(back[~nan], every[~nan])


def test_float64_to_16bit_matches_torch():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.standard_normal(50_000) * 10.0 ** rng.integers(-9, 6, 50_000),
                        [65519.99999, 65520.0, 1e-8, 2.0**-25, 2.0**-24 * 1.5, -0.0, np.inf, np.nan]])
    for d in (st.float16, st.bfloat16):
        got = torch.from_dlpack(st.from_numpy(x).to(d)).view(torch.int16)
        want = torch.from_numpy(x).to(tdt(d))
        nan = torch.isnan(want)
        assert torch.equal(torch.isnan(torch.from_dlpack(st.from_numpy(x).to(d))), nan)
        assert torch.equal(got[~nan], want.view(torch.int16)[~nan])


# ------------------------------------------------------------------ item / tolist / metadata

@pytest.mark.parametrize("dtype", ALL)
def test_item_and_tolist_match_torch(dtype):
    data = [[0, 1, 1], [1, 0, 1]] if dtype == st.bool else [[1.5, -2, 3], [4, 5.25, -6]]
    s = st.tensor(data, dtype=dtype)
    t = torch.tensor(data, dtype=tdt(dtype))
    assert s.tolist() == t.tolist()
    assert [type(v) for v in s.tolist()[0]] == [type(v) for v in t.tolist()[0]]
    one = st.tensor([[data[0][1]]], dtype=dtype)
    assert one.item() == torch.tensor([[data[0][1]]], dtype=tdt(dtype)).item()
    assert type(one.item()) is type(torch.tensor([[data[0][1]]], dtype=tdt(dtype)).item())
    z = st.tensor(data[1][0], dtype=dtype)
    assert z.tolist() == torch.tensor(data[1][0], dtype=tdt(dtype)).tolist()  # 0-d: a number
    assert st.zeros((2, 0), dtype=dtype).tolist() == [[], []]


def test_item_errors_and_python_number_protocols():
    with pytest.raises(ValueError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        st.zeros(2).item()
    assert float(st.tensor([2.5])) == 2.5 and int(st.tensor(7)) == 7 and bool(st.tensor([True]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(st.zeros(2))
    assert [10, 20, 30][st.tensor(1)] == 20
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][st.tensor(1.0)]
    assert len(st.zeros(4, 2)) == 4
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(st.tensor(1.0))


@pytest.mark.parametrize("make", [
    lambda a: a, lambda a: a.T, lambda a: a[::2, 1::3], lambda a: a[1:2], lambda a: a[:, 2], lambda a: a[0:0],
    lambda a: a[2, 3, ...], lambda a: a.reshape(2, 3, 4), lambda a: a.reshape(2, 3, 4).transpose(2, 0, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.float16])
def test_metadata_matches_torch(make, dtype):
    base = np.arange(24).reshape(4, 6).astype(dtype)
    a = make(base)
    s, t = st.from_numpy(a), torch.from_numpy(a)
    assert s.shape == tuple(t.shape) and s.size() == tuple(t.size())
    assert s.ndim == t.ndim and s.dim() == t.dim() and s.numel() == t.numel()
    assert s.element_size() == t.element_size() and s.is_contiguous() == t.is_contiguous()
    assert s.is_floating_point() == t.is_floating_point()
    if s.numel() > 1:
        assert s.stride() == t.stride()
    for d in range(-s.ndim, s.ndim):
        assert s.size(d) == t.size(d)
    with pytest.raises(IndexError, match="dimension out of range" if s.ndim else "tensor has no dimensions"):
        s.size(s.ndim)
    if s.ndim == 0:
        with pytest.raises(IndexError, match="dimension specified as -1 but tensor has no dimensions"):
            s.stride(-1)


def test_element_size_and_dtype_properties():
    sizes = {st.bool: 1, st.int32: 4, st.int64: 8, st.bfloat16: 2, st.float16: 2, st.float32: 4, st.float64: 8}
    for d, n in sizes.items():
        assert st.zeros(1, dtype=d).element_size() == n == d.itemsize
        assert d.is_floating_point == (d in FLOATS)
        assert str(d) == repr(d) == f"steepest.{d.name}"
    # (== rather than `is`: dtype objects are not singletons yet, unlike torch's)
    assert st.float == st.float32 and st.double == st.float64 and st.half == st.float16
    assert st.long == st.int64 and st.int == st.int32


# ------------------------------------------------------------------ requires_grad and .grad

@pytest.mark.parametrize("dtype", ALL)
def test_requires_grad_only_on_floats(dtype):
    t = st.zeros(3, dtype=dtype)
    assert t.requires_grad is False
    if dtype in FLOATS:
        assert t.requires_grad_() is t and t.requires_grad
        t.requires_grad = False
        assert not t.requires_grad
        assert st.zeros(2, dtype=dtype, requires_grad=True).requires_grad
    else:
        with pytest.raises(TypeError, match=f"only tensors of floating point dtype can require gradients "
                                            f"\\(got {dtype.name}\\)"):
            t.requires_grad_()
        with pytest.raises(TypeError, match="floating point dtype"):
            st.tensor([1, 2], dtype=dtype, requires_grad=True)
        t.requires_grad = False  # turning it off is always fine


def test_grad_setter_checks_shape_and_dtype():
    t = st.zeros((2, 3), requires_grad=True)
    assert t.grad is None
    g = st.ones((2, 3))
    t.grad = g
    assert t.grad is g
    with pytest.raises(ValueError, match=r"assigned grad has shape \(3,\) but the tensor has shape \(2, 3\)"):
        t.grad = st.ones(3)
    with pytest.raises(TypeError, match="assigned grad has dtype float64 but the tensor has dtype float32"):
        t.grad = st.ones((2, 3), dtype=st.float64)
    t.grad = None
    assert t.grad is None


def test_identity_of_returned_tensors():
    t = st.zeros(3, requires_grad=True)
    t.grad = st.ones(3)
    assert t.grad is t.grad
    x = st.zeros(4)
    assert x.fill_(2) is x and x.zero_() is x and x.uniform_() is x and x.normal_() is x
    assert x.to(st.float32) is x and x.float() is x and x.cpu() is x and x.to("cpu") is x
    assert st.as_tensor(x) is x and x.contiguous() is x
    assert x.clone() is not x and st.tensor(x) is not x
    d = {x: 1}
    assert d[x] == 1 and hash(x) == hash(x)


# ------------------------------------------------------------------ st.tensor / as_tensor

TENSOR_CASES = [
    1.5, 3, True, -0.0, [1, 2, 3], [1.0, 2], [True, False], [True, 1], [True, 1.5], [[1, 2], [3, 4]], [],
    [[], []], [[1.5]], (1, 2), [(1, 2), [3, 4]], range(4), [np.float64(1.0)], [1.0, np.float64(2)],
    np.float64(1.0), np.float32(2.0), np.float16(3.0), np.int32(4), [np.int32(1)], [np.bool_(True)],
    [np.int32(1), 2.0], [np.float16(1), 1.0], np.array([1, 2], dtype=np.int32), np.array([[1.5]], dtype=np.float16),
    np.array(True), [np.array([1.0, 2.0]), np.array([3.0, 4.0])], -(2**63), 2**62, [1e300, 1.0],
]


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
@pytest.mark.parametrize("data", TENSOR_CASES, ids=repr)
def test_tensor_inference_matches_torch(data):
    same(st.tensor(data), torch.tensor(data))


def test_tensor_inference_with_default_float64_and_tensor_leaves():
    st.set_default_dtype(st.float64)
    torch.set_default_dtype(torch.float64)
    try:
        same(st.tensor([1.0, 2]), torch.tensor([1.0, 2]))
        same(st.tensor([np.float32(1)]), torch.tensor([np.float32(1)]))
    finally:
        st.set_default_dtype(st.float32)
        torch.set_default_dtype(torch.float32)
    s = st.tensor([st.tensor(1.0, dtype=st.float64), st.tensor(2.0, dtype=st.float64)])
    assert s.dtype == st.float64 and s.tolist() == [1.0, 2.0]
    s = st.tensor([st.tensor(1, dtype=st.int32), 2])
    assert s.dtype == st.int64
    s = st.tensor([st.tensor(1.5, dtype=st.bfloat16)])
    assert s.dtype == st.bfloat16 and s.float().tolist() == [1.5]
    s = st.tensor([st.tensor([1.0, 2.0]), st.tensor([3.0, 4.0])])  # (torch refuses; we stack)
    assert s.shape == (2, 2)


def test_tensor_explicit_dtype_copies_and_requires_grad():
    same(st.tensor([1.7, -1.7], dtype=st.int64), torch.tensor([1.7, -1.7], dtype=torch.int64))
    same(st.tensor(2.5, dtype=st.int32), torch.tensor(2.5, dtype=torch.int32))
    same(st.tensor([1, 0, 2], dtype=st.bool), torch.tensor([1, 0, 2], dtype=torch.bool))
    arr = np.arange(4.0)
    t = st.tensor(arr)
    arr[0] = 100
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]  # a copy
    src = st.tensor([1.0, 2.0], requires_grad=True)
    c = st.tensor(src)
    assert c.tolist() == [1.0, 2.0] and not c.requires_grad and c.data_ptr() != src.data_ptr()
    assert st.tensor([1.0], requires_grad=True).requires_grad
    assert st.tensor(np.arange(6.0)[::-2]).tolist() == [5.0, 3.0, 1.0]
    assert st.tensor(np.arange(3, dtype=">i4")).tolist() == [0, 1, 2]
    assert st.tensor(np.array([1, 2], dtype=np.uint8)).dtype == st.int64
    assert st.tensor([1, 2], device="cpu").device == st.device("cpu")


@pytest.mark.parametrize("data,exc,msg", [
    ([[1, 2], [3]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    ([[1], [2, 3]], ValueError, r"expected sequence of length 1 at dim 1 \(got 2\)"),
    ([[1, 2], 3], ValueError, "not rectangular"),
    ([1, [2, 3]], ValueError, "not rectangular"),
    ([[[1, 2]], [[3]]], ValueError, r"expected sequence of length 2 at dim 2 \(got 1\)"),
    ("abc", TypeError, "can't build a tensor from str"),
    (["a"], TypeError, "can't build a tensor from str"),
    ([1, "a"], TypeError, "can't build a tensor from str"),
    (None, TypeError, "Could not infer dtype of NoneType"),
    ([1, None], TypeError, "Could not infer dtype of NoneType"),
    ([object()], TypeError, "Could not infer dtype of object"),
    ([1 + 2j], TypeError, "complex"),
    ([2**63], ValueError, "Overflow"),
    (2**64, ValueError, "Overflow"),
    (np.array(["a"]), TypeError, "supported: bool, int32"),
    (np.array([1, 2], dtype=object), TypeError, "supported: bool, int32"),
    (np.array([2**63], dtype=np.uint64), ValueError, "doesn't fit in int64"),
])
def test_tensor_errors_name_the_problem(data, exc, msg):
    with pytest.raises(exc, match=msg):
        st.tensor(data)


@pytest.mark.skipif(st.cuda.is_available(), reason="a GPU is present: the request succeeds")
def test_tensor_cuda_device_is_a_clear_error():
    # A CPU-only build names the missing backend; a CUDA build without a GPU the missing device.
    exc, msg = (RuntimeError, "no CUDA device") if st.build_info()["cuda"] else (NotImplementedError, "no CUDA backend")
    with pytest.raises(exc, match=msg):
        st.tensor([1.0], device="cuda")
    with pytest.raises(exc, match=msg):
        st.as_tensor([1.0], device="cuda:0")


def test_as_tensor_shares_when_it_can():
    arr = np.arange(4.0)
    t = st.as_tensor(arr)
    arr[1] = 50
    assert t.tolist()[1] == 50.0 and t.dtype == st.float64
    t32 = st.as_tensor(arr, dtype=st.float32)  # dtype change: a converted copy
    arr[2] = 60
    assert t32.tolist()[2] == 2.0 and t32.dtype == st.float32
    x = st.zeros(3)
    assert st.as_tensor(x) is x and st.as_tensor(x, dtype=st.float32) is x
    assert st.as_tensor(x, dtype=st.float64).dtype == st.float64
    assert st.as_tensor([1, 2]).dtype == st.int64
    rev = np.arange(3.0)[::-1]
    assert st.as_tensor(rev).tolist() == [2.0, 1.0, 0.0]  # negative strides: copied
    u8 = np.array([1, 2], dtype=np.uint8)
    assert st.as_tensor(u8).dtype == st.int64


# ------------------------------------------------------------------ .to() and friends

@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_to_dtype_matches_torch(src, dst):
    data = [0.0, 1.0, -2.5, 3.75, 100.0, -0.4] if src in FLOATS else [0, 1, -2, 3, 100, 7]
    if src == st.bool:
        data = [0, 1, 1, 0, 1, 0]
    s = st.tensor(data, dtype=src)
    t = torch.tensor(data, dtype=tdt(src))
    same(s.to(dst), t.to(tdt(dst)))
    same(s.to(dtype=dst), t.to(dtype=tdt(dst)))
    method = {st.float32: "float", st.float64: "double", st.float16: "half", st.bfloat16: "bfloat16",
              st.int64: "long", st.int32: "int", st.bool: "bool"}[dst]
    same(getattr(s, method)(), getattr(t, method)())
    out = s.to(dst)
    assert (out is s) == (src == dst)


def test_to_other_forms():
    s = st.tensor([1.5, 2.5])
    other = st.zeros(1, dtype=st.float64)
    assert s.to(other).dtype == st.float64
    assert s.to("cpu", st.float16).dtype == st.float16
    assert s.to(st.device("cpu")) is s
    c = s.to(st.float32, copy=True)
    assert c is not s and c.data_ptr() != s.data_ptr() and c.tolist() == s.tolist()
    assert s.type() == "torch.FloatTensor" and s.type(st.int64).dtype == st.int64
    if not st.cuda.is_available():
        with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
            s.to("cuda")
        with pytest.raises(NO_CUDA[0], match="cuda:3"):  # an int is a CUDA device index, as torch
            s.to(3)
    with pytest.raises(TypeError, match="unexpected argument of type float"):
        s.to(1.5)


# ------------------------------------------------------------------ printing (torch's exact output)

def torch_str(t):
    return str(t).replace("torch.", "steepest.")


PRINT_CASES = [
    1.5, 0.0, -0.0, 1.0, 5, -3, True, False, 1e-5, 123456789.0, float("nan"), float("inf"),
    [1.0, 2.0], [1e-5, 1.0], [1e9, 1.0], [1e-5], [float("nan"), 1.0], [float("inf"), -float("inf"), 1.5],
    [float("nan")], [0.0, 0.0], [-1.0, 2.0, 3.5], [[1, 2], [3, 4]], [True, False], [[-1000, 2]],
    [0.1, 0.25, 100.0], [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]], [1e-4, 1.0], [1e-4, 0.1],
    [999.0, 1.0], [1001.0, 1.0], [1e8, 1.0], [1.00001e8], [-5e-5, 3.0], [0.5, 1000.5], [2**40, -3],
    [-(2**63), 2**63 - 1], [[0.0, -0.0]], [1.23456789, -9.87654321], [1e10, float("nan")],
    list(range(30)), [x / 7 for x in range(40)], [[x * 1e-3 for x in range(12)]] * 3,
]


@pytest.mark.parametrize("data", PRINT_CASES, ids=lambda d: repr(d)[:40])
@pytest.mark.parametrize("dtype", [None] + ALL)
def test_repr_matches_torch(data, dtype):
    try:
        t = torch.tensor(data) if dtype is None else torch.tensor(data, dtype=tdt(dtype))
    except (RuntimeError, OverflowError):
        return
    s = st.tensor(data) if dtype is None else st.tensor(data, dtype=dtype)
    assert repr(s) == torch_str(t)
    assert str(s) == repr(s)
    if s.dtype in FLOATS:
        assert repr(s.requires_grad_()) == torch_str(t.requires_grad_())


def test_repr_summarises_large_tensors_like_torch():
    rng = np.random.default_rng(0)
    for shape in [(1001,), (1000,), (40, 30), (3, 400, 2), (2000, 1), (1, 1, 1200), (7, 7, 7, 7), (10, 101)]:
        for kind in ("randn", "int", "bool", "wide"):
            if kind == "randn":
                a = rng.standard_normal(shape).astype(np.float32)
            elif kind == "int":
                a = rng.integers(-10**6, 10**6, shape)
            elif kind == "bool":
                a = rng.random(shape) < 0.5
            else:
                a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 9, shape)).astype(np.float64)
            assert repr(st.tensor(a)) == torch_str(torch.tensor(a)), (shape, kind)


def test_repr_of_strided_empty_and_default_dtype():
    a = np.arange(60.0).reshape(5, 12)
    for v in (a.T, a[::2, 1::5], a[:, 3]):
        assert repr(st.from_numpy(v)) == torch_str(torch.from_numpy(v))
    for shape in [(0,), (0, 3), (2, 0, 4)]:
        for d in ALL:
            assert repr(st.zeros(shape, dtype=d)) == torch_str(torch.zeros(shape, dtype=tdt(d)))
    st.set_default_dtype(st.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for d in (st.float32, st.float64):
            assert repr(st.tensor([1.5, 2.0], dtype=d)) == torch_str(torch.tensor([1.5, 2.0], dtype=tdt(d)))
        assert repr(st.zeros(0)) == torch_str(torch.zeros(0))
    finally:
        st.set_default_dtype(st.float32)
        torch.set_default_dtype(torch.float32)


def values_for(seed, shape, regime):
    """Arrays whose printing exercises every formatter branch."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if regime == "int_valued":
        v = rng.integers(-50, 50, n).astype(np.float64) * 10.0 ** rng.integers(0, 3)
    elif regime == "small":
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-9, -3)
    elif regime == "huge":
        v = rng.standard_normal(n) * 10.0 ** rng.integers(7, 12)
    elif regime == "mixed":
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)
    else:
        v = rng.standard_normal(n) * rng.choice([0.1, 1.0, 10.0, 100.0])
    if n and rng.random() < 0.3:
        v[rng.integers(0, n, 2)] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0], 2)
    return v.reshape(shape)


@settings(max_examples=100, deadline=None)
@given(shape=hst.one_of(hst.lists(hst.integers(0, 9), min_size=0, max_size=3),
                        hst.sampled_from([[1001], [35, 30], [2, 3, 200], [4, 300]])),
       regime=hst.sampled_from(["int_valued", "small", "huge", "mixed", "plain"]),
       dtype=hst.sampled_from(ALL), seed=hst.integers(0, 2**31), rg=hst.booleans())
def test_repr_hypothesis(shape, regime, dtype, seed, rg):
    v = values_for(seed, shape, regime)
    if dtype in (st.int32, st.int64, st.bool):
        v = np.nan_to_num(v, nan=0.0, posinf=7.0, neginf=-7.0)
        v = np.clip(v, -2e9, 2e9).astype(np.int64)
    t = torch.tensor(v, dtype=tdt(dtype))
    s = st.tensor(v, dtype=dtype)
    if rg and dtype in FLOATS:
        t.requires_grad_()
        s.requires_grad_()
    assert repr(s) == torch_str(t)
