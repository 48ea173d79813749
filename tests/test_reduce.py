"""Reductions (sum, mean, amax/amin, max/min, argmax/argmin, var/std): values against numpy
float64 formulas on awkward shapes and strided views, semantics (dtypes, NaN, ties, empty
inputs, errors) against torch, pairwise-sum accuracy, SIMD vs scalar, thread determinism."""
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import steepest as st

SIZES = [0, 1, 2, 3, 7, 16, 33]
HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def to_np(t):
    if t.dtype in (st.bfloat16,):
        t = t.float()
    return np.asarray(t.numpy())


@hs.composite
def arrays(draw, dtype=np.float32, sizes=SIZES, max_dims=4):
    """A numpy array (maybe a strided or transposed view) and the same data as a tensor."""
    ndim = draw(hs.integers(0, max_dims))
    shape = [draw(hs.sampled_from(sizes)) for _ in range(ndim)]
    rng = np.random.default_rng(draw(hs.integers(0, 2**32 - 1)))
    view = draw(hs.sampled_from(["contiguous", "transposed", "strided", "offset"]))
    if view == "transposed" and ndim >= 2:
        base = rng.standard_normal(shape[::-1]).astype(dtype)
        arr = base.T
    elif view == "strided" and ndim >= 1:
        base = rng.standard_normal([2 * s + 1 for s in shape]).astype(dtype)
        arr = base[tuple(slice(1, None, 2) for _ in shape)]
    elif view == "offset" and ndim >= 1:
        base = rng.standard_normal([s + 1 for s in shape]).astype(dtype)
        arr = base[tuple(slice(1, None) for _ in shape)]
    else:
        arr = rng.standard_normal(shape).astype(dtype)
    return arr


