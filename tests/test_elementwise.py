"""Elementwise ops: values against numpy float64 formulas, dtype promotion against torch,
special values, float32 transcendental accuracy in ulps, in-place forms on views, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as hst

import steepest as st

SETTINGS = settings(max_examples=40, deadline=None)

ALL_DTYPES = ["bool", "int32", "int64", "bfloat16", "float16", "float32", "float64"]
NP_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64, np.dtype(np.float16): np.int16}


# ---------------------------------------------------------------------------------------
# helpers

def to_np(t):
    """A numpy copy of a steepest tensor (bfloat16 widened to float32)."""
    if t.dtype == st.bfloat16:
        t = t.float()
    return np.array(t.numpy(), copy=True)


def to_torch(t):
    return torch.from_numpy(to_np(t)).to(getattr(torch, t.dtype.name))


def ulp_diff(got, ref):
    """|got - ref| in units in the last place of got's dtype (ref is rounded to it first).
    Both NaN counts as equal, one NaN as infinitely far; -0 and +0 are equal."""
    got = np.atleast_1d(np.asarray(got))
    ref = np.atleast_1d(np.asarray(ref, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        r = ref.astype(got.dtype)
    it = NP_INT[got.dtype]
    lo = np.iinfo(it).min

    def ordered(v):  # float bits -> integers in the order of the floats (exact, in int64)
        i = v.view(it).astype(np.int64)
        return np.where(i < 0, lo - i, i)

    og, orf = ordered(got), ordered(r)
    same_sign = (og >= 0) == (orf >= 0)  # no int64 overflow in the difference
    d = np.where(same_sign, np.abs(np.where(same_sign, og - orf, 0)).astype(np.float64),
                 np.abs(og).astype(np.float64) + np.abs(orf).astype(np.float64))
    gn, rn = np.isnan(got), np.isnan(r)
    d[gn & rn] = 0
    d[gn != rn] = np.inf
    return d


def assert_ulp(got, ref, max_ulp):
    d = ulp_diff(got, ref)
    if d.size:
        worst = int(np.argmax(d))
        assert d.max() <= max_ulp, (
            f"{d.max()} ulp at index {worst}: got {np.asarray(got).ravel()[worst]!r}, "
            f"want {np.asarray(ref).ravel()[worst]!r}")


@hst.composite
def arrays(draw, shape, dtype=np.float32, strided=None, lo=-10.0, hi=10.0):
    """A float array of `shape`, possibly a non-contiguous view (step-2 slice or transpose)
    of a larger array; values uniform in [lo, hi]."""
    seed = draw(hst.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    kind = draw(hst.sampled_from(["contiguous", "step", "transpose"])) if strided is None else strided
    if kind == "step" and len(shape) > 0:
        big = rng.uniform(lo, hi, size=(shape[0] * 2,) + tuple(shape[1:])).astype(dtype)
        return big[::2]
    if kind == "transpose" and len(shape) >= 2:
        big = rng.uniform(lo, hi, size=tuple(reversed(shape))).astype(dtype)
        return big.T
    return rng.uniform(lo, hi, size=shape).astype(dtype)


DIM_SIZES = [0, 1, 2, 3, 7]
shapes = hst.one_of(
    hst.just(()),
    hst.sampled_from([(0,), (1,), (7,), (4097,)]),
    hst.lists(hst.sampled_from(DIM_SIZES), min_size=1, max_size=3).map(tuple),
)


@hst.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together: b drops leading dims and sets some dims to 1."""
    a = draw(shapes)
    b = list(a)[draw(hst.integers(0, len(a))):]
    b = [1 if draw(hst.booleans()) else d for d in b]
    if draw(hst.booleans()):
        a, b = tuple(b), a
    return tuple(a), tuple(b)


# ---------------------------------------------------------------------------------------
# binary ops against float64 formulas

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, 0),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, 0),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, 0),
    "div": (lambda a, b: a / b, lambda a, b: a / b, 0),
    "maximum": (st.maximum, np.maximum, 0),
    "minimum": (st.minimum, np.minimum, 0),
    "pow": (lambda a, b: a ** b, lambda a, b: np.abs(a) ** b, 1),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(data=hst.data())
