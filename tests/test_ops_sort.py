"""sort/argsort/msort/topk/kthvalue/median/nanmedian/mode against torch: values, dtypes and
indices (exactly where ties cannot make them ambiguous, else that the index points at the
value), NaN ordering, gradients by gradcheck, and errors for bad k or dim."""
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import steepest as st
from steepest.autograd import gradcheck

SETTINGS = settings(max_examples=25, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)


def data(shape, seed, kind):
    rng = np.random.default_rng(seed)
    if kind == "distinct":
        return rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64) * 0.37 - 3
    if kind == "ties":
        return rng.integers(-2, 3, shape).astype(np.float64)
    if kind == "nan":
        x = rng.integers(-2, 3, shape).astype(np.float64)
        x[rng.random(shape) < 0.25] = np.nan
        return x
    if kind == "int":
        return rng.integers(-5, 5, shape).astype(np.int64)
    return rng.random(shape) < 0.5


def same(s, t):
    assert str(s.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(s.shape) == tuple(t.shape)
    np.testing.assert_array_equal(s.numpy(), t.numpy())


@pytest.mark.parametrize("kind", ["distinct", "ties", "nan", "int", "bool"])
@pytest.mark.parametrize("descending", [False, True])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), dim_pick=hst.integers(0, 10))
def test_sort_and_argsort_match_torch_stable(kind, descending, shape, seed, dim_pick):
    x = data(shape, seed, kind)
    dim = dim_pick % len(shape) - (len(shape) if dim_pick % 2 else 0)
    sv, si = st.sort(st.tensor(x), dim, descending)
    tv, ti = torch.sort(torch.tensor(x), dim=dim, descending=descending, stable=True)
    same(sv, tv)
    same(si, ti)
    same(st.argsort(st.tensor(x), dim, descending), torch.argsort(torch.tensor(x), dim=dim, descending=descending, stable=True))
    res = st.tensor(x).sort(dim=dim, descending=descending, stable=True)
    same(res.values, tv)
    same(res.indices, ti)
    if dim == 0:
        same(st.msort(st.tensor(x)), torch.msort(torch.tensor(x)))


def test_sort_nan_order_and_zero_dim():
    x = [3.0, float("nan"), 1.0, float("nan"), 2.0]
    for desc in (False, True):
        sv, si = st.sort(st.tensor(x), descending=desc)
        tv, ti = torch.sort(torch.tensor(x), descending=desc, stable=True)
        np.testing.assert_array_equal(sv.numpy(), tv.numpy())
        np.testing.assert_array_equal(si.numpy(), ti.numpy())
    v, i = st.sort(st.tensor(2.5))
    assert v.shape == () and v.item() == 2.5 and i.item() == 0 and i.dtype == st.int64
    e = st.sort(st.zeros(0, 3), 0)
    assert tuple(e.values.shape) == (0, 3) and e.indices.dtype == st.int64


@pytest.mark.parametrize("largest", [True, False])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), k_pick=hst.integers(0, 10), dim_pick=hst.integers(0, 10))
def test_topk_matches_torch(largest, shape, seed, k_pick, dim_pick):
    dim = dim_pick % len(shape)
    k = k_pick % (shape[dim] + 1)
    x = data(shape, seed, "distinct")
    sv, si = st.topk(st.tensor(x), k, dim, largest)
    tv, ti = torch.topk(torch.tensor(x), k, dim, largest)
    same(sv, tv)
    same(si, ti)


def test_topk_with_nan_takes_nan_as_largest():
    x = [3.0, float("nan"), 1.0, 2.0]
    sv, si = st.tensor(x).topk(2)
    tv, ti = torch.tensor(x).topk(2)
    np.testing.assert_array_equal(sv.numpy(), tv.numpy())
    np.testing.assert_array_equal(si.numpy(), ti.numpy())
    sv, _ = st.tensor(x).topk(2, largest=False)
    np.testing.assert_array_equal(sv.numpy(), [1.0, 2.0])


def check_pick(sres, tres, x, dim, keepdim):
    """Values and dtypes as torch; the index points at an element equal to the value."""
    sv, si = sres
    tv, ti = tres
    same(sv, tv)
    assert si.dtype == st.int64 and tuple(si.shape) == tuple(ti.shape)
    idx = si.numpy() if keepdim else np.expand_dims(si.numpy(), dim)
    picked = np.take_along_axis(x, idx, dim)
    want = sv.numpy() if keepdim else np.expand_dims(sv.numpy(), dim)
    np.testing.assert_array_equal(picked, want)


@pytest.mark.parametrize("op", ["kthvalue", "median", "nanmedian", "mode"])
@pytest.mark.parametrize("kind", ["distinct", "ties", "int"])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), dim_pick=hst.integers(0, 10), keepdim=hst.booleans(),
       k_pick=hst.integers(0, 10))