@hs.composite
def dims_for(draw, ndim):
    """None, an int, or a tuple of distinct dims (some negative), and keepdim."""
    keepdim = draw(hs.booleans())
    kind = draw(hs.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or ndim == 0:
        return None, keepdim
    if kind == "int":
        d = draw(hs.integers(0, ndim - 1))
        return (d - ndim if draw(hs.booleans()) else d), keepdim
    picked = draw(hs.lists(hs.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(hs.booleans()) else d for d in picked), keepdim


def np_axis(dim, ndim):
    if dim is None or ndim == 0:
        return None
    return tuple(d % ndim for d in (dim if isinstance(dim, tuple) else (dim,)))


def reduced_count(shape, axis):
    if axis is None:
        return int(np.prod(shape))
    return int(np.prod([shape[a] for a in axis]))


# ---------------------------------------------------------------- values vs numpy float64

@given(data=hs.data(), dtype=hs.sampled_from([np.float32, np.float64]))
@HYP
def test_sum_mean_match_numpy(isa, data, dtype):
    a = data.draw(arrays(dtype))
    dim, keepdim = data.draw(dims_for(a.ndim))
    t = st.from_numpy(a)
    axis = np_axis(dim, a.ndim)
    a64 = a.astype(np.float64)
    ref = a64.sum(axis=axis, keepdims=keepdim)
    scale = np.abs(a64).sum(axis=axis, keepdims=keepdim)
    eps = np.finfo(dtype).eps
    got = t.sum(dim, keepdim)
    assert got.dtype == t.dtype and got.shape == np.shape(ref)
    assert np.all(np.abs(to_np(got) - ref) <= 64 * eps * scale + 1e-300)
    n = reduced_count(a.shape, axis)
    got_mean = st.mean(t, dim=dim, keepdim=keepdim)
    if n == 0:
        assert np.all(np.isnan(to_np(got_mean)))
    else:
        assert np.all(np.abs(to_np(got_mean) - ref / n) <= 64 * eps * scale / n + 1e-300)


@given(data=hs.data(), dtype=hs.sampled_from([np.float32, np.float64]), want_max=hs.booleans())
@HYP
def test_amax_amin_match_numpy(isa, data, dtype, want_max):
    a = data.draw(arrays(dtype, sizes=[1, 2, 3, 7, 16, 33]))
    dim, keepdim = data.draw(dims_for(a.ndim))
    axis = np_axis(dim, a.ndim)
    t = st.from_numpy(a)
    got = (t.amax if want_max else t.amin)(dim if dim is not None else (), keepdim)
    ref = (np.max if want_max else np.min)(a, axis=axis, keepdims=keepdim)
    assert got.shape == np.shape(ref)
    np.testing.assert_array_equal(to_np(got), ref)


@given(data=hs.data(), want_max=hs.booleans())
@HYP
def test_max_min_dim_and_argmax_match_numpy(isa, data, want_max):
    # Small integers as floats: many ties, so "first index wins" is exercised.
    a = data.draw(arrays(np.float32, sizes=[1, 2, 3, 7, 16, 33], max_dims=3))
    a = np.asarray(np.round(a * 2), dtype=np.float32)
    t = st.from_numpy(a)
    keepdim = data.draw(hs.booleans())
    argf = np.argmax if want_max else np.argmin
    if a.ndim == 0:
        dim = data.draw(hs.sampled_from([0, -1]))
    else:
        dim = data.draw(hs.integers(-a.ndim, a.ndim - 1))
    values, indices = (st.max if want_max else st.min)(t, dim, keepdim)
    axis = dim % a.ndim if a.ndim else None
    ref_i = argf(a, axis=axis, keepdims=keepdim) if a.ndim else np.array(0)
    ref_v = (np.max if want_max else np.min)(a, axis=axis, keepdims=keepdim)
    assert indices.dtype == st.int64 and values.dtype == st.float32
    np.testing.assert_array_equal(to_np(indices), ref_i)
    np.testing.assert_array_equal(to_np(values), ref_v)
    np.testing.assert_array_equal(to_np((t.argmax if want_max else t.argmin)(dim, keepdim)), ref_i)
    # Over all elements (flattened index), as torch/numpy.
    np.testing.assert_array_equal(to_np((st.argmax if want_max else st.argmin)(t)), argf(a))


@given(data=hs.data(), dtype=hs.sampled_from([np.float32, np.float64]),
       correction=hs.sampled_from([0, 1, 2, 0.5]))
@HYP
def test_var_std_match_numpy(isa, data, dtype, correction):
    a = data.draw(arrays(dtype))
    a = np.asarray(a + 3, dtype=dtype)  # a nonzero mean: the two-pass form must not lose it
    dim, keepdim = data.draw(dims_for(a.ndim))
    axis = np_axis(dim, a.ndim)
    t = st.from_numpy(a)
    a64 = a.astype(np.float64)
    n = reduced_count(a.shape, axis)
    with np.errstate(all="ignore"):
        mu = a64.mean(axis=axis, keepdims=True) if n else 0.0
        ss = ((a64 - mu) ** 2).sum(axis=axis, keepdims=keepdim)
        ref = ss / max(0, n - correction) if n else np.full(np.shape(ss), np.nan)
    got_v = t.var(dim, correction=correction, keepdim=keepdim)
    got_s = st.std(t, dim, keepdim=keepdim, correction=correction)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert got_v.shape == np.shape(ref) and got_v.dtype == t.dtype
    np.testing.assert_allclose(to_np(got_v), ref, rtol=tol, atol=tol * 1e-3)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(to_np(got_s), np.sqrt(ref), rtol=tol, atol=tol * 1e-3)


@pytest.mark.parametrize("shape,dim", [
    ((4097,), None), ((4097,), 0), ((4097, 3), 0), ((4097, 3), 1), ((3, 4097), 1), ((7, 4097), 0),
    ((50001,), None),            # several fixed chunks, combined pairwise
    ((3000, 40), 0),             # column path with several row chunks
    ((2, 3000, 17), 1),          # column path under an outer kept dim
    ((33, 7, 16), (0, 2)),       # two reduced dims that don't merge: copied, then rows
    ((40000, 2), 0),             # narrow columns: strided rows
])
def test_awkward_sizes_every_op(isa, shape, dim):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(shape).astype(np.float32)
    t = st.from_numpy(a)
    axis = np_axis(dim, a.ndim)
    a64 = a.astype(np.float64)
    scale = np.abs(a64).sum(axis=axis)
    eps = np.finfo(np.float32).eps
    assert np.all(np.abs(to_np(t.sum(dim)) - a64.sum(axis=axis)) <= 64 * eps * scale)
    np.testing.assert_array_equal(to_np(t.amax(dim if dim is not None else ())), a.max(axis=axis))
    np.testing.assert_array_equal(to_np(t.amin(dim if dim is not None else ())), a.min(axis=axis))
    np.testing.assert_allclose(to_np(t.var(dim)), a64.var(axis=axis, ddof=1), rtol=1e-5)
    if not isinstance(dim, tuple):
        np.testing.assert_array_equal(to_np(t.argmax(dim)), np.argmax(a, axis=dim))
        np.testing.assert_array_equal(to_np(t.argmin(dim)), np.argmin(a, axis=dim))
    # The same data as a transposed view reduces to the same values.
    if a.ndim == 2 and not isinstance(dim, tuple):
        tt = st.from_numpy(np.ascontiguousarray(a.T).T)
        assert np.all(np.abs(to_np(tt.sum(dim)) - a64.sum(axis=axis)) <= 64 * eps * scale)
        np.testing.assert_array_equal(to_np(tt.amax(dim if dim is not None else ())), a.max(axis=axis))


def test_simd_matches_scalar_path():
    """Each SIMD kernel against the scalar kernels on the same awkward inputs."""
    isas = st.supported_isas()
    if len(isas) == 1:
        pytest.skip("only the scalar instruction set is available")
    rng = np.random.default_rng(3)
    before = st.current_isa()
    cases = [(rng.standard_normal(n).astype(np.float32), None) for n in (1, 7, 31, 257, 4097, 70001)]
    cases += [(rng.standard_normal((2500, 37)), 0), (rng.standard_normal((9, 4097)).astype(np.float32), 1)]
    try:
        for a, dim in cases:
            t = st.from_numpy(a)
            res = {}
            for name in isas:
                st.set_isa(name)
                res[name] = [to_np(f(t)) for f in (lambda x: x.sum(dim), lambda x: x.amax(dim if dim is not None else ()),
                                                   lambda x: x.amin(dim if dim is not None else ()),
                                                   lambda x: x.var(dim), lambda x: x.argmax(dim))]
            eps = np.finfo(a.dtype).eps
            scale = np.abs(a.astype(np.float64)).sum(axis=dim)
            for name in isas:
                s, mx, mn, v, am = res[name]
                s0, mx0, mn0, v0, am0 = res["scalar"]
                assert np.all(np.abs(s - s0) <= 2 * 300 * eps * scale), name
                np.testing.assert_array_equal(mx, mx0)
                np.testing.assert_array_equal(mn, mn0)
                np.testing.assert_allclose(v, v0, rtol=1e-5)
                np.testing.assert_array_equal(am, am0)
    finally:
        st.set_isa(before)


# ---------------------------------------------------------------- accuracy and determinism

def test_pairwise_sum_error_within_documented_bound(isa):
    """|sum - fsum| <= eps * (kBlock/K + log2 K + log2 n) * sum|x| (kBlock = 2048, K = 64 fixed
    lanes on every ISA), the bound stated in kernels/cpu/isa/reduce.cpp. A running float sum
    misses it by orders of magnitude."""
    n = 1 << 22
    rng = np.random.default_rng(11)
    a = (rng.random(n) * 10 ** rng.uniform(-3, 3, n)).astype(np.float32)
    exact = math.fsum(a.astype(np.float64))
    got = float(st.from_numpy(a).sum().item())
    bound = 2.0 ** -24 * (2048 / 64 + math.log2(64) + math.log2(n)) * exact  # all positive: sum|x| = sum x
    assert abs(got - exact) <= bound
    # The bound is not vacuous: naive sequential float32 accumulation exceeds it.
    naive = float(np.cumsum(a, dtype=np.float32)[-1])
    assert abs(naive - exact) > bound


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(5)
    cases = [
        (rng.standard_normal(300001).astype(np.float32), None),
        (rng.standard_normal((5000, 70)).astype(np.float32), 0),
        (rng.standard_normal((70, 5000)).astype(np.float32), 1),
        (rng.standard_normal((3, 40000)), 1),
        (rng.standard_normal((40000, 3)).astype(np.float32), 0),
    ]
    before = st.get_num_threads()
    try:
        outs = {}
        for nt in (1, 2):
            st.set_num_threads(nt)
            outs[nt] = []
            for a, dim in cases:
                t = st.from_numpy(a)
                outs[nt] += [to_np(t.sum(dim)), to_np(t.mean(dim)), to_np(t.var(dim)), to_np(t.argmax(dim)),
                             to_np(t.amax(dim if dim is not None else ()))]
        for x, y in zip(outs[1], outs[2]):
            assert x.tobytes() == y.tobytes()
    finally:
        st.set_num_threads(before)


# ---------------------------------------------------------------- semantics vs torch

def both(data, dtype_np=None):
    arr = np.array(data, dtype=dtype_np)
    return st.tensor(arr), torch.tensor(arr)


def test_integer_and_bool_sums_give_int64():
    for np_dt in (np.int32, np.int64, np.bool_):
        s, t = both([[1, 0, 3], [4, 5, 1]], np_dt)
        for dim in (None, 0, 1):
            got, ref = s.sum(dim), t.sum(dim)
            assert got.dtype == st.int64 and str(ref.dtype) == "torch.int64"
            assert got.tolist() == ref.tolist()
    s, _ = both([2**62, 2**62], np.int64)
    assert s.sum().item() == (2**63) - 2**64  # wraps like torch's int64


def test_sum_mean_dtype_argument():
    s, t = both([1, 2, 3, 4], np.int64)
    for d_st, d_t in ((st.float32, torch.float32), (st.float64, torch.float64), (st.int32, torch.int32)):
        got = st.sum(s, dtype=d_st)
        assert got.dtype == d_st and got.item() == t.sum(dtype=d_t).item()
    got = s.mean(dtype=st.float64)
    assert got.dtype == st.float64 and got.item() == t.mean(dtype=torch.float64).item()
    x = st.tensor([1.5, 2.5, 3.5])
    assert x.sum(dtype=st.int64).item() == torch.tensor([1.5, 2.5, 3.5]).sum(dtype=torch.int64).item()


def test_mean_of_integers_raises_like_torch():
    with pytest.raises(TypeError, match="mean\\(\\): could not infer output dtype.*int64"):
        st.tensor([1, 2, 3]).mean()
    with pytest.raises(TypeError, match="Optional dtype must be either a floating point"):
        st.tensor([1.0, 2.0]).mean(dtype=st.int64)
    with pytest.raises(TypeError, match="std and var only support floating point"):
        st.tensor([1, 2, 3]).var()


@pytest.mark.parametrize("dt,tdt", [(st.bfloat16, torch.bfloat16), (st.float16, torch.float16)])
def test_half_precision_accumulates_in_float32(dt, tdt):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((37, 300)).astype(np.float32)
    s, t = st.tensor(a, dtype=dt), torch.tensor(a, dtype=tdt)
    # Exact-in-float reference: the rounded inputs summed in float64, rounded once to the dtype.
    x64 = t.double().numpy()
    for dim in (None, 0, 1):
        got = s.sum(dim)
        assert got.dtype == dt
        ref = torch.tensor(x64.sum(axis=dim)).to(tdt).double().numpy()
        np.testing.assert_allclose(got.float().numpy(), ref, rtol=1e-2, atol=1e-2)
        np.testing.assert_allclose(s.mean(dim).float().numpy(), t.mean(dim).double().numpy(), rtol=1e-2, atol=1e-3)
        np.testing.assert_array_equal(s.amax(dim if dim is not None else ()).float().numpy(),
                                      t.amax(dim if dim is not None else ()).float().numpy())
        np.testing.assert_allclose(s.var(dim).float().numpy(), t.var(dim).float().numpy(), rtol=1e-2)
        np.testing.assert_array_equal(s.argmax(dim).numpy(), t.argmax(dim).numpy())
    # 4096 ones in bf16: a bf16 running sum would stall at 256; float accumulation gives 4096.
    assert st.ones([4096], dtype=dt).sum().float().item() == 4096.0


def test_nan_propagates_and_argmax_points_at_first_nan():
    nan = float("nan")
    data = [[1.0, nan, 5.0, nan], [2.0, 3.0, 3.0, -1.0]]
    s, t = both(data, np.float32)
    for f in ("amax", "amin"):
        np.testing.assert_array_equal(getattr(s, f)(1).numpy(), getattr(t, f)(1).numpy())
    assert math.isnan(s.max().item()) and math.isnan(s.min().item())
    for f in ("argmax", "argmin"):
        assert getattr(s, f)(1).tolist() == getattr(t, f)(1).tolist()
        assert getattr(s, f)().item() == getattr(t, f)().item()
    v, i = s.max(1)
    tv, ti = t.max(1)
    assert i.tolist() == ti.tolist()
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    v, i = s.min(0)
    tv, ti = t.min(0)
    assert i.tolist() == ti.tolist()
    np.testing.assert_array_equal(v.numpy(), tv.numpy())
    # NaN in a long row (SIMD body, not the tail) and in the column path.
    a = np.zeros((3000, 20), np.float32)
    a[1234, 7] = nan
    a[2000, 7] = 5
    assert math.isnan(st.from_numpy(a).amax(0).numpy()[7]) and math.isnan(st.from_numpy(a).sum(0).numpy()[7])
    assert st.from_numpy(a.reshape(-1)).argmax().item() == 1234 * 20 + 7
    assert st.from_numpy(a).argmax(0).tolist() == torch.from_numpy(a).argmax(0).tolist()
    assert st.from_numpy(a).argmin(0).tolist() == torch.from_numpy(a).argmin(0).tolist()
    assert st.from_numpy(a).argmin(0).numpy()[7] == 1234
    assert math.isnan(st.from_numpy(a).var(0).numpy()[7])


def test_ties_give_first_index():
    s, t = both([[3, 1, 3, 1], [2, 2, 2, 2]], np.int64)
    for f in ("argmax", "argmin"):
        assert getattr(s, f)(1).tolist() == getattr(t, f)(1).tolist() == ([0, 0] if f == "argmax" else [1, 0])
    s, t = both([True, False, True])
    v, i = s.max(0)
    assert v.item() is True and i.item() == t.max(0).indices.item() == 0
    assert s.amax().item() is True and s.amin().item() is False


def test_empty_inputs():
    e = st.zeros([0, 3])
    te = torch.zeros(0, 3)
    assert e.sum().item() == 0 and e.sum(0).tolist() == [0, 0, 0]
    assert math.isnan(e.mean().item()) and all(math.isnan(x) for x in e.mean(0).tolist())
    assert e.sum(1).shape == (0,) and e.amax(1).shape == (0,) and e.argmax(1).shape == (0,)
    assert all(math.isnan(x) for x in e.var(0).tolist())
    v, i = e.max(1)
    assert v.shape == tuple(te.max(1).values.shape) and i.dtype == st.int64
    for f in ("amax", "amin", "max", "min"):
        with pytest.raises(ValueError, match=f"^{f}\\(\\): Expected reduction dim to be specified for input.numel\\(\\) == 0"):
            getattr(e, f)()
    for f in ("amax", "amin", "argmax", "argmin", "max", "min"):
        with pytest.raises(IndexError, match=f"^{f}\\(\\): Expected reduction dim 0 to have non-zero size"):
            getattr(e, f)(0)
    with pytest.raises(ValueError, match="argmax\\(\\): Expected reduction dim to be specified"):
        e.argmax()
    assert st.zeros([0], dtype=st.int32).sum().dtype == st.int64


def test_zero_dim_and_keepdim_shapes():
    z = st.tensor(3.5)
    for dim in (0, -1):
        assert z.sum(dim).shape == () and z.sum(dim, keepdim=True).shape == ()
        assert z.argmax(dim).item() == 0
        v, i = z.max(dim)
        assert v.item() == 3.5 and i.item() == 0
    assert math.isnan(z.var().item()) and z.var(correction=0).item() == 0
    x = st.zeros([2, 3, 4])
    t = torch.zeros(2, 3, 4)
    for dim in [None, 0, -1, (0, 2), (-1, -3), [1], ()]:
        for keepdim in (False, True):
            td = tuple(dim) if isinstance(dim, list) else dim
            assert x.sum(dim, keepdim).shape == tuple(t.sum(td, keepdim=keepdim).shape)
            assert x.var(dim, keepdim=keepdim).shape == tuple(t.var(td, keepdim=keepdim).shape)
    assert x.argmax(keepdim=True).shape == tuple(t.argmax(keepdim=True).shape) == (1, 1, 1)
    assert x.amax(keepdim=True).shape == (1, 1, 1)


def test_dim_errors():
    x = st.zeros([2, 3])
    with pytest.raises(ValueError, match="sum\\(\\): dim 0 appears multiple times in the list of dims"):
        x.sum((0, -2))
    with pytest.raises(IndexError, match="out of range.*\\[-2, 1\\].*got 2"):
        x.sum(2)
    with pytest.raises(IndexError, match="out of range"):
        x.amax((0, -3))
    with pytest.raises(TypeError, match="dim must be"):
        x.sum("0")
    with pytest.raises(TypeError, match="argmax\\(\\): does not support bool input"):
        st.tensor([True, False]).argmax()
    with pytest.raises(TypeError, match="both dim= and its alias axis="):
        x.sum(0, axis=1)
    with pytest.raises(TypeError, match="both unbiased= and correction="):
        x.var(0, unbiased=True, correction=1)
    with pytest.raises(TypeError, match="keepdim needs dim"):
        x.max(keepdim=True)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_python_forms_like_torch():
    a = np.arange(12, dtype=np.float32).reshape(3, 4) % 5
    s, t = st.tensor(a), torch.tensor(a)
    assert s.sum(axis=0).tolist() == t.sum(axis=0).tolist()
    assert s.sum(np.int64(1)).tolist() == t.sum(1).tolist()  # numpy integers are ints
    assert st.sum(s, [0, 1]).item() == t.sum([0, 1]).item()
    r = s.max(1)
    tr = t.max(1)
    assert type(r).__name__ == "max" and r.values.tolist() == tr.values.tolist() and r.indices.tolist() == tr.indices.tolist()
    vals, idx = st.min(s, dim=0, keepdim=True)
    assert vals.shape == (1, 4) and idx.tolist() == torch.min(t, dim=0, keepdim=True).indices.tolist()
    assert isinstance(r, tuple) and len(r) == 2
    assert s.max().shape == () and s.max().item() == t.max().item()
    # unbiased= and the positional legacy form var(dim, unbiased, keepdim)
    np.testing.assert_allclose(s.var(0, False).numpy(), t.var(0, False).numpy(), rtol=1e-6)
    np.testing.assert_allclose(s.std(1, True, True).numpy(), t.std(1, True, True).numpy(), rtol=1e-6)
    np.testing.assert_allclose(s.var(False).item(), t.var(False).item(), rtol=1e-6)
    np.testing.assert_allclose(s.var(unbiased=False).item(), t.var(unbiased=False).item(), rtol=1e-6)
    np.testing.assert_allclose(s.var(correction=2.5).item(), t.var(correction=2.5).item(), rtol=1e-6)
    assert st.var(st.tensor([1.0, 2.0]), correction=5).item() == t.new_tensor([1.0, 2.0]).var(correction=5).item()


def test_elementwise_max_form():
    if not hasattr(st, "maximum"):
        pytest.skip("steepest.maximum comes from the elementwise family (not in this build yet)")
    a, b = st.tensor([1.0, 5.0, 3.0]), st.tensor([4.0, 2.0, 3.0])
    assert st.max(a, b).tolist() == [4.0, 5.0, 3.0]
    assert a.min(b).tolist() == [1.0, 2.0, 3.0]
    assert st.max(a, other=b).tolist() == [4.0, 5.0, 3.0]