def test_binary_matches_float64_formula(name, dtype, data):
    fn, ref, tol = BINARY[name]
    sa, sb = data.draw(broadcast_pair())
    a = data.draw(arrays(sa, dtype))
    b = data.draw(arrays(sb, dtype))
    if name == "pow":
        a = np.asarray(np.abs(a))  # real powers of non-negative bases
    got = fn(st.from_numpy(a), st.from_numpy(b))
    with np.errstate(all="ignore"):
        want = ref(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == want.shape
    assert got.dtype == getattr(st, np.dtype(dtype).name)
    # + - * / are correctly rounded; through float64 that is exact except on double-rounding ties.
    assert_ulp(got.numpy(), want, max(tol, 1 if dtype == np.float32 else 0))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
@SETTINGS
@given(data=hst.data())
def test_binary_with_number(name, data):
    fn, ref, _ = BINARY[name]
    shape = data.draw(shapes)
    a = np.asarray(np.abs(data.draw(arrays(shape))) + np.float32(0.5))
    s = data.draw(hst.sampled_from([2, 3, -1, 0.5, -0.5, 2.5, 1e-3] + ([] if name == "sub" else [True])))
    t = st.from_numpy(a)
    a64 = a.astype(np.float64)
    s64 = np.float64(np.float32(s))
    with np.errstate(all="ignore"):
        assert_ulp(fn(t, s).numpy(), ref(a64, s64), 1)
        assert_ulp(fn(s, t).numpy(), ref(s64, a64) if name != "pow" else s64 ** a64, 1)


@SETTINGS
@given(data=hst.data())
def test_add_sub_alpha(data):
    sa, sb = data.draw(broadcast_pair())
    a = data.draw(arrays(sa))
    b = data.draw(arrays(sb))
    alpha = data.draw(hst.sampled_from([2, -3, 0.25, 1.5]))
    ta, tb = st.from_numpy(a), st.from_numpy(b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    al = np.float64(np.float32(alpha))
    # one fused multiply-add: a + alpha*b is rounded once
    assert_ulp(st.add(ta, tb, alpha=alpha).numpy(), a64 + al * b64, 0 if alpha in (2, -3) else 1)
    assert_ulp(st.sub(ta, tb, alpha=alpha).numpy(), a64 - al * b64, 0 if alpha in (2, -3) else 1)
    assert_ulp(ta.add(2.0, alpha=alpha).numpy(), a64 + al * 2.0, 1)
    assert_ulp(st.add(2.0, ta, alpha=alpha).numpy(), 2.0 + al * a64, 1)


@SETTINGS
@given(data=hst.data())
def test_integer_arithmetic_wraps_like_numpy(data):
    sa, sb = data.draw(broadcast_pair())
    dt = data.draw(hst.sampled_from([np.int32, np.int64]))
    rng = np.random.default_rng(data.draw(hst.integers(0, 1000)))
    info = np.iinfo(dt)
    a = rng.integers(info.min, info.max, size=sa, dtype=dt, endpoint=True)
    b = rng.integers(info.min, info.max, size=sb, dtype=dt, endpoint=True)
    ta, tb = st.from_numpy(a), st.from_numpy(b)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((ta + tb).numpy(), a + b)
        np.testing.assert_array_equal((ta - tb).numpy(), a - b)
        np.testing.assert_array_equal((ta * tb).numpy(), a * b)
        np.testing.assert_array_equal(st.maximum(ta, tb).numpy(), np.maximum(a, b))
        np.testing.assert_array_equal(st.minimum(ta, tb).numpy(), np.minimum(a, b))
        np.testing.assert_array_equal((-ta).numpy(), -a)
        np.testing.assert_array_equal(st.abs(ta).numpy(), np.abs(a))
        np.testing.assert_array_equal(st.sign(ta).numpy(), np.sign(a))
        np.testing.assert_array_equal(st.relu(ta).numpy(), np.maximum(a, 0))
        np.testing.assert_array_equal((ta & tb).numpy(), a & b)
        np.testing.assert_array_equal((ta | tb).numpy(), a | b)
        np.testing.assert_array_equal((ta ^ tb).numpy(), a ^ b)
        np.testing.assert_array_equal((~ta).numpy(), ~a)
    quotient = (ta / tb).numpy()
    assert quotient.dtype == np.float32
    with np.errstate(all="ignore"):
        want = a.astype(np.float32).astype(np.float64) / b.astype(np.float32).astype(np.float64)
    assert_ulp(quotient, want, 1)


def test_integer_pow():
    base = np.array([-3, -2, -1, 0, 1, 2, 3, 7], dtype=np.int64)
    exps = np.array([0, 1, 2, 3, 5, 10, 40, 63], dtype=np.int64)
    b, e = np.meshgrid(base, exps)
    got = (st.from_numpy(b.copy()) ** st.from_numpy(e.copy())).numpy()
    want = np.array([[((int(x) ** int(y)) + 2**63) % 2**64 - 2**63 for x, y in zip(rb, re)] for rb, re in zip(b, e)])
    np.testing.assert_array_equal(got, want)
    # a negative tensor exponent: 0 unless the base is 1 or -1 (torch)
    neg = st.tensor([2, 1, -1, -1, 0, 5]) ** st.tensor([-1, -5, -3, -2, -1, -2])
    assert neg.tolist() == [0, 1, -1, 1, 0, 0]
    assert (2 ** st.tensor([-1, 2, 10])).tolist() == [0, 4, 1024]
    assert (st.tensor([3], dtype=st.int32) ** 40).tolist() == [689956897]  # int32 wraps
    assert st.pow(st.tensor([2, 3]), 2.5).dtype == st.float32


# ---------------------------------------------------------------------------------------
# unary ops

UNARY = {
    "neg": (st.neg, lambda x: -x, 0, None),
    "abs": (st.abs, np.abs, 0, None),
    "sqrt": (st.sqrt, np.sqrt, 0, (0, 100)),
    "rsqrt": (st.rsqrt, lambda x: 1 / np.sqrt(x), 1, (1e-3, 100)),
    "exp": (st.exp, np.exp, 1, (-100, 90)),
    "log": (st.log, np.log, 1, (1e-30, 1e30)),
    "sin": (st.sin, np.sin, 2, (-1e4, 1e4)),
    "cos": (st.cos, np.cos, 2, (-1e4, 1e4)),
    "tanh": (st.tanh, np.tanh, 2, (-12, 12)),
    "sigmoid": (st.sigmoid, lambda x: 1 / (1 + np.exp(-x)), 2, (-100, 100)),
    "relu": (st.relu, lambda x: np.maximum(x, 0), 0, None),
    "sign": (st.sign, np.sign, 0, None),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(data=hst.data())
def test_unary_matches_float64_formula(name, dtype, data):
    fn, ref, tol, rng = UNARY[name]
    lo, hi = rng or (-10, 10)
    x = data.draw(arrays(data.draw(shapes), dtype, lo=lo, hi=hi))
    got = fn(st.from_numpy(x))
    assert got.shape == x.shape and got.dtype == getattr(st, np.dtype(dtype).name)
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    assert_ulp(got.numpy(), want, max(tol, 1) if dtype == np.float32 else tol + 1)
    # the method form and the in-place form agree with the function
    np.testing.assert_array_equal(getattr(st.from_numpy(x), name)().numpy(), got.numpy())
    y = x.copy()
    t = st.from_numpy(y)
    getattr(t, name + "_")()
    np.testing.assert_array_equal(y, got.numpy())


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64"])
def test_transcendentals_of_integers_give_default_float(name, dtype):
    vals = [0, 1] if dtype == "bool" else [1, 2, 3, 10]
    t = st.tensor(vals, dtype=getattr(st, dtype))
    got = getattr(st, name)(t)
    assert got.dtype == st.float32
    want = getattr(torch, name)(torch.tensor(vals, dtype=getattr(torch, dtype)))
    assert_ulp(got.numpy(), want.double().numpy(), 2)
    st.set_default_dtype(st.float64)
    try:
        assert getattr(st, name)(t).dtype == st.float64
    finally:
        st.set_default_dtype(st.float32)


# Special values, as torch computes them (NaN propagation, signed zeros, infinities).
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, 1.17549435e-38, 3.4028235e38,
                     -3.4028235e38, 88.72, 88.73, -87.3, -103.9, -104.5, 1.0, -1.0, 0.5, 1e-30, 2.0, 20.0,
                     -20.0, 1e5, 3e38], dtype=np.float32)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "sign",
                                  "abs", "neg"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values_match_torch(name, dtype):
    x = SPECIALS.astype(dtype)
    got = getattr(st, name)(st.from_numpy(x)).numpy()
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert_ulp(got, want, 2)
    # exact agreement on the class of each value: NaN, infinities, zeros and their signs
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got) & (got > 0), np.isinf(want) & (want > 0))
    np.testing.assert_array_equal(np.isinf(got) & (got < 0), np.isinf(want) & (want < 0))
    if name == "sigmoid":  # torch flushes sigmoid(-103.9) = 7e-46 to 0; it rounds to the smallest denormal
        with np.errstate(over="ignore"):
            want = np.where(x < -100, 1 / (1 + np.exp(-x.astype(np.float64))), want).astype(dtype)
    zero = want == 0
    np.testing.assert_array_equal(got[zero] == 0, True)
    if name != "sign":  # torch's sign of -0 is +0 on some paths and -0 on others
        np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def test_nan_propagation_of_max_min_clamp_relu():
    nan, inf = float("nan"), float("inf")
    a = st.tensor([nan, 1.0, nan, -0.0, 2.0, -inf])
    b = st.tensor([1.0, nan, nan, 0.0, 3.0, inf])
    for f in (st.maximum, st.minimum):
        got = f(a, b).numpy()
        want = getattr(torch, f.__name__)(to_torch(a), to_torch(b)).numpy()
        np.testing.assert_array_equal(np.isnan(got), [True, True, True, False, False, False])
        np.testing.assert_array_equal(got[3:], want[3:])
    assert np.signbit(st.maximum(st.tensor([-0.0]), st.tensor([0.0])).numpy()[0])  # a unless b is larger
    c = st.clamp(st.tensor([nan, -5.0, 5.0, 0.5]), -1, 1).numpy()
    np.testing.assert_array_equal(np.isnan(c), [True, False, False, False])
    np.testing.assert_array_equal(c[1:], [-1, 1, 0.5])
    assert np.isnan(st.clamp(st.tensor([1.0, 2.0]), min=nan).numpy()).all()  # a NaN bound propagates
    assert np.isnan(st.relu(st.tensor([nan])).numpy()[0])
    assert np.signbit(st.relu(st.tensor([-0.0])).numpy()[0])  # torch keeps -0
    assert st.sign(st.tensor([nan, -0.0, -2.0, 3.0])).tolist() == [0.0, 0.0, -1.0, 1.0]


