"""erfc and erfinv (top-level, Tensor methods, in-place, autograd) against 40-digit mpmath
values, scipy and torch: float64 to a few ulp, float32 correctly rounded from the float64
value (at most 1 ulp from scipy's), the tails (erfc's relative accuracy far out, erfinv next
to +-1), special values (+-1, +-inf, NaN, -0, out of range), integer inputs promoted to the
default float dtype, non-contiguous inputs, gradients by gradcheck."""
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import steepest as st
from steepest.autograd import gradcheck

sp = pytest.importorskip("scipy.special")
mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 40

SETTINGS = settings(max_examples=25, deadline=None)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6)


def ulps(a, ref, dtype):
    """Distance of a from the float64 reference in units of dtype's last place at ref."""
    ref = np.asarray(ref, np.float64)
    spacing = np.spacing(np.abs(ref).astype(dtype)).astype(np.float64)
    return np.abs(a.astype(np.float64) - ref) / spacing


def test_erfc_float64_matches_mpmath_across_the_range_and_in_the_far_tail():
    # scipy's erfc drifts by hundreds of ulp near 1e-290, so the reference is mpmath here.
    x = np.concatenate([np.linspace(-6, 6, 241), np.linspace(6, 26.5, 83), [0.0, 1e-300, -1e-300, 1e-8]])
    got = st.erfc(st.tensor(x)).numpy()
    ref = np.array([float(mpmath.erfc(mpmath.mpf(v))) for v in x])
    tiny = ref < 1e-300  # denormal results: compare absolutely
    assert np.all(ulps(got[~tiny], ref[~tiny], np.float64) <= 2)
    assert np.all(np.abs(got[tiny] - ref[tiny]) <= 1e-320)


def test_erfinv_float64_matches_mpmath_including_next_to_one():
    y = np.concatenate([np.linspace(-0.999, 0.999, 201), 1 - np.logspace(-16, -3, 40),
                        -(1 - np.logspace(-16, -3, 40)), [1e-300, -1e-300, 1e-10, 0.5, -0.5]])
    got = st.erfinv(st.tensor(y)).numpy()
    ref = np.array([float(mpmath.erfinv(mpmath.mpf(v))) for v in y])
    assert np.all(ulps(got, ref, np.float64) <= 2)
    # and scipy (Boost's erfinv) agrees away from the extreme tail
    mid = np.abs(y) < 0.999
    assert np.all(ulps(got[mid], sp.erfinv(y[mid]), np.float64) <= 4)


@pytest.mark.parametrize("name", ["erfc", "erfinv"])
def test_float32_is_the_float64_value_rounded(name):
    rng = np.random.default_rng(0)
    x = (rng.uniform(-5, 5, 5000) if name == "erfc" else rng.uniform(-1, 1, 5000)).astype(np.float32)
    got = getattr(st, name)(st.tensor(x)).numpy()
    assert got.dtype == np.float32
    ref = getattr(sp, name)(x.astype(np.float64))
    assert np.all(ulps(got, ref, np.float32) <= 0.5 + 1e-9)  # correctly rounded
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert np.all(ulps(want, ref, np.float32) <= 8)  # torch itself is within a few ulp of the same
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-30)


def test_special_values_as_torch():
    x = torch.tensor([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, float("inf"), float("-inf"), float("nan")],
                     dtype=torch.float64)
    for name in ("erfc", "erfinv"):
        got = getattr(st, name)(st.tensor(x.numpy())).numpy()
        want = getattr(torch, name)(x).numpy()
        np.testing.assert_allclose(got, want, rtol=4e-16, atol=0)  # inf, NaN in place; finite to 1 ulp
        np.testing.assert_array_equal(np.signbit(got[:2]), np.signbit(want[:2]))


@pytest.mark.parametrize("dtype", [st.int64, st.int32, st.bool])
def test_integer_and_bool_inputs_compute_in_the_default_float_dtype(dtype):
    t = st.tensor([0, 1, 1, 0], dtype=dtype) if dtype == st.bool else st.tensor([0, 1, -1, 2], dtype=dtype)
    ref_t = torch.from_numpy(t.numpy())
    for name in ("erfc", "erfinv"):
        got = getattr(st, name)(t)
        want = getattr(torch, name)(ref_t)
        assert got.dtype == st.float32 and want.dtype == torch.float32
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    with pytest.raises((TypeError, RuntimeError)):
        st.tensor([1, 2]).erfc_()  # an int tensor can't hold the float result, as torch


@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**31 - 1), dtype=hst.sampled_from([np.float32, np.float64]),
       transpose=hst.booleans())
def test_methods_and_in_place_forms_match_torch_on_any_shape(shape, seed, dtype, transpose):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.999, 0.999, shape).astype(dtype)
    t, r = st.tensor(x), torch.from_numpy(x.copy())
    if transpose and t.ndim >= 2:  # strided input
        t, r = t.transpose(0, 1), r.transpose(0, 1)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    for name in ("erfc", "erfinv"):
        want = getattr(r, name)().numpy()
        np.testing.assert_allclose(getattr(t, name)().numpy(), want, rtol=tol, atol=1e-30)
        c = t.clone()
        assert getattr(c, name + "_")() is c
        np.testing.assert_allclose(c.numpy(), want, rtol=tol, atol=1e-30)


def test_gradients_by_gradcheck_and_against_the_formulas():
    x = st.tensor(np.linspace(-2.5, 2.5, 11)).requires_grad_()
    assert gradcheck(st.erfc, (x,))
    y = st.tensor(np.linspace(-0.95, 0.95, 11)).requires_grad_()
    assert gradcheck(st.erfinv, (y,))
    yt = torch.tensor(np.linspace(-0.95, 0.95, 11), requires_grad=True)
    torch.erfinv(yt).pow(2).sum().backward()
    st.erfinv(y).pow(2).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-12)


def test_in_place_under_autograd_keeps_the_right_gradient():
    base = np.array([-1.0, 0.3, 2.0])
    a = st.tensor(base).requires_grad_()
    b = a * 1.0
    b.erfc_()
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), -2 / np.sqrt(np.pi) * np.exp(-base ** 2), rtol=1e-12)
    a = st.tensor(np.array([0.2, -0.7])).requires_grad_()
    b = a * 1.0
    b.erfinv_()
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.sqrt(np.pi) / 2 * np.exp(sp.erfinv([0.2, -0.7]) ** 2), rtol=1e-12)
