"""CUDA linalg (cuBLAS) and the fused nn kernels against steepest's own CPU path on the same
random inputs: awkward sizes (0, 1, odd, more than one 256-thread block), transposed and
strided views, broadcast batches, float32/float64 and 16-bit products; forward values and
gradients; then a tiny MLP and a tiny transformer trained 5 steps on both devices.

Tolerances: a GEMM's summation order differs between cuBLAS and the CPU BLAS, so float32
products are compared with rtol 1e-4 plus an absolute term of 1e-5 * sqrt(K) * the operand
scale, float64 with 1e-10; bfloat16 with 2e-2 and float16 with 2e-3 relative (one 16-bit
rounding of a float32 sum). Row kernels (softmax, norms, losses) sum in a different order than
the CPU's SIMD lanes: float32 rtol 2e-5 / atol 2e-6 scaled by the row length's square root,
float64 1e-11. Embedding's backward adds in the CPU's order, so it is compared bit for bit."""
from __future__ import annotations

import math

import numpy as np
import pytest
from gpu import needs_gpu
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F

pytestmark = needs_gpu
SET = settings(max_examples=8, deadline=None)
RNG = np.random.default_rng(1234)


def cpu(a, grad=False):
    t = st.from_numpy(np.array(a, order="C", copy=True))
    return t.requires_grad_() if grad else t


def dev(t, grad=False):
    """The CUDA copy of a CPU tensor, as a fresh leaf."""
    g = t.detach().to("cuda")
    return g.requires_grad_() if grad else g


def host(t):
    """A tensor's values as float64 numpy (16-bit ones widened exactly)."""
    t = t.detach().cpu()
    return (t.to(st.float64) if t.is_floating_point() else t).numpy().astype(np.float64)


def close(a, b, rtol, atol):
    np.testing.assert_allclose(host(a) if not isinstance(a, np.ndarray) else a,
                               host(b) if not isinstance(b, np.ndarray) else b, rtol=rtol, atol=atol)


def row_tol(dt, n=1):
    s = math.sqrt(max(n, 1))
    return dict(rtol=2e-5 * s, atol=2e-6 * s) if dt == np.float32 else dict(rtol=1e-11, atol=1e-12)


def gemm_tol(dt, k):
    if dt == np.float64:
        return dict(rtol=1e-10, atol=1e-12 * math.sqrt(k))
    return dict(rtol=1e-4, atol=1e-5 * math.sqrt(k))


# ---------------------------------------------------------------- linalg


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [
    ((5, 7), (7, 3)), ((1, 1), (1, 1)), ((7,), (7, 4)), ((6, 7), (7,)), ((9,), (9,)),
    ((300, 257), (257, 129)), ((4, 1, 5, 7), (3, 7, 2)), ((2, 3, 5, 7), (7, 6)), ((5, 7), (2, 3, 7, 4)),
    ((3, 1, 4, 5), (1, 2, 5, 6)),
])
def test_matmul_matches_cpu(dt, shapes):
    a = cpu(RNG.standard_normal(shapes[0]).astype(dt))
    b = cpu(RNG.standard_normal(shapes[1]).astype(dt))
    got = st.matmul(dev(a), dev(b))
    assert got.device.type == "cuda"
    want = st.matmul(a, b)
    assert tuple(got.shape) == tuple(want.shape)
    close(got, want, **gemm_tol(dt, shapes[0][-1]))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_matmul_views_transposed_strided_and_broadcast(dt):
    base_a = cpu(RNG.standard_normal((3, 9, 11)).astype(dt))
    base_b = cpu(RNG.standard_normal((3, 13, 9)).astype(dt))
    base_c = cpu(RNG.standard_normal((3, 11, 14)).astype(dt))
    cases = [
        (base_a.mT, base_b.mT),                    # both read with OP_T, no copy
        (base_a[:, ::2, :], base_c[:, :, ::2]),    # rows strided (fits); every other column (copied)
        (base_a[1], base_c[0]),                    # batch slices
        (base_a[:, :, 1:10], base_b[:1, :9, :]),   # row stride > cols; a batch of 1 broadcast to 3
    ]
    for a, b in cases:
        got = st.matmul(dev(a), dev(b))
        close(got, st.matmul(a, b), **gemm_tol(dt, a.shape[-1]))