@pytest.mark.parametrize("e", [2, 0.5, -0.5, -1, 3, -2, 0, 1, 1.5])
def test_pow_number_exponents_match_torch_on_specials(e):
    x = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, 1.0, -1.0, 3.0, -2.5, 1e-40, 1e30], dtype=np.float32)
    got = (st.from_numpy(x) ** e).numpy()
    want = (torch.from_numpy(x) ** e).numpy()
    assert_ulp(got, want, 1)
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


# ---------------------------------------------------------------------------------------
# float32 transcendental accuracy over the whole range

ACCURACY = {
    "exp": (np.exp, [(-104, 89), (-1, 1), (-1e-6, 1e-6)], 1),
    "log": (np.log, [(1e-45, 1e-38), (1e-38, 3e38), (0.5, 2)], 1),
    "sin": (np.sin, [(-1e5, 1e5), (-10, 10), (-3e38, 3e38)], 2),
    "cos": (np.cos, [(-1e5, 1e5), (-10, 10), (-3e38, 3e38)], 2),
    "tanh": (np.tanh, [(-20, 20), (-1, 1), (-1e-3, 1e-3)], 2),
    "sigmoid": (lambda x: np.exp(-np.logaddexp(0, -x)), [(-110, 110), (-5, 5)], 2),
}


