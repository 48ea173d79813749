"""Backward formulas of the differentiable ops (elementwise, where/masked_fill, copies,
reductions, matmul): the gradients steepest accumulates are checked against torch on the
same inputs and upstream gradient, and against finite differences (st.autograd.gradcheck)
in float64; broadcasting, mixed dtypes and non-differentiable dtypes too."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

HYP = settings(max_examples=40, deadline=None)


def leaves(arrays, dtype=np.float64):
    """The same values as steepest and torch leaves that require grad."""
    s = [st.tensor(np.asarray(a, dtype=dtype)).requires_grad_() for a in arrays]
    t = [torch.tensor(np.asarray(a, dtype=dtype)).requires_grad_() for a in arrays]
    return s, t


def check_vs_torch(fn, arrays, dtype=np.float64, seed=0, rtol=None, atol=None):
    """fn(lib, *leaves) in steepest and torch; backward with one random upstream gradient;
    the values and every leaf's .grad must agree."""
    s, t = leaves(arrays, dtype)
    out_s, out_t = fn(st, *s), fn(torch, *t)
    assert tuple(out_s.shape) == tuple(out_t.shape)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    if rtol is not None:
        tol = dict(rtol=rtol, atol=atol)
    np.testing.assert_allclose(out_s.detach().numpy(), out_t.detach().numpy(), **tol)
    g = np.random.default_rng(seed).standard_normal(tuple(out_t.shape)).astype(dtype)
    out_s.backward(st.tensor(g))
    out_t.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(s, t)):
        if b.grad is None:
            assert a.grad is None, f"input {i}: torch gives no gradient"
            continue
        assert a.grad is not None, f"input {i} got no gradient"
        assert tuple(a.grad.shape) == tuple(a.shape)
        assert a.grad.dtype == a.dtype
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), err_msg=f"input {i}", **tol)


def check_fd(fn, arrays):
    """gradcheck in float64 (finite differences)."""
    s = [st.tensor(np.asarray(a, dtype=np.float64)).requires_grad_() for a in arrays]
    assert st.autograd.gradcheck(lambda *xs: fn(st, *xs), s)


def rnd(*shape, seed=0, lo=None, hi=None):
    r = np.random.default_rng(seed)
    if lo is not None:
        return r.uniform(lo, hi, size=shape)
    return r.standard_normal(shape)


POS = dict(lo=0.5, hi=2.0)

# ---- elementwise -----------------------------------------------------------------------

