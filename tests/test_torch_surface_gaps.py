"""Ops torch scripts reach for, against torch: top-level softmax / log_softmax and their
Tensor methods, Tensor.random_() in its three forms (the ranges per dtype, the errors),
unique(dim=) and unique_consecutive(dim=) with return_inverse / return_counts, and nn.BatchNorm3d (training and eval
against torch's module with the same parameters)."""
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import steepest as st

SETTINGS = settings(max_examples=25, deadline=None)


# ---- softmax / log_softmax ----------------------------------------------------------------
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5), seed=hst.integers(0, 2**31 - 1),
       data=hst.data())
def test_softmax_and_log_softmax_top_level_and_methods_match_torch(shape, seed, data):
    dim = data.draw(hst.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).normal(0, 3, shape)
    t, r = st.tensor(x), torch.from_numpy(x)
    for name in ("softmax", "log_softmax"):
        want = getattr(torch, name)(r, dim).numpy()
        np.testing.assert_allclose(getattr(st, name)(t, dim).numpy(), want, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(getattr(t, name)(dim).numpy(), want, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(getattr(st, name)(t, dim=dim).numpy(), want, rtol=1e-12, atol=1e-14)


def test_softmax_dtype_argument_and_gradient():
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    got = st.softmax(st.tensor(x), 1, dtype=st.float64)
    want = torch.softmax(torch.from_numpy(x), 1, dtype=torch.float64)
    assert got.dtype == st.float64
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    a = st.tensor(x.astype(np.float64)).requires_grad_()
    b = torch.tensor(x.astype(np.float64), requires_grad=True)
    w = np.arange(12.0).reshape(3, 4)
    (a.log_softmax(0) * st.tensor(w)).sum().backward()
    (b.log_softmax(0) * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_softmax_errors():
    t = st.randn(2, 3)
    with pytest.raises(TypeError):
        st.softmax(t)  # dim is required at the top level, as torch
    with pytest.raises(IndexError):
        st.softmax(t, 2)
    with pytest.raises(TypeError):
        st.log_softmax(t, 1.0)


# ---- random_ -------------------------------------------------------------------------------
TOPS = {st.float32: 2**24, st.float64: 2**53, st.float16: 2**11, st.bfloat16: 2**8,
        st.int32: 2**31 - 1, st.int64: 2**63 - 1, st.bool: 1}


@pytest.mark.parametrize("dtype", list(TOPS), ids=str)
def test_random_without_arguments_covers_zero_to_the_dtype_top(dtype):
    st.manual_seed(0)
    n = 4000 if dtype not in (st.float16, st.bfloat16, st.bool) else 20000
    v = st.empty(n, dtype=dtype).random_()
    vals = v.to(st.float64).numpy() if dtype != st.int64 else v.numpy()
    top = TOPS[dtype]
    assert vals.min() >= 0 and vals.max() <= top
    if dtype in (st.float16, st.bfloat16, st.bool):  # small ranges: both ends are drawn
        assert vals.min() == 0 and vals.max() == top
        assert len(np.unique(vals)) == top + 1
    else:  # wide ranges: spread over the whole of it (uniform: mean near top / 2)
        assert abs(float(np.mean(vals / top)) - 0.5) < 0.03
    assert np.all(vals == np.round(vals))
    # torch draws from the same range
    r = torch.empty(n, dtype=getattr(torch, str(dtype).split(".")[-1])).random_()
    assert float(r.min()) >= 0 and float(r.max()) <= top


def test_random_to_and_from_to_forms():
    st.manual_seed(3)
    a = st.empty(5000).random_(7).numpy()
    assert set(np.unique(a)) == set(range(7))
    b = st.empty(5000, dtype=st.int64).random_(-3, 4).numpy()
    assert set(np.unique(b)) == set(range(-3, 4))
    c = st.empty(5000, dtype=st.int32).random_(2**31 - 3, None).numpy()  # from, up to the int32 max
    assert set(np.unique(c)) == {2**31 - 3, 2**31 - 2, 2**31 - 1}
    d = st.empty(3000, dtype=st.float16).random_(2040, None).to(st.float64).numpy()
    assert set(np.unique(d)) == set(float(v) for v in range(2040, 2049))
    g = st.Generator().manual_seed(5)
    e1 = st.empty(10).random_(generator=g).numpy()
    g.manual_seed(5)
    np.testing.assert_array_equal(e1, st.empty(10).random_(generator=g).numpy())


@pytest.mark.parametrize("call, dtype", [((5, 3), st.float32), ((3, 3), st.float32), ((0,), st.float32),
                                          ((2**25, None), st.float32), ((0, 3), st.bool),
                                          ((0, 2**40), st.int32), ((-1, None), st.bool)])
def test_random_bad_ranges_raise_as_torch(call, dtype):
    tdt = getattr(torch, str(dtype).split(".")[-1])
    with pytest.raises(RuntimeError):
        torch.zeros(3, dtype=tdt).random_(*call)
    with pytest.raises((ValueError, RuntimeError)):
        st.zeros(3, dtype=dtype).random_(*call)


# ---- unique(dim=) --------------------------------------------------------------------------
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), seed=hst.integers(0, 2**31 - 1),
       data=hst.data(), dtype=hst.sampled_from([np.int64, np.float64, np.bool_]))
def test_unique_dim_with_inverse_and_counts_matches_torch(shape, seed, data, dtype):
    dim = data.draw(hst.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).integers(0, 2, shape).astype(dtype)  # few values: many repeats
    got = st.unique(st.tensor(x), dim=dim, return_inverse=True, return_counts=True)
    want = torch.unique(torch.from_numpy(x), dim=dim, return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    alone = st.tensor(x).unique(dim=dim)
    np.testing.assert_array_equal(alone.numpy(), want[0].numpy())


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), seed=hst.integers(0, 2**31 - 1),
       data=hst.data())