@pytest.mark.parametrize("name", sorted(ACCURACY))
def test_float32_transcendental_ulps(name):
    ref, ranges, tol = ACCURACY[name]
    rng = np.random.default_rng(1)
    xs = []
    for lo, hi in ranges:
        if lo > 0 or hi / max(abs(lo), 1e-300) > 1e6:  # log-spaced positive magnitudes
            mags = np.exp(rng.uniform(np.log(max(abs(lo), 1e-45)), np.log(hi), 200_000))
            xs.append(mags if lo > 0 else mags * rng.choice([-1, 1], mags.size))
        else:
            xs.append(rng.uniform(lo, hi, 200_000))
    # every 4096th float32 bit pattern: the whole range, denormals, inf and NaN included
    xs.append(np.arange(0, 2**32, 4096, dtype=np.uint64).astype(np.uint32).view(np.float32))
    x = np.concatenate([np.asarray(v, dtype=np.float32) for v in xs])
    got = getattr(st, name)(st.from_numpy(x)).numpy()
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    assert_ulp(got, want, tol)


def test_sin_cos_near_multiples_of_half_pi():
    k = np.arange(-50000, 50000, dtype=np.float64)
    x = (k * (np.pi / 2)).astype(np.float32)
    x = np.concatenate([x, np.nextafter(x, np.float32(np.inf)), np.nextafter(x, np.float32(-np.inf))])
    for name in ("sin", "cos"):
        got = getattr(st, name)(st.from_numpy(x)).numpy()
        want = getattr(np, name)(x.astype(np.float64))
        assert_ulp(got, want, 2)


# ---------------------------------------------------------------------------------------
# dtype promotion against torch