UNARY = {
    "exp": (lambda L, x: L.exp(x), {}),
    "log": (lambda L, x: L.log(x), POS),
    "sqrt": (lambda L, x: L.sqrt(x), POS),
    "rsqrt": (lambda L, x: L.rsqrt(x), POS),
    "abs": (lambda L, x: L.abs(x), {}),
    "sin": (lambda L, x: L.sin(x), {}),
    "cos": (lambda L, x: L.cos(x), {}),
    "tanh": (lambda L, x: L.tanh(x), {}),
    "sigmoid": (lambda L, x: L.sigmoid(x), {}),
    "relu": (lambda L, x: L.relu(x), {}),
    "neg": (lambda L, x: -x, {}),
    "clamp": (lambda L, x: L.clamp(x, -0.5, 0.7), {}),
    "clamp_min": (lambda L, x: x.clamp(min=-0.2), {}),
    "clamp_max": (lambda L, x: x.clamp(max=0.3), {}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_vs_torch(name, dtype):
    fn, dom = UNARY[name]
    check_vs_torch(fn, [rnd(3, 5, seed=1, **dom)], dtype)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    fn, dom = UNARY[name]
    x = rnd(2, 3, seed=2, **dom)
    if name in ("abs", "relu") or name.startswith("clamp"):
        x = np.where(np.abs(x) < 0.05, 0.3, x)  # away from the kinks
        x = np.where(np.abs(x - 0.7) < 0.05, 0.9, x)
    check_fd(fn, [x])


def test_kinks_match_torch():
    """At the kinks: abs'(0) = 0, relu'(0) = 0, clamp passes the gradient at its bounds."""
    x = [0.0, -0.5, 0.7, 1.0, -1.0, 0.2]
    check_vs_torch(lambda L, a: L.abs(a), [x])
    check_vs_torch(lambda L, a: L.relu(a), [x])
    check_vs_torch(lambda L, a: L.clamp(a, -0.5, 0.7), [x])
    s = st.tensor(x, dtype=st.float64).requires_grad_()
    s.clamp(-0.5, 0.7).sum().backward()
    assert s.grad.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]  # bounds inclusive


BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b,
    "pow": lambda L, a, b: L.pow(a, b),
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=2.5),
    "sub_alpha": lambda L, a, b: L.sub(a, b, alpha=-0.5),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b),
    "where": lambda L, a, b: L.where(a > b, a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_vs_torch(name, dtype):
    a, b = rnd(4, 3, seed=3, **POS), rnd(4, 3, seed=4, **POS)
    check_vs_torch(BINARY[name], [a, b], dtype)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck(name):
    a, b = rnd(2, 3, seed=5, **POS), rnd(2, 3, seed=6, **POS)
    check_fd(BINARY[name], [a, b])


SCALAR_FORMS = {
    "t+s": lambda L, a: a + 2.5,
    "s+t": lambda L, a: 2.5 + a,
    "t-s": lambda L, a: a - 1.5,
    "s-t": lambda L, a: 1.5 - a,
    "t*s": lambda L, a: a * -3.0,
    "s*t": lambda L, a: -3.0 * a,
    "t/s": lambda L, a: a / 4.0,
    "s/t": lambda L, a: 4.0 / a,
    "t**2": lambda L, a: a ** 2,
    "t**0.5": lambda L, a: a ** 0.5,
    "t**-0.5": lambda L, a: a ** -0.5,
    "t**-1": lambda L, a: a ** -1,
    "t**3.5": lambda L, a: a ** 3.5,
    "t**1": lambda L, a: a ** 1,
    "t**0": lambda L, a: a ** 0,
    "s**t": lambda L, a: 2.0 ** a,
    "add(t,s,alpha)": lambda L, a: L.add(a, 3.0, alpha=2.0),
    "sub(t,s,alpha)": lambda L, a: L.sub(a, 3.0, alpha=2.0),
    "rsub-int": lambda L, a: 1 - a,
    "mul-int": lambda L, a: a * 3,
}


@pytest.mark.parametrize("name", sorted(SCALAR_FORMS))
def test_scalar_forms(name):
    x = rnd(3, 4, seed=7, **POS)
    check_vs_torch(SCALAR_FORMS[name], [x])
    check_fd(SCALAR_FORMS[name], [x])


def test_pow_at_zero_matches_torch():
    """x ** e at x = 0 and 0 ** y, b ** 0: the gradients torch defines there."""
    x = [0.0, 1.0, 2.0, 0.0]
    for e in (2.0, 1.0, 0.0, 3.0):
        check_vs_torch(lambda L, a, e=e: a ** e, [x])
    # tensor base and exponent: zero base with nonnegative exponent gives a zero exponent grad
    check_vs_torch(lambda L, a, b: L.pow(a, b), [[0.0, 0.0, 2.0, 3.0], [2.0, 0.0, 0.0, 1.5]])
    check_vs_torch(lambda L, b: 0.0 ** b, [[2.0, 0.0, 1.0]])
    check_vs_torch(lambda L, b: 3.0 ** b, [[2.0, 0.0, -1.0]])


def test_maximum_minimum_ties_split():
    a, b = [1.0, 2.0, 3.0], [1.0, 5.0, 3.0]
    for f in (BINARY["maximum"], BINARY["minimum"]):
        check_vs_torch(f, [a, b])
    s, _ = leaves([a, b])
    st.maximum(*s).sum().backward()
    assert s[0].grad.tolist() == [0.5, 0.0, 0.5] and s[1].grad.tolist() == [0.5, 1.0, 0.5]


def test_where_scalar_and_broadcast_condition():
    a, b = rnd(2, 3, seed=8), rnd(3, seed=9)
    cond = np.array([True, False, True])
    check_vs_torch(lambda L, x, y: L.where(L.tensor(cond) if L is st else torch.tensor(cond), x, y), [a, b])
    check_vs_torch(lambda L, x: L.where(x > 0, x, 0.0), [a])
    check_vs_torch(lambda L, x: L.where(x > 0, 1.5, x), [a])


def test_masked_fill():
    a = rnd(3, 4, seed=10)
    mask = np.random.default_rng(0).random((1, 4)) > 0.5
    check_vs_torch(lambda L, x: x.masked_fill(L.tensor(mask) if L is st else torch.tensor(mask), -2.0), [a])
    check_fd(lambda L, x: x.masked_fill(st.tensor(mask), -2.0), [a])


def test_clone_and_dtype_conversion():
    x = rnd(3, 4, seed=11)
    check_vs_torch(lambda L, a: a.clone() * 3, [x])
    check_fd(lambda L, a: a.clone() * 3, [x])
    # to(float32) from float64 and back: the gradient arrives in each leaf's own dtype
    s = st.tensor(x).requires_grad_()
    y = s.to(st.float32)
    assert y.grad_fn.name() == "ToCopyBackward0" and y.dtype == st.float32
    (y * 2).sum().backward()
    assert s.grad.dtype == st.float64
    np.testing.assert_allclose(s.grad.numpy(), np.full((3, 4), 2.0))
    s32 = st.tensor(x, dtype=st.float32).requires_grad_()
    (s32.double() * s32.double()).sum().backward()
    assert s32.grad.dtype == st.float32
    np.testing.assert_allclose(s32.grad.numpy(), 2 * x.astype(np.float32), rtol=1e-6)


# ---- in-place ops on non-leaves --------------------------------------------------------

INPLACE = {
    "add_": lambda y, w: y.add_(1.0),
    "mul_t": lambda y, w: y.mul_(w),
    "mul_s": lambda y, w: y.mul_(3.0),
    "div_t": lambda y, w: y.div_(w),
    "sub_alpha": lambda y, w: y.sub_(w, alpha=2.0),
    "pow_": lambda y, w: y.pow_(2.0),
    "pow_t": lambda y, w: y.pow_(w),
    "exp_": lambda y, w: y.exp_(),
    "log_": lambda y, w: y.log_(),
    "sqrt_": lambda y, w: y.sqrt_(),
    "sin_": lambda y, w: y.sin_(),
    "cos_": lambda y, w: y.cos_(),
    "abs_": lambda y, w: y.abs_(),
    "tanh_": lambda y, w: y.tanh_(),
    "sigmoid_": lambda y, w: y.sigmoid_(),
    "relu_": lambda y, w: y.relu_(),
    "clamp_": lambda y, w: y.clamp_(0.5, 1.5),
    "masked_fill_": lambda y, w: y.masked_fill_(w > 1.0, 0.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_non_leaf_vs_torch(name):
    """y = x * 2; y.op_(...); more ops: the gradients of x and w equal torch's (the backward
    of an in-place op that reads its input back must see the value before the write)."""
    def fn(L, x, w):
        y = x * 2
        INPLACE[name](y, w)
        return (y * w).exp() if name != "exp_" else y * w
    check_vs_torch(fn, [rnd(3, 4, seed=12, lo=0.3, hi=1.0), rnd(3, 4, seed=13, lo=0.5, hi=1.5)])


def test_inplace_chain_vs_torch():
    """The issue's example: y = x * 2; y.add_(1); y.exp_()."""
    check_vs_torch(lambda L, x: (lambda y: (y.add_(1), y.exp_())[1])(x * 2), [[0.1, 0.2, -0.3]])


def test_inplace_into_plain_tensor_with_grad_operand():
    """A tensor that needs no grad takes history from a differentiable operand."""
    w = st.tensor([1.0, 2.0, 3.0], dtype=st.float64, requires_grad=True)
    z = st.ones(3, dtype=st.float64)
    z.mul_(w)
    z.mul_(w)
    assert z.requires_grad and not z.is_leaf
    z.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0, 6.0])


# ---- reductions ------------------------------------------------------------------------

REDUCE = {
    "sum": lambda L, x: x.sum(),
    "sum1": lambda L, x: x.sum(1),
    "sum02k": lambda L, x: x.sum((0, 2), keepdim=True),
    "sum-neg": lambda L, x: x.sum(-1),
    "mean": lambda L, x: x.mean(),
    "mean1k": lambda L, x: x.mean(1, keepdim=True),
    "mean02": lambda L, x: x.mean((0, 2)),
    "amax": lambda L, x: x.amax(),
    "amax1": lambda L, x: x.amax(1),
    "amin02k": lambda L, x: x.amin((0, 2), keepdim=True),
    "max": lambda L, x: x.max(),
    "min": lambda L, x: x.min(),
    "max_dim": lambda L, x: x.max(1)[0],
    "min_dimk": lambda L, x: x.min(2, keepdim=True)[0],
    "max_dim_neg": lambda L, x: x.max(-1).values,
    "var": lambda L, x: x.var(),
    "var1": lambda L, x: x.var(1),
    "var_c0": lambda L, x: x.var((0, 2), correction=0),
    "var_c2k": lambda L, x: x.var(2, correction=2, keepdim=True),
    "std": lambda L, x: x.std(),
    "std1": lambda L, x: x.std(1, keepdim=True),
    "std_c0": lambda L, x: x.std((1, 2), correction=0),
}


@pytest.mark.parametrize("name", sorted(REDUCE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reduce_vs_torch(name, dtype):
    check_vs_torch(REDUCE[name], [rnd(3, 4, 5, seed=14)], dtype)


@pytest.mark.parametrize("name", sorted(REDUCE))
def test_reduce_gradcheck(name):
    check_fd(REDUCE[name], [rnd(2, 3, 4, seed=15)])


def test_reduce_0d_and_1d():
    for name in ("sum", "mean", "amax", "max", "var", "std"):
        check_vs_torch(REDUCE[name], [rnd(5, seed=16)])
    check_vs_torch(lambda L, x: x.sum() * 2, [3.0])
    check_vs_torch(lambda L, x: x.max(0)[0], [rnd(5, seed=17)])


def test_extreme_ties_share_gradient():
    """amax/amin/max()/min() split the gradient evenly between tied elements (as torch)."""
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    for name in ("amax", "amax1", "max", "min"):
        check_vs_torch(REDUCE[name], [x])
    s = st.tensor(x, dtype=st.float64, requires_grad=True)
    s.amax(1).sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    s2 = st.tensor(x, dtype=st.float64, requires_grad=True)
    s2.max().backward()
    np.testing.assert_allclose(s2.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 0]])


def test_max_dim_gradient_goes_to_returned_index():
    x = rnd(4, 6, seed=18)
    s = st.tensor(x, requires_grad=True)
    v, i = s.max(1)
    assert not i.requires_grad and i.dtype == st.int64
    v.sum().backward()
    expect = np.zeros_like(x)
    expect[np.arange(4), i.numpy()] = 1.0
    np.testing.assert_array_equal(s.grad.numpy(), expect)


# ---- matmul ----------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
    ((2, 1, 2, 3), (3, 3, 4)), ((1, 2, 3), (4, 3, 2)), ((4, 1, 3), (1, 3, 1)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_vs_torch(sa, sb, dtype):
    check_vs_torch(lambda L, a, b: L.matmul(a, b), [rnd(*sa, seed=19), rnd(*sb, seed=20)], dtype)
    check_vs_torch(lambda L, a, b: a @ b, [rnd(*sa, seed=21), rnd(*sb, seed=22)], dtype)


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_gradcheck(sa, sb):
    check_fd(lambda L, a, b: L.matmul(a, b), [rnd(*sa, seed=23), rnd(*sb, seed=24)])


@pytest.mark.parametrize("op,sa,sb", [("mm", (2, 3), (3, 4)), ("bmm", (2, 2, 3), (2, 3, 4)),
                                      ("mv", (2, 3), (3,)), ("dot", (3,), (3,))])
def test_named_products(op, sa, sb):
    f = lambda L, a, b: getattr(L, op)(a, b)  # noqa: E731
    check_vs_torch(f, [rnd(*sa, seed=25), rnd(*sb, seed=26)])
    check_fd(f, [rnd(*sa, seed=27), rnd(*sb, seed=28)])


def test_matmul_one_side_requires_grad():
    a = st.tensor(rnd(2, 3, seed=29), requires_grad=True)
    b = st.tensor(rnd(3, 4, seed=30))
    (a @ b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 4)) @ rnd(3, 4, seed=30).T)
    assert b.grad is None


