"""div(rounding_mode=), floor_divide, remainder and fmod (and // and %) against torch for
float and integer dtypes: values, result dtypes, signs, division by zero (inf/NaN for floats,
RuntimeError "ZeroDivisionError" for integers), gradients by gradcheck, in-place forms."""
import hypothesis.extra.numpy as hnp
import hypothesis.strategies as hst
import numpy as np
import pytest
import torch
from hypothesis import given, settings

import steepest as st
from steepest.autograd import gradcheck

SETTINGS = settings(max_examples=25, deadline=None)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=5)

OPS = {
    "trunc": (lambda a, b: st.div(a, b, rounding_mode="trunc"), lambda a, b: torch.div(a, b, rounding_mode="trunc")),
    "floor": (lambda a, b: st.div(a, b, rounding_mode="floor"), lambda a, b: torch.div(a, b, rounding_mode="floor")),
    "none": (lambda a, b: st.div(a, b, rounding_mode=None), lambda a, b: torch.div(a, b, rounding_mode=None)),
    "floor_divide": (st.floor_divide, torch.floor_divide),
    "remainder": (st.remainder, torch.remainder),
    "fmod": (st.fmod, torch.fmod),
    "//": (lambda a, b: a // b, lambda a, b: a // b),
    "%": (lambda a, b: a % b, lambda a, b: a % b),
}


def operands(shape, seed, dtype):
    rng = np.random.default_rng(seed)
    if dtype in ("int64", "int32"):
        a = rng.integers(-20, 21, shape)
        b = rng.integers(1, 7, shape) * rng.choice([-1, 1], shape)
    else:
        a = np.asarray(rng.uniform(-10, 10, shape) * rng.choice([1.0, 1e-3], shape))
        b = np.asarray(rng.uniform(0.2, 4, shape) * rng.choice([-1, 1], shape))
        a[rng.random(shape) < 0.2] = 0.0
        a = np.where(rng.random(shape) < 0.2, np.round(a) * 2, a)  # exact multiples of some b
        b = np.where(rng.random(shape) < 0.2, 2.0 * np.sign(b), b)
    return np.asarray(a).astype(dtype), np.asarray(b).astype(dtype)


def check(s, t):
    assert str(s.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(s.shape) == tuple(t.shape)
    np.testing.assert_array_equal(s.numpy(), t.numpy())
    np.testing.assert_array_equal(np.signbit(s.numpy()), np.signbit(t.numpy()))  # -0.0 as torch


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@SETTINGS
@given(shape=shapes, seed=hst.integers(0, 2**16), bshape_pick=hst.integers(0, 2))
def test_tensor_tensor_matches_torch(name, dtype, shape, seed, bshape_pick):
    a, b = operands(shape, seed, dtype)
    if bshape_pick == 1 and a.ndim:  # broadcasting b over a's first dim
        b = b[:1]
    sf, tf = OPS[name]
    check(sf(st.tensor(a), st.tensor(b)), tf(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("scalar", [3, -3, 2.5, -0.75])
def test_tensor_scalar_and_scalar_tensor(name, dtype, scalar):
    a, b = operands((4, 5), 3, dtype)
    sf, tf = OPS[name]
    check(sf(st.tensor(a), scalar), tf(torch.tensor(a), scalar))
    if name not in ("fmod",):  # torch has no fmod(Number, Tensor)
        check(sf(scalar, st.tensor(b)), tf(scalar, torch.tensor(b)))


def test_float_division_by_zero_gives_inf_and_nan_as_torch():
    a = np.array([1.0, -1.0, 0.0, 2.5], np.float32)
    b = np.zeros(4, np.float32)
    for name in ("trunc", "floor", "floor_divide", "remainder", "fmod"):
        sf, tf = OPS[name]
        s, t = sf(st.tensor(a), st.tensor(b)).numpy(), tf(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_array_equal(s, t)


@pytest.mark.parametrize("name", ["trunc", "floor", "floor_divide", "remainder", "fmod", "//", "%"])
def test_integer_division_by_zero_raises_like_torch(name):
    sf, tf = OPS[name]
    a, b = np.array([3, 4], np.int64), np.array([1, 0], np.int64)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        tf(torch.tensor(a), torch.tensor(b))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        sf(st.tensor(a), st.tensor(b))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        sf(st.tensor(a), 0)


def test_int_min_by_minus_one_wraps():
    """torch's integer division traps (SIGFPE) on INT_MIN / -1; steepest wraps as two's
    complement (the quotient) and gives remainder 0."""
    a = st.tensor([-(2**63), 7])
    for name, want in [("trunc", [-(2**63), -7]), ("floor", [-(2**63), -7]), ("remainder", [0, 0]),
                       ("fmod", [0, 0]), ("//", [-(2**63), -7])]:
        np.testing.assert_array_equal(OPS[name][0](a, -1).numpy(), want)
        np.testing.assert_array_equal(OPS[name][0](a, st.tensor([-1, -1])).numpy(), want)


def test_bool_and_bad_rounding_mode_are_refused():
    with pytest.raises(TypeError, match="bool"):
        st.remainder(st.tensor([True]), st.tensor([True]))
    with pytest.raises(ValueError, match="rounding_mode"):
        st.div(st.ones(2), 2, rounding_mode="round")


def test_inplace_forms_match_torch():
    a, b = operands((3, 4), 11, "float64")
    for meth, kw in [("remainder_", {}), ("fmod_", {}), ("floor_divide_", {}), ("div_", {"rounding_mode": "floor"}),
                     ("div_", {"rounding_mode": "trunc"})]:
        s, t = st.tensor(a), torch.tensor(a)
        getattr(s, meth)(st.tensor(b), **kw)
        getattr(t, meth)(torch.tensor(b), **kw)
        check(s, t)
    s, t = st.tensor([7, -7]), torch.tensor([7, -7])
    s %= 3
    t %= 3
    check(s, t)
    s //= 2
    t //= 2
    check(s, t)
    with pytest.raises(RuntimeError, match="can't be cast"):
        st.tensor([7, -7]).remainder_(2.5)


def test_gradients():
    rng = np.random.default_rng(5)
    a = st.tensor(rng.uniform(-5, 5, (3, 4)), requires_grad=True)
    b = st.tensor(rng.uniform(0.5, 2, (3, 4)) * rng.choice([-1, 1], (3, 4)), requires_grad=True)
    # away from the jumps of the rounded quotient, where finite differences are valid
    assert gradcheck(lambda x, y: st.remainder(x, y), (a, b))
    assert gradcheck(lambda x, y: st.fmod(x, y), (a, b))
    assert gradcheck(lambda x: st.remainder(x, 1.5), (a,))
    ta, tb = torch.tensor(a.detach().numpy(), requires_grad=True), torch.tensor(b.detach().numpy(), requires_grad=True)
    for name in ("trunc", "floor", "remainder", "fmod"):
        sa, sb = a.detach().requires_grad_(), b.detach().requires_grad_()
        ta.grad = tb.grad = None
        OPS[name][0](sa, sb).sum().backward()
        OPS[name][1](ta, tb).sum().backward()
        np.testing.assert_allclose(sa.grad.numpy(), ta.grad.numpy())
        np.testing.assert_allclose(sb.grad.numpy(), tb.grad.numpy())