def make_pair(dtype, dim):
    vals = [1, 0, 1] if dtype == "bool" else [1, 2, 3]
    if dim == 0:
        vals = vals[0]
    return (st.tensor(vals, dtype=getattr(st, dtype)), torch.tensor(vals, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("da", ALL_DTYPES)
@pytest.mark.parametrize("dim_a", [0, 1])
def test_result_type_all_tensor_pairs(da, dim_a):
    sa, ta = make_pair(da, dim_a)
    for db in ALL_DTYPES:
        for dim_b in (0, 1):
            sb, tb = make_pair(db, dim_b)
            want = torch.result_type(ta, tb)
            assert st.result_type(sa, sb).name == str(want).split(".")[1], (da, dim_a, db, dim_b)
            for op in ("add", "mul", "maximum", "eq", "div"):
                got = getattr(st, op)(sa, sb)
                ref = getattr(torch, op)(ta, tb)
                assert got.dtype.name == str(ref.dtype).split(".")[1], (op, da, dim_a, db, dim_b)
                assert got.shape == tuple(ref.shape)
                np.testing.assert_array_equal(to_np(got), ref.float().numpy() if ref.dtype == torch.bfloat16
                                              else ref.numpy())


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("number", [True, 2, 2.5, -3])
def test_result_type_with_numbers(dtype, dim, number):
    sa, ta = make_pair(dtype, dim)
    assert st.result_type(sa, number).name == str(torch.result_type(ta, number)).split(".")[1]
    assert st.result_type(number, sa).name == str(torch.result_type(number, ta)).split(".")[1]
    cases = [lambda a, s: a + s, lambda a, s: s + a, lambda a, s: a * s, lambda a, s: s * a, lambda a, s: a / s,
             lambda a, s: s / a, lambda a, s: a > s, lambda a, s: s == a]
    if dtype != "bool" and not isinstance(number, bool):
        cases += [lambda a, s: a - s, lambda a, s: s - a]
    for k, f in enumerate(cases):
        got, ref = f(sa, number), f(ta, number)
        assert got.dtype.name == str(ref.dtype).split(".")[1]
        got, ref = to_np(got), ref.float().numpy() if ref.dtype == torch.bfloat16 else ref.numpy()
        if k == 5 and got.dtype.kind == "f":
            # number / tensor: torch multiplies by the reciprocal (two roundings), steepest
            # divides (one): at most an ulp apart (a bfloat16 ulp is 2**16 float32 ulps)
            assert_ulp(got, ref, 2**16 if dtype == "bfloat16" else 1)
        else:
            np.testing.assert_array_equal(got, ref)


def test_result_type_of_numbers_and_default_dtype():
    assert st.result_type(2, 3.0) == st.float32
    assert st.result_type(True, 2) == st.int64
    assert st.result_type(st.tensor([1, 2]), 2.5) == st.float32
    assert st.result_type(st.tensor([1.0], dtype=st.float16), 2.5) == st.float16
    assert st.result_type(st.tensor(1.0, dtype=st.float64), st.tensor([1], dtype=st.int32)) == st.float64
    assert st.result_type(st.tensor([1.0], dtype=st.bfloat16), st.tensor([1.0], dtype=st.float16)) == st.float32
    st.set_default_dtype(st.float64)
    try:
        assert (st.tensor([1, 2]) + 0.5).dtype == st.float64
        assert (st.tensor([1, 2]) / 2).dtype == st.float64
        assert (st.tensor([1.0], dtype=st.float32) + 0.5).dtype == st.float32
    finally:
        st.set_default_dtype(st.float32)


def test_reduced_float_ops_compute_in_float32_and_round_once():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000).astype(np.float32)
    y = rng.standard_normal(1000).astype(np.float32)
    for name in ("bfloat16", "float16"):
        sx, sy = st.tensor(x, dtype=getattr(st, name)), st.tensor(y, dtype=getattr(st, name))
        tx, ty = to_torch(sx), to_torch(sy)
        for f in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a - 0.0117187,
                  lambda a, b: a * 3.3):
            got, want = f(sx, sy), f(tx, ty)
            assert got.dtype.name == name
            np.testing.assert_array_equal(to_np(got), want.float().numpy())
        for fn in ("exp", "tanh", "sigmoid", "sin"):
            got = to_np(getattr(st, fn)(sx))
            want = getattr(torch, fn)(tx).float().numpy()
            # both compute in float32 (within 2 float32 ulp) and round once: at most one
            # rounding boundary apart
            assert_ulp(got.astype(np.float32), want, 2**16 if name == "bfloat16" else 2**13)


# ---------------------------------------------------------------------------------------
# where, comparisons, logical and bitwise ops

@SETTINGS
@given(data=hst.data())
def test_where_broadcasts_all_three_and_promotes(data):
    sa, sb = data.draw(broadcast_pair())
    sc = data.draw(hst.sampled_from([sa, sb, sa[-1:] if sa else ()]))
    a = data.draw(arrays(sa))
    b = data.draw(arrays(sb, np.float64))
    c = np.asarray(data.draw(arrays(sc)) > 0)
    got = st.where(st.from_numpy(c), st.from_numpy(a), st.from_numpy(b))
    dtype = torch.result_type(torch.from_numpy(a), torch.from_numpy(b))
    assert got.dtype.name == str(dtype).split(".")[1]
    want = np.where(c, a.astype(np.float64), b).astype(got.numpy().dtype)
    np.testing.assert_array_equal(got.numpy(), want)
    got = st.where(st.from_numpy(c), st.from_numpy(a), 2)
    assert got.dtype == st.float32
    np.testing.assert_array_equal(got.numpy(), np.where(c, a, np.float32(2)))