def test_selections_match_torch(op, kind, shape, seed, dim_pick, keepdim, k_pick):
    x = data(shape, seed, kind)
    dim = dim_pick % len(shape)
    args = (k_pick % shape[dim] + 1,) if op == "kthvalue" else ()
    sres = getattr(st, op)(st.tensor(x), *args, dim, keepdim)
    tres = getattr(torch, op)(torch.tensor(x), *args, dim, keepdim)
    check_pick(sres, tres, x, dim, keepdim)
    if kind == "distinct" or op == "mode":  # no ambiguity: torch's exact index
        same(sres.indices, tres.indices)


@pytest.mark.parametrize("op", ["median", "nanmedian"])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), dim_pick=hst.integers(0, 10))
def test_median_nan_handling(op, shape, seed, dim_pick):
    x = data(shape, seed, "nan")
    dim = dim_pick % len(shape)
    sv, si = getattr(st, op)(st.tensor(x), dim)
    tv, ti = getattr(torch, op)(torch.tensor(x), dim)
    np.testing.assert_array_equal(sv.numpy(), tv.numpy())  # NaN == NaN here
    if op == "median":  # a NaN row: torch gives the first NaN's index
        nan_rows = np.isnan(tv.numpy())
        np.testing.assert_array_equal(si.numpy()[nan_rows], ti.numpy()[nan_rows])
    s_all, t_all = getattr(st, op)(st.tensor(x)), getattr(torch, op)(torch.tensor(x))
    np.testing.assert_array_equal(s_all.numpy(), t_all.numpy())


def test_global_median_is_the_lower_median():
    for x in ([4, 1, 3, 2], [4.0, 1.0, 3.0, 2.0, 7.0], [[1.5, -2.0], [0.25, 8.0]]):
        s, t = st.median(st.tensor(x)), torch.median(torch.tensor(x))
        assert s.shape == () and s.dtype == getattr(st, str(t.dtype).split(".")[-1])
        assert s.item() == t.item()
    assert np.isnan(st.median(st.tensor([])).item())


def test_return_types_unpack_and_name():
    r = st.tensor([[3.0, 1.0], [0.0, 2.0]]).kthvalue(1, 1)
    v, i = r
    assert type(r).__name__ == "kthvalue" and r.values is v and r.indices is i
    for name, res in [("sort", st.sort(st.ones(2))), ("topk", st.topk(st.ones(2), 1)), ("mode", st.mode(st.ones(2))),
                      ("median", st.median(st.ones(2), 0)), ("nanmedian", st.nanmedian(st.ones(2), 0))]:
        assert type(res).__name__ == name and len(res) == 2


def test_gradients_by_gradcheck():
    rng = np.random.default_rng(0)
    x = st.tensor(rng.permutation(24).reshape(2, 3, 4).astype(np.float64) * 0.5, requires_grad=True)
    assert gradcheck(lambda a: st.sort(a, 1, True).values * st.arange(3.0).reshape(3, 1), (x,))
    assert gradcheck(lambda a: st.topk(a, 2, -1).values, (x,))
    assert gradcheck(lambda a: st.topk(a, 2, 1, largest=False).values, (x,))
    assert gradcheck(lambda a: st.kthvalue(a, 2, 2, True).values, (x,))
    assert gradcheck(lambda a: st.median(a, 1).values, (x,))
    assert gradcheck(lambda a: st.nanmedian(a, 0).values, (x,))
    assert gradcheck(lambda a: st.median(a), (x,))
    assert gradcheck(lambda a: st.msort(a), (x,))


def test_gradient_of_tied_values_goes_to_the_picked_index():
    s = st.tensor([2.0, 1.0, 2.0, 2.0], requires_grad=True)
    v, i = st.mode(s)
    v.backward()
    want = np.zeros(4)
    want[i.item()] = 1.0
    np.testing.assert_array_equal(s.grad.numpy(), want)


def test_bad_arguments_raise():
    x = st.ones(2, 3)
    with pytest.raises(IndexError, match="k out of range"):
        st.topk(x, 4)
    with pytest.raises(IndexError, match="k out of range"):
        st.topk(x, -1)
    with pytest.raises(IndexError, match="k out of range"):
        st.kthvalue(x, 0)
    with pytest.raises(IndexError, match="k out of range"):
        x.kthvalue(4)
    with pytest.raises(IndexError, match="dimension out of range"):
        st.sort(x, 2)
    with pytest.raises(IndexError, match="dimension out of range"):
        st.median(x, -3)
    with pytest.raises(IndexError, match="non-zero size"):
        st.median(st.zeros(2, 0), 1)
    with pytest.raises(TypeError):
        st.sort([1, 2])
    for bad in (lambda t: t.topk(4), lambda t: t.kthvalue(0)):
        with pytest.raises(RuntimeError):
            bad(torch.ones(2, 3))
