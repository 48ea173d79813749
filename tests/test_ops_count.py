"""bincount, histc, searchsorted, bucketize, unique, unique_consecutive and masked_scatter
against torch: values, dtypes, shapes, argument forms and errors for bad input."""
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import example, given, settings

import steepest as st

SETTINGS = settings(max_examples=25, deadline=None)


def same(s, t):
    if isinstance(t, tuple):
        assert isinstance(s, tuple) and len(s) == len(t)
        for a, b in zip(s, t):
            same(a, b)
        return
    assert str(s.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(s.shape) == tuple(t.shape)
    np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6)


@SETTINGS
@given(n=hst.integers(0, 30), hi=hst.integers(1, 12), minlength=hst.integers(0, 15), seed=hst.integers(0, 999),
       wdtype=hst.sampled_from([None, "float32", "float64", "int64"]))
def test_bincount(n, hi, minlength, seed, wdtype):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, hi, n)
    if wdtype is None:
        same(st.bincount(st.tensor(x), minlength=minlength), torch.bincount(torch.tensor(x), minlength=minlength))
    else:
        w = rng.uniform(-2, 2, n).astype(wdtype) if wdtype != "int64" else rng.integers(-3, 4, n)
        got = st.tensor(x).bincount(st.tensor(w), minlength)
        want = torch.tensor(x).bincount(torch.tensor(w), minlength)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        # a bin's weights summed in another order: a few ulps of the bin's sum of |w| (a sum
        # that cancels can move far more than its own ulp); integer weights sum exactly
        mass = np.bincount(x, np.abs(w).astype(np.float64), minlength=len(want))
        ulp = {"float32": 2.0**-24, "float64": 2.0**-53, "int64": 0.0}[wdtype]
        assert np.all(np.abs(got.numpy().astype(np.float64) - want.numpy()) <= 4 * ulp * mass)


def test_bincount_errors():
    for bad in ([-1, 2], [[1, 2]], [1.0, 2.0]):
        with pytest.raises(RuntimeError):
            torch.bincount(torch.tensor(bad))
        with pytest.raises(ValueError, match="bincount"):
            st.bincount(st.tensor(bad))
    with pytest.raises(ValueError, match="weights"):
        st.bincount(st.tensor([1, 2]), st.ones(3))


@SETTINGS
@given(n=hst.integers(0, 40), bins=hst.integers(1, 12), seed=hst.integers(0, 999),
       bounds=hst.sampled_from([(0.0, 0.0), (-1.0, 1.0), (0.25, 3.0)]), dtype=hst.sampled_from(["float32", "float64"]))
@example(n=1, bins=2, seed=35, bounds=(0.0, 0.0), dtype="float32")  # the value on the middle edge
def test_histc(n, bins, seed, bounds, dtype):
    x = np.random.default_rng(seed).normal(0.5, 1.5, n).astype(dtype)
    got, want = st.histc(st.tensor(x), bins, *bounds), torch.histc(torch.tensor(x), bins, *bounds)
    assert got.dtype == st.float32 if dtype == "float32" else got.dtype == st.float64
    g, w = got.numpy().astype(np.float64), want.numpy().astype(np.float64)
    assert g.shape == w.shape == (bins,)
    # A value on an interior edge in exact arithmetic (every value of one-element data with
    # bounds (0, 0) and an even bin count) lands on either side by the rounding of the edges,
    # which torch computes in the input's precision and steepest in float64: such a value may
    # sit in either neighbouring bin, everything else must agree exactly.
    lo, hi = bounds
    if lo == hi and n:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    pos = (x.astype(np.float64) - lo) * bins / (hi - lo)
    near = np.zeros(bins + 1)
    for p in pos[np.abs(pos - np.round(pos)) < 1e-4]:
        near[int(np.round(p))] += 1
    assert g.sum() == w.sum()
    # the counts left of each interior edge differ by at most the values on that edge
    assert np.all(np.abs(np.cumsum(g)[:-1] - np.cumsum(w)[:-1]) <= near[1:bins])


def test_histc_edges_and_errors():
    same(st.histc(st.tensor([3.0, 3.0]), 4), torch.histc(torch.tensor([3.0, 3.0]), 4))
    same(st.tensor([0.0, 1.0, 2.0, 3.0]).histc(3, 0, 3), torch.tensor([0.0, 1.0, 2.0, 3.0]).histc(3, 0, 3))
    with pytest.raises(TypeError, match="floating"):
        st.histc(st.tensor([1, 2]), 3)
    with pytest.raises(ValueError, match="bins"):
        st.histc(st.ones(3), 0)
    with pytest.raises(ValueError, match="min"):
        st.histc(st.ones(3), 3, 2.0, 1.0)


@pytest.mark.parametrize("right", [False, True])
@SETTINGS
@given(m=hst.integers(0, 8), vshape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=5), seed=hst.integers(0, 999),
       dtype=hst.sampled_from(["int64", "float32", "float64"]))