def test_where_with_numbers_and_ints():
    c = st.tensor([True, False, True])
    assert st.where(c, 1, 2.5).tolist() == [1.0, 2.5, 1.0] and st.where(c, 1, 2.5).dtype == st.float32
    assert st.where(c, 1, 2).dtype == st.int64
    r = st.where(c, st.tensor([1, 2, 3], dtype=st.int32), 2.5)
    assert r.dtype == st.float32 and r.tolist() == [1.0, 2.5, 3.0]
    assert st.tensor([5.0, 6.0, 7.0]).where(c, -1.0).tolist() == [5.0, -1.0, 7.0]
    bf = st.where(c, st.tensor([1.5, 2, 3], dtype=st.bfloat16), 0.1)
    assert bf.dtype == st.bfloat16
    assert to_np(bf).tolist() == torch.where(torch.tensor([True, False, True]),
                                             torch.tensor([1.5, 2, 3], dtype=torch.bfloat16), 0.1).float().tolist()


@SETTINGS
@given(data=hst.data())
def test_comparisons_match_numpy(data):
    sa, sb = data.draw(broadcast_pair())
    a = np.asarray(np.round(data.draw(arrays(sa))))  # rounding makes equal pairs likely
    b = np.asarray(np.round(data.draw(arrays(sb))))
    ta, tb = st.from_numpy(a), st.from_numpy(b)
    for f, g in [(st.eq, np.equal), (st.ne, np.not_equal), (st.lt, np.less), (st.le, np.less_equal),
                 (st.gt, np.greater), (st.ge, np.greater_equal)]:
        got = f(ta, tb)
        assert got.dtype == st.bool
        np.testing.assert_array_equal(got.numpy(), g(a, b))
        np.testing.assert_array_equal(f(ta, 1.0).numpy(), g(a, np.float32(1.0)))
    np.testing.assert_array_equal((ta < tb).numpy(), a < b)
    np.testing.assert_array_equal((1.0 < ta).numpy(), 1.0 < a)
    np.testing.assert_array_equal((ta == tb).numpy(), a == b)
    np.testing.assert_array_equal((ta != 2).numpy(), a != 2)


def test_comparisons_promote_and_handle_nan():
    i = st.tensor([1, 2, 3])
    assert (i == 1.5).tolist() == [False, False, False]
    assert (i < 1.5).tolist() == [True, False, False]
    assert (i < st.tensor([1.5])).tolist() == [True, False, False]
    big = st.tensor([2**53 + 1])
    assert (big == float(2**53)).tolist() == (torch.tensor([2**53 + 1]) == float(2**53)).tolist()
    nan = st.tensor([float("nan"), 1.0])
    assert (nan == nan).tolist() == [False, True]
    assert (nan != nan).tolist() == [True, False]
    assert (st.ones((2,)) == None) is False  # noqa: E711  (falls back to identity, as torch)
    assert (st.ones((2,)) != "a") is True


def test_logical_and_bitwise_ops():
    a = st.tensor([True, True, False, False])
    b = st.tensor([True, False, True, False])
    assert (a & b).tolist() == [True, False, False, False]
    assert (a | b).tolist() == [True, True, True, False]
    assert (a ^ b).tolist() == [False, True, True, False]
    assert (~a).tolist() == [False, False, True, True]
    assert (a & b).dtype == st.bool
    assert (st.tensor([1, 2]) & True).tolist() == [1, 0] and (st.tensor([1, 2]) & True).dtype == st.int64
    assert (a & 1).dtype == st.int64
    assert (3 | st.tensor([4, 8])).tolist() == [7, 11]
    assert st.logical_not(st.tensor([1.0, 0.0, float("nan")])).tolist() == [False, True, False]
    x, y = st.tensor([0.0, 2.0, -1.0, 0.0]), st.tensor([1, 0, 3, 0])
    assert st.logical_and(x, y).tolist() == [False, False, True, False]
    assert st.logical_or(x, y).tolist() == [True, True, True, False]
    assert st.logical_xor(x, y).tolist() == [True, True, False, False]
    m = st.tensor([5, 6], dtype=st.int32)
    m &= 4
    assert m.tolist() == [4, 4] and m.dtype == st.int32
    m |= st.tensor([1, 2], dtype=st.int32)
    m ^= 1
    assert m.tolist() == [4, 7]