def test_unique_consecutive_dim_matches_torch(shape, seed, data):
    dim = data.draw(hst.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).integers(0, 2, shape)
    got = st.unique_consecutive(st.tensor(x), dim=dim, return_inverse=True, return_counts=True)
    want = torch.unique_consecutive(torch.from_numpy(x), dim=dim, return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_unique_dim_edge_cases_as_torch():
    for shape, dim in [((0, 3), 0), ((3, 0), 1)]:
        got = st.unique(st.empty(shape), dim=dim, return_inverse=True, return_counts=True)
        want = torch.unique(torch.empty(shape), dim=dim, return_inverse=True, return_counts=True)
        assert [tuple(g.shape) for g in got] == [tuple(w.shape) for w in want]
    with pytest.raises(RuntimeError):
        torch.unique(torch.empty(3, 0), dim=0)
    with pytest.raises(RuntimeError):
        st.unique(st.empty(3, 0), dim=0)
    with pytest.raises(RuntimeError):
        st.unique_consecutive(st.empty(3, 0), dim=0)
    with pytest.raises(IndexError):
        st.unique(st.zeros(2, 3), dim=2)
    nan_rows = np.array([[1.0, np.nan], [1.0, np.nan]])  # NaN never equals itself: two rows
    np.testing.assert_array_equal(st.unique(st.tensor(nan_rows), dim=0).numpy(),
                                  torch.unique(torch.from_numpy(nan_rows), dim=0).numpy())


# ---- BatchNorm3d ---------------------------------------------------------------------------
def test_batchnorm3d_matches_torch_in_training_and_eval():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, (2, 3, 4, 3, 2))
    ours, ref = st.nn.BatchNorm3d(3, momentum=0.2).double(), torch.nn.BatchNorm3d(3, momentum=0.2).double()
    w, b = rng.normal(size=3), rng.normal(size=3)
    with st.no_grad():
        ours.weight.copy_(st.tensor(w))
        ours.bias.copy_(st.tensor(b))
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(w))
        ref.bias.copy_(torch.from_numpy(b))
    a, t = st.tensor(x).requires_grad_(), torch.tensor(x, requires_grad=True)
    ya, yt = ours(a), ref(t)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.normal(size=x.shape)
    ya.backward(st.tensor(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), ref.state_dict()[k].numpy(), rtol=1e-12)
    ours.eval()
    ref.eval()
    np.testing.assert_allclose(ours(st.tensor(x)).detach().numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="5D"):
        ours(st.zeros(2, 3, 4, 4))