def test_matmul_transposed_operands():
    a, b = rnd(3, 2, seed=31), rnd(4, 3, seed=32)
    if st.tensor(a, requires_grad=True).T.grad_fn is None:
        pytest.skip("transpose isn't differentiable in this build yet (view backward)")
    check_vs_torch(lambda L, x, y: x.T @ y.T, [a, b])


# ---- broadcasting ----------------------------------------------------------------------


@hs.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together: a common shape with dims dropped from the front
    and sizes set to 1 independently for each operand."""
    nd = draw(hs.integers(0, 4))
    full = [draw(hs.integers(1, 3)) for _ in range(nd)]

    def one():
        k = draw(hs.integers(0, nd))
        return tuple(1 if draw(hs.booleans()) else s for s in full[nd - k:])
    return one(), one(), draw(hs.sampled_from(["add", "sub", "mul", "div", "maximum", "where", "pow"]))


@HYP
@given(broadcast_pair(), hs.integers(0, 2**31))
def test_broadcast_grads_reduce_to_input_shape(case, seed):
    sa, sb, name = case
    a = rnd(*sa, seed=seed, **POS) if sa else np.array(1.3)
    b = rnd(*sb, seed=seed + 1, **POS) if sb else np.array(0.7)
    check_vs_torch(BINARY[name], [a, b], seed=seed)


@HYP
@given(broadcast_pair(), hs.integers(0, 2**31))
def test_broadcast_gradcheck(case, seed):
    sa, sb, name = case
    a = rnd(*sa, seed=seed, **POS) if sa else np.array(1.3)
    b = rnd(*sb, seed=seed + 1, **POS) if sb else np.array(0.7)
    check_fd(BINARY[name], [a, b])


def test_same_leaf_broadcast_twice():
    x = rnd(3, 1, seed=33)
    check_vs_torch(lambda L, a: a * a.sum(0) + a.amax(0, keepdim=True) * a, [x])


# ---- dtypes ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["add", "mul", "div", "maximum", "pow", "where"])
def test_mixed_float_dtypes(name):
    """float32 (op) float64 -> float64 result; each input's grad comes back in its own dtype."""
    a, b = rnd(3, 4, seed=34, **POS), rnd(4, seed=35, **POS)
    sa = st.tensor(a, dtype=st.float32, requires_grad=True)
    sb = st.tensor(b, dtype=st.float64, requires_grad=True)
    ta = torch.tensor(a, dtype=torch.float32, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    out_s, out_t = BINARY[name](st, sa, sb), BINARY[name](torch, ta, tb)
    assert out_s.dtype == st.float64
    out_s.sum().backward()
    out_t.sum().backward()
    assert sa.grad.dtype == st.float32 and sb.grad.dtype == st.float64
    np.testing.assert_allclose(sa.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(sb.grad.numpy(), tb.grad.numpy(), rtol=1e-6)


def test_float_with_int_tensor():
    """An int operand never gets a gradient; the float one does, in its dtype."""
    x = st.tensor([1.0, 2.0, 3.0], requires_grad=True)
    k = st.tensor([2, 3, 4])
    y = x * k + k
    assert y.dtype == st.float32 and y.requires_grad and not k.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 3.0, 4.0]
    assert k.grad is None


@pytest.mark.parametrize("dtype", [st.int64, st.int32, st.bool])
def test_integer_and_bool_never_require_grad(dtype):
    t = st.zeros(3, dtype=dtype)
    with pytest.raises(TypeError, match="floating point"):
        t.requires_grad_()
    with pytest.raises(TypeError, match="floating point"):
        t.requires_grad = True
    t.requires_grad_(False)  # allowed: it is already False
    assert not t.requires_grad


def test_non_differentiable_results():
    x = st.tensor([1.0, -2.0, 3.0], requires_grad=True)
    for r in (x > 0, x == 1.0, x.argmax(), x.max(0)[1], (x > 0).logical_not(), x.sign() > 0):
        assert not r.requires_grad and r.grad_fn is None
    # integer results of float ops: int tensor arithmetic never records
    n = st.tensor([1, 2]) * 3
    assert not n.requires_grad


# ---- edge values: empty dims, NaN, zero spread (as torch) ------------------------------


@pytest.mark.parametrize("sa,sb", [((2, 0), (0, 3)), ((4, 2, 0), (0, 3)), ((4, 2, 3), (3, 0)),
                                   ((0, 2, 3), (3, 4)), ((2, 3), (0, 3, 4)), ((0,), (0,))])
def test_matmul_with_empty_dims(sa, sb):
    check_vs_torch(lambda L, a, b: a @ b, [np.ones(sa), np.ones(sb)])


def test_nan_and_zero_spread_gradients_match_torch():
    nan = float("nan")
    # max()/min() over everything: a NaN result's gradient goes to the NaN
    check_vs_torch(lambda L, a: a.max(), [[nan, 1.0, 3.0]])
    check_vs_torch(lambda L, a: a.min(), [[2.0, nan, -1.0]])
    # maximum/minimum with a NaN operand: both sides get the gradient
    check_vs_torch(lambda L, a, b: L.maximum(a, b), [[nan, 1.0, 2.0], [1.0, nan, 0.0]])
    check_vs_torch(lambda L, a, b: L.minimum(a, b), [[nan, 1.0, 2.0], [1.0, nan, 0.0]])
    # std of a constant: 0, not 0/0
    check_vs_torch(lambda L, a: a.std(), [[1.5, 1.5, 1.5]])
    check_vs_torch(lambda L, a: a.std(1), [np.array([[1.5, 1.5], [1.0, 2.0]])])
    # a correction past the count: torch's negative divisor
    check_vs_torch(lambda L, a: a.var(0, correction=3), [[1.0, 2.0]])
    check_vs_torch(lambda L, a: a.sum(0), [np.zeros((0, 3))])
    check_vs_torch(lambda L, a: a.mean(1), [np.zeros((2, 0))])