# ---------------------------------------------------------------------------------------
# operators, reflected forms, aliases

def test_python_operators_and_reflected_forms():
    a = np.array([[1.0, -2.0, 3.5], [4.0, 0.25, -6.0]], dtype=np.float32)
    t = st.from_numpy(a)
    a64 = a.astype(np.float64)
    cases = [
        (t + 2, a64 + 2), (2 + t, 2 + a64), (t - 2, a64 - 2), (2 - t, 2 - a64), (t * 3, a64 * 3),
        (3 * t, 3 * a64), (t / 4, a64 / 4), (2 / t, 2 / a64), (t ** 2, a64 ** 2), (2 ** t, 2 ** a64),
        (-t, -a64), (abs(t), np.abs(a64)), (t + t, a64 + a64), (t * t, a64 * a64), (t / t, a64 / a64),
        (+t, a64), (t - t, a64 - a64), (t ** t.abs(), a64 ** np.abs(a64)),
        (t + np.float32(2), a64 + 2), (t * np.int64(3), a64 * 3),
    ]
    for got, want in cases:
        assert_ulp(got.numpy(), want, 1)
    assert st.true_divide(t, 2).tolist() == (t / 2).tolist()
    assert st.clip(t, -1, 1).tolist() == st.clamp(t, -1, 1).tolist()
    assert st.negative(t).tolist() == (-t).tolist()
    assert t.greater(0).tolist() == (t > 0).tolist()
    with pytest.raises(TypeError):
        t + "a"
    with pytest.raises(TypeError):
        "a" * t


def test_module_functions_accept_numbers_first():
    t = st.tensor([1.0, 2.0, 4.0])
    assert st.add(2, t).tolist() == [3.0, 4.0, 6.0]
    assert st.sub(2, t).tolist() == [1.0, 0.0, -2.0]
    assert st.mul(2, t).tolist() == [2.0, 4.0, 8.0]
    assert st.div(2, t).tolist() == [2.0, 1.0, 0.5]
    assert st.pow(2, t).tolist() == [2.0, 4.0, 16.0]
    assert st.add(t, 1, alpha=3).tolist() == [4.0, 5.0, 7.0]
    assert (st.tensor([True, False]) + st.tensor([True, True])).tolist() == [True, True]
    assert (st.tensor([True, False]) * st.tensor([True, True])).tolist() == [True, False]


# ---------------------------------------------------------------------------------------
# in place

@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "iadd", "isub", "imul", "idiv",
                                "ipow"])
def test_inplace_on_views_writes_only_the_view(op):
    rng = np.random.default_rng(3)
    base = rng.uniform(0.5, 2.0, size=(6, 9)).astype(np.float32)
    keep = base.copy()
    view_np = base[::2, 1::3]  # non-contiguous
    other = rng.uniform(0.5, 2.0, size=(3,)).astype(np.float32)  # broadcasts along rows
    v = st.from_numpy(view_np)
    o = st.from_numpy(other)
    version = v._version
    v64, o64 = keep[::2, 1::3].astype(np.float64), other.astype(np.float64)
    formulas = {
        "add_": (lambda: v.add_(o, alpha=2), v64 + 2 * o64), "sub_": (lambda: v.sub_(o), v64 - o64),
        "mul_": (lambda: v.mul_(o), v64 * o64), "div_": (lambda: v.div_(o), v64 / o64),
        "pow_": (lambda: v.pow_(o), v64 ** o64), "clamp_": (lambda: v.clamp_(0.8, 1.5), np.clip(v64, 0.8, 1.5)),
    }
    if op.startswith("i"):
        name = {"iadd": "add_", "isub": "sub_", "imul": "mul_", "idiv": "div_", "ipow": "pow_"}[op]
        want = {"add_": v64 + o64, "sub_": v64 - o64, "mul_": v64 * o64, "div_": v64 / o64,
                "pow_": v64 ** o64}[name]
        w = v
        if op == "iadd":
            w += o
        elif op == "isub":
            w -= o
        elif op == "imul":
            w *= o
        elif op == "idiv":
            w /= o
        else:
            w **= o
        assert w is v  # in place keeps the object
    else:
        run, want = formulas[op]
        assert run() is v
    assert v._version > version
    assert_ulp(view_np, want, 1)
    mask = np.ones_like(base, dtype=bool)
    mask[::2, 1::3] = False
    np.testing.assert_array_equal(base[mask], keep[mask])  # nothing outside the view changed