def test_searchsorted_1d(right, m, vshape, seed, dtype):
    rng = np.random.default_rng(seed)
    seq = np.sort(rng.integers(-5, 6, m)).astype(dtype)
    v = rng.integers(-6, 7, vshape).astype(dtype)
    same(st.searchsorted(st.tensor(seq), st.tensor(v), right=right),
         torch.searchsorted(torch.tensor(seq), torch.tensor(v), right=right))
    same(st.searchsorted(st.tensor(seq), st.tensor(v), side="right" if right else "left", out_int32=True),
         torch.searchsorted(torch.tensor(seq), torch.tensor(v), side="right" if right else "left", out_int32=True))
    if v.ndim:
        same(st.bucketize(st.tensor(v), st.tensor(seq), right=right),
             torch.bucketize(torch.tensor(v), torch.tensor(seq), right=right))


@SETTINGS
@given(lead=hst.integers(1, 4), m=hst.integers(1, 6), n=hst.integers(0, 5), seed=hst.integers(0, 999),
       right=hst.booleans())
def test_searchsorted_batched_and_sorter(lead, m, n, seed, right):
    rng = np.random.default_rng(seed)
    raw = rng.uniform(-3, 3, (lead, m))
    v = rng.uniform(-3.5, 3.5, (lead, n))
    seq = np.sort(raw, -1)
    same(st.searchsorted(st.tensor(seq), st.tensor(v), right=right),
         torch.searchsorted(torch.tensor(seq), torch.tensor(v), right=right))
    sorter = np.argsort(raw, -1)
    same(st.searchsorted(st.tensor(raw), st.tensor(v), right=right, sorter=st.tensor(sorter)),
         torch.searchsorted(torch.tensor(raw), torch.tensor(v), right=right, sorter=torch.tensor(sorter)))


def test_searchsorted_scalar_and_errors():
    same(st.searchsorted(st.tensor([1, 3, 5, 7]), 3, right=True), torch.searchsorted(torch.tensor([1, 3, 5, 7]), 3,
                                                                                      right=True))
    with pytest.raises(ValueError, match="first N-1 dimensions"):
        st.searchsorted(st.ones(2, 3), st.ones(3, 3))
    with pytest.raises(ValueError, match="opposites"):
        st.searchsorted(st.ones(3), st.ones(2), right=True, side="left")
    with pytest.raises(IndexError, match="sorter"):
        st.searchsorted(st.ones(3), st.ones(2), sorter=st.tensor([0, 1, 3]))
    with pytest.raises(ValueError, match="boundaries"):
        st.bucketize(st.ones(2), st.ones(2, 2))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("counts", [False, True])
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), seed=hst.integers(0, 999),
       dtype=hst.sampled_from(["int64", "float32", "bool"]))
def test_unique_and_unique_consecutive(inverse, counts, shape, seed, dtype):
    x = np.random.default_rng(seed).integers(0, 4, shape).astype(dtype)
    same(st.unique(st.tensor(x), return_inverse=inverse, return_counts=counts),
         torch.unique(torch.tensor(x), return_inverse=inverse, return_counts=counts))
    same(st.tensor(x).unique(sorted=True, return_inverse=inverse, return_counts=counts),
         torch.tensor(x).unique(sorted=True, return_inverse=inverse, return_counts=counts))
    same(st.unique_consecutive(st.tensor(x), return_inverse=inverse, return_counts=counts),
         torch.unique_consecutive(torch.tensor(x), return_inverse=inverse, return_counts=counts))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=hst.integers(0, 999),
       broadcast=hst.booleans())
def test_masked_scatter(shape, seed, broadcast):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    mshape = shape[-1:] if broadcast else shape
    mask = rng.random(mshape) < 0.5
    src = rng.normal(size=(int(np.prod(shape)) + 2,))
    same(st.masked_scatter(st.tensor(x), st.tensor(mask), st.tensor(src)),
         torch.masked_scatter(torch.tensor(x), torch.tensor(mask), torch.tensor(src)))
    s, t = st.tensor(x), torch.tensor(x)
    s.masked_scatter_(st.tensor(mask), st.tensor(src))
    t.masked_scatter_(torch.tensor(mask), torch.tensor(src))
    same(s, t)


def test_masked_scatter_gradients_and_errors():
    x = st.tensor([1.0, 2.0, 3.0], requires_grad=True)
    src = st.tensor([10.0, 20.0, 30.0], requires_grad=True)
    mask = st.tensor([True, False, True])
    (st.masked_scatter(x, mask, src) * st.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(src.grad.numpy(), [1.0, 3.0, 0.0])
    with pytest.raises(ValueError, match="at least as many"):
        st.masked_scatter(st.ones(3), mask, st.ones(1))
    with pytest.raises(TypeError, match="bool"):
        st.masked_scatter(st.ones(3), st.ones(3), st.ones(3))
