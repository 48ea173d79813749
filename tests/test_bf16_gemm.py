"""The bfloat16 GEMM (float32 accumulation, float32 or bfloat16 C, alpha/beta): every shape
class and layout against float64 products of the rounded inputs with a stated error bound, on
both kernels (AVX512_BF16 when the CPU has it, and the widened float32 path forced); matmul,
mm, bmm, linear and their backward in bfloat16 against torch's bfloat16 ops; float16 inputs.

Bounds. With S = |alpha| (|A| @ |B|) + |beta| |C0| (float64, on the rounded inputs):
  float32 C:  |C - ref| <= (k + 4) 2^-24 S           (float32 accumulation of k products)
  bfloat16 C: |C - ref| <= 2^-8 |ref| + (k + 4) 2^-24 S (1 + 2^-8)   (plus one final rounding)
products of two bfloat16 values are exact in float32, so only the sums round."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st


def _native_available():
    before = st._core._bf16_gemm_path()
    try:
        st._core._set_bf16_gemm_path("avx512_bf16")
    except ValueError:  # no AVX512_BF16 here, or a lower instruction set forced
        return False
    st._core._set_bf16_gemm_path(before)
    return True


PATHS = ["f32"] + (["avx512_bf16"] if _native_available() else [])
U24, U8 = 2.0 ** -24, 2.0 ** -8


@pytest.fixture(params=PATHS)
def path(request):
    before = st._core._bf16_gemm_path()
    st._core._set_bf16_gemm_path(request.param)
    yield request.param
    st._core._set_bf16_gemm_path(before)


def bf16_array(rng, shape, scale=1.0):
    """Float32 values exactly representable in bfloat16."""
    x = (rng.standard_normal(shape) * scale).astype(np.float32)
    return torch.from_numpy(x).bfloat16().float().numpy()


def operand(x, trans, strided):
    """A steepest bfloat16 tensor equal to x (2-D), stored transposed and/or with a row stride
    larger than its width (a slice of a wider matrix)."""
    base = x.T if trans else x
    if strided:
        wide = np.zeros((base.shape[0], base.shape[1] + 5), np.float32)
        wide[:, 2:2 + base.shape[1]] = base
        t = st.tensor(wide, dtype=st.bfloat16)[:, 2:2 + base.shape[1]]
    else:
        t = st.tensor(np.ascontiguousarray(base), dtype=st.bfloat16)
    return t.T if trans else t


def to64(t):
    return t.detach().float().numpy().astype(np.float64)


def check(got, ref, s, k, out_bf16):
    bound = (k + 4) * U24 * s
    if out_bf16:
        bound = U8 * np.abs(ref) + bound * (1 + U8)
    err = np.abs(got - ref)
    assert np.all(err <= bound), f"max excess {np.max(err - bound)} (k={k}, bf16 out={out_bf16})"


SHAPES = [(1, 1, 1), (1, 9, 1), (3, 5, 7), (12, 32, 32), (13, 33, 37), (25, 65, 33), (100, 385, 70),
          (130, 770, 65), (7, 1, 40), (40, 2, 7)]


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
@pytest.mark.parametrize("out", ["f32", "bf16"])
def test_gemm_against_float64(path, m, k, n, ta, tb, out):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a, b = bf16_array(rng, (m, k)), bf16_array(rng, (k, n))
    c0 = bf16_array(rng, (m, n))
    alpha, beta = (-0.5, 1.5) if (m + n) % 2 else (1.0, 0.0)
    A, B = operand(a, ta, strided=False), operand(b, tb, strided=ta)
    C = st.tensor(c0, dtype=st.bfloat16 if out == "bf16" else st.float32)
    st._core._gemm_(C, A, B, alpha, beta)
    ref = alpha * (a.astype(np.float64) @ b.astype(np.float64)) + beta * c0
    s = abs(alpha) * (np.abs(a).astype(np.float64) @ np.abs(b)) + abs(beta) * np.abs(c0)
    check(to64(C), ref, s, k, out == "bf16")


@pytest.mark.parametrize("ta,tb", [(False, True), (True, False)])
def test_strided_operands_and_row_stride_of_c(path, ta, tb):
    rng = np.random.default_rng(3)
    m, k, n = 37, 41, 29
    a, b = bf16_array(rng, (m, k)), bf16_array(rng, (k, n))
    A, B = operand(a, ta, strided=True), operand(b, tb, strided=True)
    big = st.zeros(m, n + 3)
    C = big[:, 1:1 + n]  # row stride n + 3
    st._core._gemm_(C, A, B)
    check(to64(C), a.astype(np.float64) @ b, np.abs(a).astype(np.float64) @ np.abs(b), k, False)
    assert np.all(big.numpy()[:, 0] == 0) and np.all(big.numpy()[:, n + 1:] == 0)
    # A view with non-unit stride along both dims is copied, not misread.
    A2 = st.tensor(np.repeat(np.repeat(a, 2, 0), 2, 1), dtype=st.bfloat16)[::2, ::2]
    C2 = st.zeros(m, n)
    st._core._gemm_(C2, A2, operand(b, False, False))
    check(to64(C2), a.astype(np.float64) @ b, np.abs(a).astype(np.float64) @ np.abs(b), k, False)


@pytest.mark.parametrize("out", [st.float32, st.bfloat16])
def test_zero_sizes_and_beta(path, out):
    rng = np.random.default_rng(4)
    # k == 0: C = beta C; m or n == 0: nothing to do.
    c0 = bf16_array(rng, (3, 4))
    C = st.tensor(c0, dtype=out)
    st._core._gemm_(C, st.zeros(3, 0, dtype=st.bfloat16), st.zeros(0, 4, dtype=st.bfloat16), 2.0, 0.5)
    np.testing.assert_array_equal(C.float().numpy(), 0.5 * c0)
    st._core._gemm_(C, st.zeros(3, 0, dtype=st.bfloat16), st.zeros(0, 4, dtype=st.bfloat16), 2.0, 0.0)
    assert np.all(C.float().numpy() == 0)
    st._core._gemm_(st.zeros(0, 4, dtype=out), st.zeros(0, 5, dtype=st.bfloat16), st.zeros(5, 4, dtype=st.bfloat16))
    assert (st.zeros(0, 5, dtype=st.bfloat16) @ st.zeros(5, 4, dtype=st.bfloat16)).shape == (0, 4)
    z = st.zeros(3, 0, dtype=st.bfloat16) @ st.zeros(0, 4, dtype=st.bfloat16)
    assert z.dtype == st.bfloat16 and np.all(z.float().numpy() == 0)


def test_beta_zero_ignores_nan_in_c(path):
    rng = np.random.default_rng(5)
    a, b = bf16_array(rng, (20, 50)), bf16_array(rng, (50, 40))
    for dt in (st.float32, st.bfloat16):
        C = st.full((20, 40), float("nan"), dtype=dt)
        st._core._gemm_(C, st.tensor(a, dtype=st.bfloat16), st.tensor(b, dtype=st.bfloat16), 1.0, 0.0)
        assert np.all(np.isfinite(C.float().numpy()))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m,k,n", [(300, 200, 90), (90, 200, 300), (250, 500, 250)])
def test_threaded_splits(path, threads, m, k, n):
    rng = np.random.default_rng(6)
    a, b = bf16_array(rng, (m, k)), bf16_array(rng, (k, n))
    before = st.get_num_threads()
    st.set_num_threads(threads)
    try:
        for dt in (st.float32, st.bfloat16):
            C = st.zeros(m, n, dtype=dt)
            st._core._gemm_(C, operand(a, False, False), operand(b, True, False))
            check(to64(C), a.astype(np.float64) @ b, np.abs(a).astype(np.float64) @ np.abs(b), k,
                  dt == st.bfloat16)
    finally:
        st.set_num_threads(before)


@pytest.mark.skipif(len(PATHS) < 2, reason="this CPU has no AVX512_BF16")
def test_native_kernel_against_widened_path():
    rng = np.random.default_rng(7)
    a, b = bf16_array(rng, (77, 413)), bf16_array(rng, (413, 51))
    A, B = st.tensor(a, dtype=st.bfloat16), st.tensor(b, dtype=st.bfloat16)
    before = st._core._bf16_gemm_path()
    outs = {}
    try:
        for p in PATHS:
            st._core._set_bf16_gemm_path(p)
            C = st.zeros(77, 51)
            st._core._gemm_(C, A, B)
            outs[p] = C.numpy().astype(np.float64)
    finally:
        st._core._set_bf16_gemm_path(before)
    s = np.abs(a).astype(np.float64) @ np.abs(b)
    # Two float32 sums of the same exact products, each within the bound of the true value.
    assert np.all(np.abs(outs["avx512_bf16"] - outs["f32"]) <= 2 * (413 + 4) * U24 * s)
    assert not np.array_equal(outs["avx512_bf16"], np.zeros_like(outs["f32"]))


def test_path_selection_errors():
    with pytest.raises(ValueError, match="unknown bfloat16 GEMM path"):
        st._core._set_bf16_gemm_path("amx")
    assert st._core._bf16_gemm_path() in ("f32", "avx512_bf16")


def test_gemm_argument_errors():
    a, b = st.zeros(3, 4, dtype=st.bfloat16), st.zeros(4, 5, dtype=st.bfloat16)
    with pytest.raises(ValueError, match="do not fit"):
        st._core._gemm_(st.zeros(3, 6), a, b)
    with pytest.raises(TypeError, match="share a dtype"):
        st._core._gemm_(st.zeros(3, 5), a, st.zeros(4, 5))
    with pytest.raises(TypeError, match="cannot hold"):
        st._core._gemm_(st.zeros(3, 5, dtype=st.float64), a, b)
    with pytest.raises(ValueError, match="row-major"):
        st._core._gemm_(st.zeros(5, 3).T, a, b)
    with pytest.raises(ValueError, match="2-D"):
        st._core._gemm_(st.zeros(3, 5), st.zeros(3, 4, 1, dtype=st.bfloat16), b)
    with pytest.raises(ValueError, match="outside autograd"):
        st._core._gemm_(st.zeros(3, 5), a.float().requires_grad_(), b.float())


# ---- matmul / mm / bmm / linear in bfloat16 against torch ----

def pair(x):
    return st.tensor(x, dtype=st.bfloat16), torch.from_numpy(x).bfloat16()


def close_to_torch(got, want, ref64, s, k):
    """Both are float32 sums rounded once to bfloat16: each within the bound of the float64
    value, so within twice that of each other."""
    g, w = to64(got), want.detach().double().numpy()
    check(g, ref64, s, k, True)
    check(w, ref64, s, k, True)


@pytest.mark.parametrize("sa,sb", [((33, 70), (70, 45)), ((4, 17, 40), (40, 9)), ((3, 1, 9, 20), (5, 20, 7)),
                                   ((70,), (70, 3)), ((6, 70), (70,)), ((70,), (70,)), ((2, 50, 64), (2, 64, 31))])
def test_matmul_like_torch(path, sa, sb):
    rng = np.random.default_rng(8)
    a, b = bf16_array(rng, sa), bf16_array(rng, sb)
    (sa_, ta_), (sb_, tb_) = pair(a), pair(b)
    out, want = sa_ @ sb_, ta_ @ tb_
    assert out.dtype == st.bfloat16 and tuple(out.shape) == tuple(want.shape)
    ref = np.matmul(a.astype(np.float64), b)
    s = np.matmul(np.abs(a).astype(np.float64), np.abs(b))
    close_to_torch(out, want, ref, s, a.shape[-1])


def test_mm_bmm_transposed_views_like_torch(path):
    rng = np.random.default_rng(9)
    a, b = bf16_array(rng, (3, 40, 29)), bf16_array(rng, (3, 23, 40))
    (sa_, ta_), (sb_, tb_) = pair(a), pair(b)
    out = st.bmm(sa_.transpose(1, 2), sb_.transpose(1, 2))
    want = torch.bmm(ta_.transpose(1, 2), tb_.transpose(1, 2))
    at, bt = np.swapaxes(a, 1, 2).astype(np.float64), np.swapaxes(b, 1, 2).astype(np.float64)
    close_to_torch(out, want, at @ bt, np.abs(at) @ np.abs(bt), 40)
    out2, want2 = st.mm(sa_[1].T, sb_[2].T), torch.mm(ta_[1].T, tb_[2].T)
    close_to_torch(out2, want2, at[1] @ bt[2], np.abs(at[1]) @ np.abs(bt[2]), 40)


def test_float16_inputs_widen():
    rng = np.random.default_rng(10)
    a = rng.standard_normal((31, 90)).astype(np.float16).astype(np.float32)
    b = rng.standard_normal((90, 17)).astype(np.float16).astype(np.float32)
    out = st.tensor(a, dtype=st.float16) @ st.tensor(b, dtype=st.float16)
    assert out.dtype == st.float16
    ref = a.astype(np.float64) @ b
    s = np.abs(a).astype(np.float64) @ np.abs(b)
    err = np.abs(out.float().numpy() - ref)
    assert np.all(err <= 2.0 ** -11 * np.abs(ref) + (90 + 4) * U24 * s * 1.001 + 2.0 ** -24)
    C = st.zeros(31, 17)
    st._core._gemm_(C, st.tensor(a, dtype=st.float16), st.tensor(b, dtype=st.float16))
    check(C.numpy().astype(np.float64), ref, s, 90, False)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_backward_like_torch(path, bias):
    rng = np.random.default_rng(11)
    x, w, bb = bf16_array(rng, (2, 24, 70)), bf16_array(rng, (45, 70), 0.2), bf16_array(rng, (45,))
    g = bf16_array(rng, (2, 24, 45))
    sx, sw, sb = (st.tensor(v, dtype=st.bfloat16).requires_grad_() for v in (x, w, bb))
    tx, tw, tb = (torch.from_numpy(v).bfloat16().requires_grad_() for v in (x, w, bb))
    out = st.nn.functional.linear(sx, sw, sb if bias else None)
    want = torch.nn.functional.linear(tx, tw, tb if bias else None)
    assert out.dtype == st.bfloat16
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    ref = x64 @ w64.T + (bb if bias else 0)
    s = np.abs(x64) @ np.abs(w64.T) + (np.abs(bb) if bias else 0)
    close_to_torch(out, want, ref, s, 70)
    out.backward(st.tensor(g, dtype=st.bfloat16))
    want.backward(torch.from_numpy(g).bfloat16())
    assert sx.grad.dtype == st.bfloat16 and sw.grad.dtype == st.bfloat16
    close_to_torch(sx.grad, tx.grad, g64 @ w64, np.abs(g64) @ np.abs(w64), 45)
    gw_ref = np.einsum("bmo,bmi->oi", g64, x64)
    gw_s = np.einsum("bmo,bmi->oi", np.abs(g64), np.abs(x64))
    close_to_torch(sw.grad, tw.grad, gw_ref, gw_s, 48)
    if bias:
        close_to_torch(sb.grad, tb.grad, g64.sum((0, 1)), np.abs(g64).sum((0, 1)), 48)


def test_matmul_backward_like_torch(path):
    rng = np.random.default_rng(12)
    a, b, g = bf16_array(rng, (3, 20, 50)), bf16_array(rng, (50, 30)), bf16_array(rng, (3, 20, 30))
    sa_, sb_ = (st.tensor(v, dtype=st.bfloat16).requires_grad_() for v in (a, b))
    ta_, tb_ = (torch.from_numpy(v).bfloat16().requires_grad_() for v in (a, b))
    (sa_ @ sb_).backward(st.tensor(g, dtype=st.bfloat16))
    (ta_ @ tb_).backward(torch.from_numpy(g).bfloat16())
    a64, b64, g64 = a.astype(np.float64), b.astype(np.float64), g.astype(np.float64)
    close_to_torch(sa_.grad, ta_.grad, g64 @ b64.T, np.abs(g64) @ np.abs(b64.T), 30)
    gb = np.einsum("bmk,bmn->kn", a64, g64)
    gbs = np.einsum("bmk,bmn->kn", np.abs(a64), np.abs(g64))
    close_to_torch(sb_.grad, tb_.grad, gb, gbs, 60)


@settings(max_examples=40, deadline=None)
@given(m=hs.integers(1, 70), k=hs.integers(1, 90), n=hs.integers(1, 70), ta=hs.booleans(), tb=hs.booleans(),
       out_bf16=hs.booleans(), native=hs.booleans())
def test_hypothesis_shapes(m, k, n, ta, tb, out_bf16, native):
    p = "avx512_bf16" if native and "avx512_bf16" in PATHS else "f32"
    before = st._core._bf16_gemm_path()
    st._core._set_bf16_gemm_path(p)
    try:
        rng = np.random.default_rng(m * 10000 + k * 100 + n)
        a, b = bf16_array(rng, (m, k)), bf16_array(rng, (k, n))
        C = st.zeros(m, n, dtype=st.bfloat16 if out_bf16 else st.float32)
        st._core._gemm_(C, operand(a, ta, strided=tb), operand(b, tb, strided=ta))
        check(to64(C), a.astype(np.float64) @ b, np.abs(a).astype(np.float64) @ np.abs(b), k, out_bf16)
    finally:
        st._core._set_bf16_gemm_path(before)


def newton_schulz_steps(X, steps, dtype_round):
    a, b, c = 3.4445, -4.775, 2.0315
    for _ in range(steps):
        A = dtype_round(X @ X.T)
        B = dtype_round(b * A + c * A @ A)
        X = dtype_round(a * X + B @ X)
    return X


@pytest.mark.parametrize("shape", [(40, 24), (24, 40), (64, 64)])
def test_newton_schulz_in_bfloat16_like_torch(path, shape):
    """Muon's ns_dtype="bfloat16" iterates through the bfloat16 GEMM. The iteration amplifies
    rounding (its coefficients reach 4.8), so bfloat16 runs that round in different places end a
    few percent apart: the test asks that steepest's result be as close to the float64 iteration
    as torch's bfloat16 ops get (within 1.5x), and much closer than that to torch's."""
    G = np.random.default_rng(13).standard_normal(shape).astype(np.float32)
    t = shape[0] > shape[1]
    X64 = G.astype(np.float64).T if t else G.astype(np.float64)
    exact = newton_schulz_steps(X64 / np.linalg.norm(X64), 5, lambda x: x)
    X = torch.from_numpy(G).bfloat16()
    X = X.T if t else X
    tb = newton_schulz_steps(X / X.norm().clamp(min=1e-7), 5, lambda x: x).float().numpy()
    got = st.optim.newton_schulz(st.tensor(G), ns_dtype="bfloat16").numpy()
    got = got.T if t else got
    err_torch, err_st = np.abs(tb - exact).max(), np.abs(got - exact).max()
    assert err_st <= 1.5 * err_torch
    assert np.abs(got - tb).max() <= 2 * err_torch
