"""float32 <-> bfloat16 / float16 conversion and the 16-bit elementwise paths built on it.

The ISA conversion runs (isa/convert.cpp) must round to nearest, ties to even, exactly as
ml_dtypes (bfloat16) and numpy (float16) do, on every instruction set and on both the dense
(SIMD) and strided (scalar) paths; NaN stays NaN. bfloat16/float16 elementwise ops compute in
float32 and round once: checked bit for bit against numpy float32 arithmetic rounded by
ml_dtypes. Activations on 16-bit tensors run their kernels on stack blocks instead of
converting whole tensors; they must give the bits of the float32 op rounded once, forward and
backward."""
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F

DTYPES = {"bfloat16": (st.bfloat16, ml_dtypes.bfloat16), "float16": (st.float16, np.float16)}


def bits16(t):
    """The 16-bit patterns of a steepest bfloat16/float16 tensor."""
    return t.detach().contiguous().view(st.float16).numpy().view(np.uint16).copy()


def from_bits16(b, dtype):
    return st.from_numpy(np.ascontiguousarray(b, dtype=np.uint16).view(np.float16)).view(dtype)


def float_patterns():
    """Every upper half with low halves at and around both formats' rounding points, plus a
    stride over all 2^32 patterns."""
    hi = np.arange(1 << 16, dtype=np.uint32) << 16
    lows = np.array([0, 1, 0x0FFF, 0x1000, 0x1001, 0x2000, 0x3000, 0x3001, 0x7FFF, 0x8000, 0x8001, 0xFFFF],
                    dtype=np.uint32)
    u = (hi[:, None] | lows[None, :]).ravel()
    u = np.concatenate([u, np.arange(0, 1 << 32, 65521, dtype=np.uint64).astype(np.uint32)])
    return u.view(np.float32)


def reference_narrow(x, name):
    ml = DTYPES[name][1]
    with np.errstate(all="ignore"):
        return x.astype(ml).view(np.uint16)


@pytest.mark.parametrize("name", list(DTYPES))
def test_narrowing_matches_ml_dtypes_and_numpy_on_every_isa(isa, name):
    sdt = DTYPES[name][0]
    x = float_patterns()
    nan = np.isnan(x)
    want = reference_narrow(x, name)
    t = st.from_numpy(x)
    dense = bits16(t.to(sdt))
    # A strided source takes the one-value-at-a-time path.
    x2 = np.stack([x, np.zeros_like(x)], axis=1)
    strided = bits16(st.from_numpy(x2)[:, 0].to(sdt))
    for got in (dense, strided):
        np.testing.assert_array_equal(got[~nan], want[~nan])
        # NaN stays NaN, sign kept (the payload rules are documented in half.hpp).
        exp_mask, man_mask = (0x7F80, 0x7F) if name == "bfloat16" else (0x7C00, 0x3FF)
        g = got[nan]
        assert np.all((g & exp_mask) == exp_mask) and np.all((g & man_mask) != 0)
        np.testing.assert_array_equal(g >> 15, (x[nan].view(np.uint32) >> 31).astype(np.uint16))


@pytest.mark.parametrize("name", list(DTYPES))
def test_widening_every_pattern_is_exact_on_every_isa(isa, name):
    sdt, ml = DTYPES[name]
    b = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    want = b.view(ml).astype(np.float32)
    t = from_bits16(b, sdt)
    for got in (t.to(st.float32), t.reshape(256, 256).t().contiguous().t().reshape(-1).to(st.float32)):
        g = np.asarray(got.tolist(), dtype=np.float32)
        nan = np.isnan(want)
        np.testing.assert_array_equal(g[~nan].view(np.uint32), want[~nan].view(np.uint32))
        assert np.all(np.isnan(g[nan]))


SIZES = hs.integers(0, 1600)


def ops(name):
    """(steepest op, numpy float32 op) pairs on the float32 values."""
    return [
        (lambda a, b: a + b, lambda a, b: a + b),
        (lambda a, b: a * b, lambda a, b: a * b),
        (lambda a, b: a - b, lambda a, b: a - b),
        (lambda a, b: a / b, lambda a, b: a / b),
        (lambda a, b: a * 0.75, lambda a, b: a * np.float32(0.75)),
        (lambda a, b: st.relu(a), lambda a, b: np.maximum(a, np.float32(0))),
        (lambda a, b: a.neg(), lambda a, b: -a),
    ]


@settings(max_examples=25, deadline=None)
@given(n=SIZES, seed=hs.integers(0, 2**31 - 1), name=hs.sampled_from(list(DTYPES)))
def test_16bit_elementwise_is_float32_math_rounded_once(n, seed, name):
    sdt, ml = DTYPES[name]
    rng = np.random.default_rng(seed)
    a16 = (rng.standard_normal(n) * 4).astype(np.float32).astype(ml)
    b16 = (rng.standard_normal(n) * 4 + 0.1).astype(np.float32).astype(ml)
    a, b = a16.astype(np.float32), b16.astype(np.float32)
    sa, sb = st.tensor(a, dtype=sdt), st.tensor(b, dtype=sdt)
    # the same values through a transposed (non-contiguous) layout: the iterator's path
    m = max(1, n)
    ta = st.tensor(np.concatenate([a, np.zeros(m - n, np.float32)]).reshape(m, 1).repeat(2, 1).T.copy(), dtype=sdt)
    for sop, nop in ops(name):
        with np.errstate(all="ignore"):
            want = nop(a, b).astype(ml).view(np.uint16)
        got = bits16(sop(sa, sb))
        np.testing.assert_array_equal(got, want)
        if n:
            strided = sop(ta.T[:n, 0], sb)  # a column of the transposed copy: stride 2
            np.testing.assert_array_equal(bits16(strided), want)


ACTS = [
    ("gelu", lambda x: F.gelu(x)),
    ("gelu tanh", lambda x: F.gelu(x, approximate="tanh")),
    ("silu", F.silu),
    ("softplus", lambda x: F.softplus(x, beta=2.0, threshold=5.0)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1)),
    ("elu", F.elu),
    ("hardswish", F.hardswish),
    ("mish", F.mish),
]


@settings(max_examples=20, deadline=None)
@given(n=SIZES, seed=hs.integers(0, 2**31 - 1), name=hs.sampled_from(list(DTYPES)),
       act=hs.sampled_from(ACTS))
def test_16bit_activations_round_the_float32_result_once(n, seed, name, act):
    sdt, ml = DTYPES[name]
    _, f = act
    rng = np.random.default_rng(seed)
    x16 = (rng.standard_normal(n) * 3).astype(np.float32).astype(ml).astype(np.float32)
    g16 = rng.standard_normal(n).astype(np.float32).astype(ml).astype(np.float32)
    x = st.tensor(x16, dtype=sdt, requires_grad=True)
    y = f(x)
    assert y.dtype == sdt
    y.backward(st.tensor(g16, dtype=sdt))
    x32 = st.tensor(x16, requires_grad=True)
    y32 = f(x32)
    y32.backward(st.tensor(g16))
    np.testing.assert_array_equal(bits16(y), bits16(y32.detach().to(sdt)))
    np.testing.assert_array_equal(bits16(x.grad), bits16(x32.grad.to(sdt)))