def test_inplace_casts_to_the_target_dtype():
    f = st.tensor([1.0, 2.0], dtype=st.float32)
    f += st.tensor([0.5, 0.25], dtype=st.float64)  # computes in float64, stores float32
    assert f.dtype == st.float32 and f.tolist() == [1.5, 2.25]
    i = st.tensor([1, 2], dtype=st.int32)
    i += st.tensor([10, 20])  # int64 result cast back to int32
    assert i.dtype == st.int32 and i.tolist() == [11, 22]
    h = st.tensor([1.0, 2.0], dtype=st.bfloat16)
    h.mul_(3.3)
    assert to_np(h).tolist() == (torch.tensor([1.0, 2.0], dtype=torch.bfloat16) * 3.3).float().tolist()
    x = st.tensor([1.0, 2.0, 3.0])
    x += x  # full alias is fine
    assert x.tolist() == [2.0, 4.0, 6.0]
    z = st.from_numpy(np.arange(9, dtype=np.float32).reshape(3, 3))
    zt = st.from_numpy(z.numpy().T)  # same memory, transposed: read a copy, as out of place
    want = np.arange(9, dtype=np.float32).reshape(3, 3)
    want = want + want.T
    z += zt
    np.testing.assert_array_equal(z.numpy(), want)


def test_unary_inplace_and_versions():
    x = st.tensor([-1.0, 0.5, 2.0])
    v = x._version
    assert x.relu_() is x and x.tolist() == [0.0, 0.5, 2.0]
    x.exp_()
    assert x._version == v + 2
    np.testing.assert_allclose(x.numpy(), np.exp([0.0, 0.5, 2.0]), rtol=1e-6)


# ---------------------------------------------------------------------------------------
# errors

def test_errors_name_the_problem():
    i = st.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 1.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.div_(2)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.exp_()
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        st.tensor([True]).add_(1)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i.pow_(-2)
    with pytest.raises(ValueError, match=r"output with shape \(2,\) doesn't match the broadcast shape \(2, 2\)"):
        st.ones((2,)).add_(st.ones((2, 2)))
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\) cannot be broadcast"):
        st.ones((2,)) + st.ones((3,))
    with pytest.raises(ValueError, match=r"cannot be broadcast"):
        st.where(st.tensor([True, False]), st.ones((3,)), 0.0)
    with pytest.raises(TypeError, match="where expected condition to be a boolean tensor, but got a tensor with "
                                        "dtype Float"):
        st.where(st.ones((2,)), st.ones((2,)), st.zeros((2,)))
    with pytest.raises(TypeError, match="bitwise_and: only integer and bool tensors"):
        st.ones((2,)) & st.ones((2,))
    with pytest.raises(TypeError, match="only implemented on integer and bool"):
        ~st.ones((2,))
    with pytest.raises(TypeError, match="Subtraction, the `-` operator, with two bool tensors"):
        st.tensor([True]) - st.tensor([False])
    with pytest.raises(TypeError, match="Subtraction, the `-` operator, with a bool tensor"):
        st.tensor([1, 2]) - True
    with pytest.raises(TypeError, match="Negation, the `-` operator, on a bool tensor"):
        -st.tensor([True])
    with pytest.raises(TypeError, match="Boolean inputs not supported for relu"):
        st.relu(st.tensor([True]))
    with pytest.raises(TypeError, match="abs: not implemented for bool"):
        st.abs(st.tensor([True]))
    with pytest.raises(TypeError, match="pow: not implemented for bool"):
        st.tensor([True]) ** st.tensor([True])
    with pytest.raises(TypeError, match="For integral input tensors, argument alpha must not be a floating point"):
        st.add(i, i, alpha=0.5)
    with pytest.raises(TypeError, match="Boolean alpha only supported for Boolean results"):
        st.add(st.ones((2,)), st.ones((2,)), alpha=True)
    with pytest.raises(ValueError, match="At least one of 'min' or 'max' must not be None"):
        st.clamp(st.ones((2,)))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        st.tensor([5]).clamp_(min=1.5)


def test_inplace_on_overlapping_target_is_refused():
    base = np.zeros(1, dtype=np.float32)
    expanded = np.lib.stride_tricks.as_strided(base, shape=(4,), strides=(0,))
    t = st.from_numpy(expanded)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        t.add_(1.0)


def test_numpy_scalars_work_on_either_side_and_arrays_are_not_numbers():
    t = st.tensor([1.0, 2.0])
    for got in [t + np.float32(2), np.float32(2) + t, t * np.int64(3), st.add(t, np.array(2.5))]:
        assert isinstance(got, st.Tensor)
    np.testing.assert_array_equal((np.float64(2) - t).numpy(), [1.0, 0.0])
    with pytest.raises(TypeError):
        st.full((2,), np.array([1.0, 2.0]))  # several elements: not a fill value