@pytest.mark.parametrize("dt,rtol", [(st.bfloat16, 2e-2), (st.float16, 2e-3)])
def test_matmul_16bit_accumulates_in_float32(dt, rtol):
    a = cpu(RNG.standard_normal((2, 33, 200)).astype(np.float32) * 0.5)
    b = cpu(RNG.standard_normal((200, 65)).astype(np.float32) * 0.5)
    a16, b16 = a.to(dt), b.to(dt)
    got = st.matmul(dev(a16), dev(b16))
    assert got.dtype == dt
    # The exact product of the rounded operands, in float64, rounded once to the 16-bit type.
    exact = np.matmul(host(a16), host(b16))
    np.testing.assert_allclose(host(got), exact, rtol=rtol, atol=rtol * 0.1)


def test_float32_matmul_is_full_precision_unless_tf32_is_allowed():
    a = cpu(RNG.standard_normal((64, 2048)).astype(np.float32))
    b = cpu(RNG.standard_normal((2048, 64)).astype(np.float32))
    exact = np.matmul(host(a), host(b))
    assert st.get_float32_matmul_precision() == "highest"
    assert st.backends.cuda.matmul.allow_tf32 is False
    err_full = np.abs(host(st.matmul(dev(a), dev(b))) - exact).max()
    assert err_full < 2e-3  # float32 sums of 2048 unit-variance products: errors ~1e-4
    try:
        st.backends.cuda.matmul.allow_tf32 = True
        assert st.get_float32_matmul_precision() == "high"
        err_tf32 = np.abs(host(st.matmul(dev(a), dev(b))) - exact).max()
    finally:
        st.set_float32_matmul_precision("highest")
    assert st.backends.cuda.matmul.allow_tf32 is False
    # TF32 keeps 10 mantissa bits: its error is far above float32's but still bounded.
    assert err_tf32 < 0.5
    assert err_tf32 > 4 * err_full


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("sizes", [(1, 1, 1), (7, 5, 3), (300, 129, 257), (0, 4, 3)])
def test_linear_forward_backward(dt, bias, sizes):
    m, i, o = sizes
    x = cpu(RNG.standard_normal((2, m, i)).astype(dt), True)
    w = cpu(RNG.standard_normal((o, i)).astype(dt), True)
    b = cpu(RNG.standard_normal((o,)).astype(dt), True) if bias else None
    xg, wg = dev(x, True), dev(w, True)
    bg = dev(b, True) if bias else None
    y, yg = F.linear(x, w, b), F.linear(xg, wg, bg)
    tol = gemm_tol(dt, max(i, 1))
    close(yg, y, **tol)
    g = cpu(RNG.standard_normal(tuple(y.shape)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    close(xg.grad, x.grad, **gemm_tol(dt, max(o, 1)))
    close(wg.grad, w.grad, **gemm_tol(dt, max(2 * m, 1)))
    assert wg.grad.device.type == "cuda"
    if bias:
        close(bg.grad, b.grad, **gemm_tol(dt, max(2 * m, 1)))


def test_linear_transposed_weight_and_16bit():
    wt = cpu(RNG.standard_normal((9, 6)).astype(np.float32))
    x = cpu(RNG.standard_normal((5, 9)).astype(np.float32))
    w = wt.mT  # (6, 9) column-major: read with OP_T
    close(F.linear(dev(x), dev(w)), F.linear(x, w), **gemm_tol(np.float32, 9))
    for dt, rtol in [(st.bfloat16, 2e-2), (st.float16, 2e-3)]:
        xb = dev(x.to(dt), True)
        wb = dev(wt.mT.contiguous().to(dt), True)
        bb = dev(cpu(RNG.standard_normal((6,)).astype(np.float32)).to(dt), True)
        y = F.linear(xb, wb, bb)
        exact = host(x.to(dt)) @ host(wb).T + host(bb)
        np.testing.assert_allclose(host(y), exact, rtol=rtol, atol=rtol)
        y.sum().backward()
        np.testing.assert_allclose(host(bb.grad), np.full(6, 5.0), rtol=rtol)
        np.testing.assert_allclose(host(wb.grad), np.tile(host(x.to(dt)).sum(0), (6, 1)), rtol=rtol, atol=rtol)


def test_matmul_integer_on_cuda_is_a_clear_error():
    a = dev(cpu(np.arange(6, dtype=np.int64).reshape(2, 3)))
    with pytest.raises(NotImplementedError, match="int64"):
        st.matmul(a, a.mT)


# ---------------------------------------------------------------- softmax


@SET
@given(rows=hs.sampled_from([0, 1, 3, 33]), n=hs.sampled_from([1, 7, 255, 256, 257, 1000, 4097]),
       dt=hs.sampled_from([np.float32, np.float64]), log=hs.booleans())
def test_softmax_forward_backward(rows, n, dt, log):
    x = cpu((RNG.standard_normal((rows, n)) * 4).astype(dt), True)
    xg = dev(x, True)
    f = F.log_softmax if log else F.softmax
    y, yg = f(x, dim=-1), f(xg, dim=-1)
    close(yg, y, **row_tol(dt, n))
    g = cpu(RNG.standard_normal((rows, n)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    close(xg.grad, x.grad, **row_tol(dt, n))


def test_softmax_other_dim_extreme_values_and_bfloat16():
    x = cpu(np.array([[1e4, -1e4, 0.0], [-np.inf, 0.0, 1.0], [50.0, 50.0, 50.0]], np.float32))
    close(F.softmax(dev(x), dim=0), F.softmax(x, dim=0), rtol=1e-6, atol=1e-7)
    close(F.log_softmax(dev(x), dim=1), F.log_softmax(x, dim=1), rtol=1e-6, atol=1e-6)
    xb = cpu(RNG.standard_normal((4, 300)).astype(np.float32)).to(st.bfloat16)
    got = F.softmax(dev(xb), dim=-1)
    assert got.dtype == st.bfloat16
    close(got, F.softmax(xb, dim=-1), rtol=1e-2, atol=1e-4)


# ---------------------------------------------------------------- losses


@SET
@given(m=hs.sampled_from([1, 5, 300]), c=hs.sampled_from([1, 3, 257, 1000]), weighted=hs.booleans(),
       ls=hs.sampled_from([0.0, 0.1]), red=hs.sampled_from(["mean", "sum", "none"]),
       dt=hs.sampled_from([np.float32, np.float64]))
def test_cross_entropy_index_targets(m, c, weighted, ls, red, dt):
    x = cpu((RNG.standard_normal((m, c)) * 3).astype(dt), True)
    t = RNG.integers(0, c, size=m)
    t[:: 3] = -100  # some ignored
    tc = cpu(t.astype(np.int64))
    w = cpu(RNG.uniform(0.5, 2.0, size=c).astype(dt)) if weighted else None
    xg = dev(x, True)
    kw = dict(ignore_index=-100, reduction=red, label_smoothing=ls)
    y = F.cross_entropy(x, tc, weight=w, **kw)
    yg = F.cross_entropy(xg, dev(tc), weight=dev(w) if weighted else None, **kw)
    close(yg, y, **row_tol(dt, c * m))
    g = cpu(RNG.standard_normal(tuple(y.shape)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    close(xg.grad, x.grad, **row_tol(dt, c))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_and_nll(dt, red):
    m, c = 37, 300
    x = cpu(RNG.standard_normal((m, c)).astype(dt), True)
    p = cpu(RNG.dirichlet(np.ones(c), size=m).astype(dt), True)
    w = cpu(RNG.uniform(0.5, 2.0, size=c).astype(dt))
    xg, pg = dev(x, True), dev(p, True)
    y = F.cross_entropy(x, p, weight=w, reduction=red, label_smoothing=0.05)
    yg = F.cross_entropy(xg, pg, weight=dev(w), reduction=red, label_smoothing=0.05)
    close(yg, y, **row_tol(dt, c * m))
    g = cpu(RNG.standard_normal(tuple(y.shape)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    close(xg.grad, x.grad, **row_tol(dt, c))
    close(pg.grad, p.grad, **row_tol(dt, c))
    # nll_loss on log-probabilities, with ignored targets and weights.
    lp = cpu(RNG.standard_normal((m, c)).astype(dt), True)
    lpg = dev(lp, True)
    t = RNG.integers(0, c, size=m)
    t[1] = 7
    t[::5] = 7
    tc = cpu(t.astype(np.int64))
    y = F.nll_loss(lp, tc, weight=w, ignore_index=7, reduction=red)
    yg = F.nll_loss(lpg, dev(tc), weight=dev(w), ignore_index=7, reduction=red)
    close(yg, y, **row_tol(dt, m))
    g = cpu(RNG.standard_normal(tuple(y.shape)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    close(lpg.grad, lp.grad, **row_tol(dt, m))


def test_class_index_out_of_range_on_cuda_raises():
    x = dev(cpu(RNG.standard_normal((4, 5)).astype(np.float32)))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, dev(cpu(np.array([0, 1, 5, 2], np.int64))))
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(dev(cpu(np.array([3, -1], np.int64))), x)


# ---------------------------------------------------------------- norms


@SET
@given(m=hs.sampled_from([0, 1, 3, 257]), n=hs.sampled_from([1, 7, 256, 1000, 3001]),
       affine=hs.booleans(), dt=hs.sampled_from([np.float32, np.float64]))
def test_layer_norm_forward_backward(m, n, affine, dt):
    x = cpu((RNG.standard_normal((m, n)) * 2 + 1).astype(dt), True)
    w = cpu(RNG.standard_normal(n).astype(dt), True) if affine else None
    b = cpu(RNG.standard_normal(n).astype(dt), True) if affine else None
    xg = dev(x, True)
    wg, bg = (dev(w, True), dev(b, True)) if affine else (None, None)
    y, yg = F.layer_norm(x, (n,), w, b, 1e-5), F.layer_norm(xg, (n,), wg, bg, 1e-5)
    close(yg, y, **row_tol(dt, n))
    g = cpu(RNG.standard_normal((m, n)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    if m > 0:
        close(xg.grad, x.grad, **row_tol(dt, n))
    if affine:
        close(wg.grad, w.grad, **row_tol(dt, m))
        close(bg.grad, b.grad, **row_tol(dt, m))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (300, 513)])
def test_rms_norm_forward_backward(dt, shape):
    n = shape[-1]
    x = cpu(RNG.standard_normal(shape).astype(dt), True)
    w = cpu(RNG.standard_normal(n).astype(dt), True)
    xg, wg = dev(x, True), dev(w, True)
    y, yg = F.rms_norm(x, (n,), w, 1e-6), F.rms_norm(xg, (n,), wg, 1e-6)
    close(yg, y, **row_tol(dt, n))
    g = cpu(RNG.standard_normal(shape).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    close(xg.grad, x.grad, **row_tol(dt, n))
    close(wg.grad, w.grad, **row_tol(dt, shape[0]))


# ---------------------------------------------------------------- activations

ACTS = [
    ("gelu", lambda t: F.gelu(t)), ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh")), ("silu", F.silu),
    ("relu", F.relu), ("softplus", lambda t: F.softplus(t, beta=2.0, threshold=5.0)),
    ("leaky_relu", lambda t: F.leaky_relu(t, 0.05)), ("elu", F.elu), ("selu", F.selu),
    ("celu", lambda t: F.celu(t, 0.7)), ("hardswish", F.hardswish), ("hardsigmoid", F.hardsigmoid),
    ("hardtanh", lambda t: F.hardtanh(t, -0.5, 1.5)), ("mish", F.mish), ("logsigmoid", F.logsigmoid),
    ("softsign", F.softsign), ("erf", st.erf),
]


@pytest.mark.parametrize("name,f", ACTS, ids=[a[0] for a in ACTS])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_activation_forward_backward(name, f, dt):
    for n in (0, 1, 1000, 70001):
        x = cpu((RNG.standard_normal(n) * 4).astype(dt), True)
        xg = dev(x, True)
        y, yg = f(x), f(xg)
        tol = dict(rtol=4e-6, atol=4e-7) if dt == np.float32 else dict(rtol=1e-13, atol=1e-14)
        close(yg, y, **tol)
        g = cpu(RNG.standard_normal(n).astype(dt))
        y.backward(g)
        yg.backward(dev(g))
        close(xg.grad, x.grad, **tol)


# ---------------------------------------------------------------- dropout, embedding


def test_dropout_draws_the_cpu_mask_for_the_same_seed():
    x = cpu(RNG.standard_normal((3, 1001)).astype(np.float32), True)
    xg = dev(x, True)
    st.manual_seed(7)
    st.cuda.manual_seed(7)
    y = F.dropout(x, 0.3, training=True)
    st.manual_seed(7)
    st.cuda.manual_seed(7)
    yg = F.dropout(xg, 0.3, training=True)
    assert yg.device.type == "cuda"
    np.testing.assert_array_equal(host(yg), host(y))
    keep = host(y) != 0
    assert 0.6 < keep.mean() < 0.8
    yg.sum().backward()
    np.testing.assert_array_equal(host(xg.grad), np.where(keep, np.float32(1 / 0.7), np.float32(0)).astype(np.float64))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_embedding_forward_and_deterministic_backward(dt):
    num, dim = 50, 300
    w = cpu(RNG.standard_normal((num, dim)).astype(dt), True)
    wg = dev(w, True)
    idx = RNG.integers(0, num, size=(7, 130))
    idx[0, :40] = 3  # many repeats of one row
    idx[1, :] = 0
    ic = cpu(idx.astype(np.int64))
    y, yg = F.embedding(ic, w, padding_idx=0), F.embedding(dev(ic), wg, padding_idx=0)
    np.testing.assert_array_equal(host(yg), host(y))
    g = cpu(RNG.standard_normal(tuple(y.shape)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    # Each row's gradient is added in index order on both devices: the same bits.
    np.testing.assert_array_equal(host(wg.grad), host(w.grad))
    assert not host(wg.grad)[0].any()


# ---------------------------------------------------------------- attention


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("mask", ["none", "causal", "bool", "additive"])
def test_sdpa_forward_backward(dt, mask):
    b, h, L, S, E = 2, 3, 17, 17, 8
    q = cpu(RNG.standard_normal((b, h, L, E)).astype(dt), True)
    k = cpu(RNG.standard_normal((b, h, S, E)).astype(dt), True)
    v = cpu(RNG.standard_normal((b, h, S, E)).astype(dt), True)
    qg, kg, vg = dev(q, True), dev(k, True), dev(v, True)
    am = amg = None
    causal = mask == "causal"
    if mask == "bool":
        m = RNG.random((L, S)) < 0.7
        m[:, 0] = True
        am = cpu(m)
        amg = dev(am)
    elif mask == "additive":
        am = cpu(RNG.standard_normal((L, S)).astype(dt))
        amg = dev(am)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=am, is_causal=causal)
    yg = F.scaled_dot_product_attention(qg, kg, vg, attn_mask=amg, is_causal=causal)
    tol = gemm_tol(dt, S)
    close(yg, y, **tol)
    g = cpu(RNG.standard_normal(tuple(y.shape)).astype(dt))
    y.backward(g)
    yg.backward(dev(g))
    for a, c in ((qg, q), (kg, k), (vg, v)):
        close(a.grad, c.grad, **tol)


# ---------------------------------------------------------------- training


def test_gradients_live_on_the_device_and_accumulate():
    w = dev(cpu(RNG.standard_normal((4, 3)).astype(np.float32)), True)
    x = dev(cpu(RNG.standard_normal((5, 3)).astype(np.float32)))
    for _ in range(2):
        F.linear(x, w).sum().backward()
    assert w.grad.device.type == "cuda"
    np.testing.assert_allclose(host(w.grad), 2 * np.tile(host(x).sum(0), (4, 1)), rtol=1e-5, atol=1e-5)


def _train(model, batches, device, steps=5):
    model = model.to(device)
    opt = st.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    losses = []
    for x, t in batches[:steps]:
        opt.zero_grad()
        loss = F.cross_entropy(model(x.to(device)), t.to(device))
        loss.backward()
        opt.step()
        losses.append(float(loss.detach().cpu().item()))
    return losses


def _twins(make):
    st.manual_seed(0)
    a = make()
    b = make()
    b.load_state_dict(a.state_dict())
    return a, b


def test_tiny_mlp_trains_alike_on_cuda_and_cpu():
    make = lambda: st.nn.Sequential(st.nn.Linear(20, 64), st.nn.GELU(), st.nn.Linear(64, 64), st.nn.ReLU(),  # noqa: E731
                                    st.nn.Linear(64, 7))
    a, b = _twins(make)
    batches = [(cpu(RNG.standard_normal((33, 20)).astype(np.float32)), cpu(RNG.integers(0, 7, 33).astype(np.int64)))
               for _ in range(5)]
    lc, lg = _train(a, batches, "cpu"), _train(b, batches, "cuda")
    np.testing.assert_allclose(lg, lc, rtol=1e-3, atol=1e-4)  # AdamW steps amplify summation-order noise
    assert lg[-1] < lg[0]


class TinyGPT(st.nn.Module):
    def __init__(self, vocab=61, d=32, heads=4, T=16):
        super().__init__()
        self.h, self.T = heads, T
        self.tok = st.nn.Embedding(vocab, d)
        self.pos = st.nn.Embedding(T, d)
        self.ln1, self.ln2, self.lnf = st.nn.LayerNorm(d), st.nn.LayerNorm(d), st.nn.LayerNorm(d)
        self.qkv, self.proj = st.nn.Linear(d, 3 * d), st.nn.Linear(d, d)
        self.fc1, self.fc2 = st.nn.Linear(d, 4 * d), st.nn.Linear(4 * d, d)
        self.head = st.nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        B, T = idx.shape
        pos = st.arange(T, device=idx.device)
        x = self.tok(idx) + self.pos(pos)
        q, k, v = self.qkv(self.ln1(x)).split(x.shape[-1], dim=-1)
        sh = lambda t: t.reshape(B, T, self.h, -1).transpose(1, 2)  # noqa: E731
        a = F.scaled_dot_product_attention(sh(q), sh(k), sh(v), is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(B, T, -1))
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        return self.head(self.lnf(x)).reshape(B * T, -1)


def test_tiny_transformer_trains_alike_on_cuda_and_cpu():
    a, b = _twins(TinyGPT)
    batches = []
    for _ in range(5):
        seq = RNG.integers(0, 61, size=(4, 17))
        batches.append((cpu(seq[:, :16].astype(np.int64)), cpu(seq[:, 1:].reshape(-1).astype(np.int64))))
    lc, lg = _train(a, batches, "cpu"), _train(b, batches, "cuda")
    np.testing.assert_allclose(lg, lc, rtol=1e-3, atol=1e-4)
    assert lg[-1] < lg[0]


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
def test_autocast_linear_weight_gradients_are_float32_sums(dt):
    """Under CUDA autocast the float32 weight and bias of linear get float32 gradients from the
    16-bit product (cuBLAS with a float32 C, float32 column sums), equal to float64 sums of the
    rounded operands within float32 accumulation, as on the CPU."""
    import ml_dtypes

    low = {"bfloat16": ml_dtypes.bfloat16, "float16": np.float16}[dt]
    x, w, b = (RNG.standard_normal(s).astype(np.float32) for s in [(300, 40), (24, 40), (24,)])
    g = RNG.standard_normal((300, 24)).astype(np.float32)
    xr, gr = (a.astype(low).astype(np.float64) for a in (x, g))
    wd, bd = dev(cpu(w), grad=True), dev(cpu(b), grad=True)
    with st.autocast("cuda", dtype=getattr(st, dt)):
        out = F.linear(dev(cpu(x)), wd, bd)
    assert out.dtype == getattr(st, dt)
    out.backward(dev(cpu(g)).to(getattr(st, dt)))
    assert wd.grad.dtype == st.float32 and bd.grad.dtype == st.float32
    gw, gb = wd.grad.cpu().numpy().astype(np.float64), bd.grad.cpu().numpy().astype(np.float64)
    assert np.all(np.abs(gw - gr.T @ xr) <= 300 * 2.0**-23 * (np.abs(gr).T @ np.abs(xr)))
    assert np.all(np.abs(gb - gr.sum(0)) <= 300 * 2.0**-23 * np.abs(gr).sum(0))
