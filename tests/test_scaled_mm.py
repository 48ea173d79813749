"""st._scaled_mm against torch._scaled_mm (CPU) and a float64 numpy reference: per-tensor and
per-row scales, bias, out dtypes, scale_result, the argument errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

F8 = ["float8_e4m3fn", "float8_e5m2"]


def pair(shape, name, seed, scale=1.0):
    """The same FP8 matrix in steepest and torch (torch does the rounding)."""
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale)
    t = x.to(getattr(torch, name))
    return st.from_numpy(t.float().numpy()).to(getattr(st, name)), t


def ref64(a, b, sa, sb, bias=None):
    """float64 (a * sa) @ (b * sb) + bias from the FP8 values."""
    r = (a.float().numpy().astype(np.float64) * sa) @ (b.float().numpy().astype(np.float64) * sb)
    return r if bias is None else r + bias


@settings(max_examples=20, deadline=None)
@given(m=hs.integers(1, 5), k=hs.integers(1, 5), n=hs.integers(1, 5), fa=hs.sampled_from(F8),
       fb=hs.sampled_from(F8), rowwise=hs.booleans(), seed=hs.integers(0, 1000))
def test_matches_torch_and_float64(m, k, n, fa, fb, rowwise, seed):
    M, K, N = 16 * m, 16 * k, 16 * n
    a, ta = pair((M, K), fa, seed)
    bt, tbt = pair((N, K), fb, seed + 1)
    b, tb = bt.t(), tbt.t()  # column-major, as torch's CUDA kernels want
    rng = np.random.default_rng(seed + 2)
    if rowwise:
        sa, sb = rng.uniform(0.5, 2, (M, 1)).astype(np.float32), rng.uniform(0.5, 2, (1, N)).astype(np.float32)
    else:
        sa, sb = np.float32(rng.uniform(0.1, 4)), np.float32(rng.uniform(0.1, 4))
    bias = rng.standard_normal(N).astype(np.float32)
    got = st._scaled_mm(a, b, st.tensor(sa), st.tensor(sb), bias=st.tensor(bias), out_dtype=st.float32)
    want = torch._scaled_mm(ta, tb, torch.tensor(sa), torch.tensor(sb), bias=torch.tensor(bias),
                            out_dtype=torch.float32)
    assert got.dtype == st.float32 and tuple(got.shape) == (M, N)
    r = ref64(a, b, sa.astype(np.float64), sb.astype(np.float64), bias)
    tol = 1e-5 * (np.abs(a.float().numpy()) @ np.abs(b.float().numpy()) * np.max(sa) * np.max(sb) + np.abs(bias))
    assert (np.abs(got.numpy() - r) <= tol + 1e-6).all()
    assert (np.abs(got.numpy() - want.numpy()) <= 2 * tol + 1e-6).all()


@pytest.mark.parametrize("out", ["bfloat16", "float16", "float64", "float8_e4m3fn", "float8_e5m2", None])
def test_out_dtypes_and_scale_result_match_torch(out):
    a, ta = pair((32, 48), "float8_e4m3fn", 0)
    b, tb = pair((64, 48), "float8_e4m3fn", 1)
    sa, sb = 0.5, 3.0
    kw = {} if out is None else {"out_dtype": getattr(st, out)}
    tkw = {} if out is None else {"out_dtype": getattr(torch, out)}
    for sr in (None, 2.0):
        got = st._scaled_mm(a, b.t(), st.tensor(sa), st.tensor(sb), scale_result=None if sr is None else st.tensor(sr),
                            **kw)
        want = torch._scaled_mm(ta, tb.t(), torch.tensor(sa), torch.tensor(sb),
                                scale_result=None if sr is None else torch.tensor(sr), **tkw)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        r = ref64(a, b.t(), sa, sb)
        if sr is not None and out is not None and out.startswith("float8"):
            r = r / sr  # scale_result divides only an FP8 out_dtype that was asked for (torch's CPU rule)
        g, w = got.float().numpy().astype(np.float64), want.float().numpy().astype(np.float64)
        rel = {"bfloat16": 2 ** -8, "float16": 2 ** -11, "float64": 1e-6, "float8_e4m3fn": 2 ** -4,
               "float8_e5m2": 2 ** -3, None: 2 ** -4}[out]
        # one rounding to the output format from an f32 sum (float64 out: the f32 accumulation's error)
        np.testing.assert_allclose(g, np.clip(r, -448, 448) if (out or "float8_e4m3fn") == "float8_e4m3fn" else r,
                                   rtol=rel, atol=1e-3)
        # against torch: the same rounding, so equal except where the f32 sums straddle a rounding edge
        assert np.mean(g == w) > 0.97


def test_zero_sized_and_no_grad():
    a = st.zeros(4, 0, dtype=st.float8_e4m3fn)
    b = st.zeros(0, 3, dtype=st.float8_e4m3fn)
    r = st._scaled_mm(a, b, st.tensor(1.0), st.tensor(1.0), out_dtype=st.float32)
    assert r.tolist() == [[0.0] * 3] * 4
    r = st._scaled_mm(st.zeros(0, 16, dtype=st.float8_e4m3fn), st.zeros(16, 5, dtype=st.float8_e4m3fn),
                      st.tensor(1.0), st.tensor(1.0), out_dtype=st.float32)
    assert tuple(r.shape) == (0, 5)
    s = st.tensor(1.0, requires_grad=True)
    r = st._scaled_mm(st.ones(16, 16, dtype=st.float8_e4m3fn), st.ones(16, 16, dtype=st.float8_e4m3fn), s, s,
                      out_dtype=st.float32)
    assert not r.requires_grad


def test_bad_arguments_name_the_problem():
    a = st.ones(16, 32, dtype=st.float8_e4m3fn)
    b = st.ones(32, 16, dtype=st.float8_e4m3fn)
    one = st.tensor(1.0)
    with pytest.raises(TypeError, match="mat1 to be float8_e4m3fn or float8_e5m2, but got float32"):
        st._scaled_mm(a.float(), b, one, one)
    with pytest.raises(TypeError, match="mat2 to be float8_e4m3fn or float8_e5m2, but got bfloat16"):
        st._scaled_mm(a, b.bfloat16(), one, one)
    with pytest.raises(ValueError, match="mat1 must be a matrix"):
        st._scaled_mm(a.reshape(2, 8, 32), b, one, one)
    with pytest.raises(ValueError, match=r"cannot be multiplied \(16x32 and 16x16\)"):
        st._scaled_mm(a, b[:16], one, one)
    with pytest.raises(ValueError, match="invalid scaling"):
        st._scaled_mm(a, b, one.double(), one)
    with pytest.raises(ValueError, match="invalid scaling"):
        st._scaled_mm(a, b, st.ones(16), st.ones(16))
    with pytest.raises(ValueError, match=r"bias must be of size 16, but got shape \[15\]|bias must be of size 16"):
        st._scaled_mm(a, b, one, one, bias=st.ones(15))
    with pytest.raises(TypeError, match="out_dtype must be a floating dtype"):
        st._scaled_mm(a, b, one, one, out_dtype=st.int64)
    with pytest.raises(ValueError, match="scale_result must be a float32 tensor of one element"):
        st._scaled_mm(a, b, one, one, scale_result=st.ones(2))
