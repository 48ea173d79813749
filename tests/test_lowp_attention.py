"""scaled_dot_product_attention in bfloat16/float16, forward and backward, on both 16-bit GEMM
paths: against float64 formulas on the same rounded inputs with a stated bound, and against
torch's bfloat16 attention (math backend). MultiheadAttention in bfloat16 against torch's.

Bound. q k^T is accumulated in float32 (error per score at most d = (E + 5) 2^-24 scale
(|q| |k|^T)); the softmax runs in float32, so each probability is off by a relative
2 d + (S + 10) 2^-24 before its one rounding to the 16-bit dtype (unit roundoff u). With
P the float64 probabilities:
    out:    u |ref| + 1.02 (u + e) (P |V|),                     e = 2 d + (2 S + 14) 2^-24
    grad v: u |ref| + 1.02 (u + e + L 2^-24) (P^T |g|)
The gradient of the scores, dS = scale P (dP - rowsum(dP P)) with dP = g v^T, is computed in
float32 and rounded once; with G = |g| |v|^T its terms are bounded by
D = scale P (G + rowsum(G P)), and its float32 error by e' D, e' = e + (Ev + 24) 2^-24:
    grad q: u |ref| + 1.02 (u + e' + S 2^-24) (D |K|)
    grad k: u |ref| + 1.02 (u + e' + L 2^-24) (D^T |Q|)
plus 2^-25 for float16 results (half its smallest subnormal step)."""
import contextlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs
from torch.nn.attention import SDPBackend, sdpa_kernel

import steepest as st
import steepest.nn.functional as F


def _native_available():
    before = st._core._bf16_gemm_path()
    try:
        st._core._set_bf16_gemm_path("avx512_bf16")
    except ValueError:
        return False
    st._core._set_bf16_gemm_path(before)
    return True


PATHS = ["f32"] + (["avx512_bf16"] if _native_available() else [])
U = {"bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}
U24 = 2.0 ** -24


@contextlib.contextmanager
def gemm_path(name):
    before = st._core._bf16_gemm_path()
    st._core._set_bf16_gemm_path(name)
    try:
        yield
    finally:
        st._core._set_bf16_gemm_path(before)


def f64(t):
    return np.asarray(t.detach().float().numpy(), dtype=np.float64)


def st_of(t, requires_grad=False):
    if t.dtype == torch.bool:
        return st.tensor(t.numpy())
    dt = {torch.bfloat16: st.bfloat16, torch.float16: st.float16, torch.float32: st.float32}[t.dtype]
    return st.tensor(t.float().numpy(), dtype=dt, requires_grad=requires_grad)


def reference(q, k, v, g, add, scale):
    """float64 values, gradients and the bounds' magnitudes (numpy, batched over leading dims)."""
    s = scale * q @ np.swapaxes(k, -1, -2) + add
    m = np.max(s, -1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(s - m)
    p = e / e.sum(-1, keepdims=True)
    out = p @ v
    dp = g @ np.swapaxes(v, -1, -2)
    ds = scale * p * (dp - (dp * p).sum(-1, keepdims=True))
    gq, gk, gv = ds @ k, np.swapaxes(ds, -1, -2) @ q, np.swapaxes(p, -1, -2) @ g
    G = np.abs(g) @ np.swapaxes(np.abs(v), -1, -2)
    D = scale * p * (G + (G * p).sum(-1, keepdims=True))
    d_score = np.max(scale * np.abs(q) @ np.swapaxes(np.abs(k), -1, -2), axis=-1, keepdims=True)
    return out, gq, gk, gv, p, D, d_score


def check(got, ref, mag, u, slack, what):
    tiny = 2.0 ** -25 if u == U["float16"] else 0.0  # results below float16's normal range round absolutely
    bound = u * np.abs(ref) + 1.02 * (u + slack) * mag + tiny
    err = np.abs(got - ref)
    assert np.all(err <= bound), f"{what}: max excess {np.max(err - bound):.3g}"


def bounds(q, k, v, g, add, scale, u):
    out, gq, gk, gv, p, D, d_score = reference(q, k, v, g, add, scale)
    L, S, E, Ev = q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    d = (E + 5) * U24 * np.max(d_score)
    e = 2 * d + (2 * S + 14) * U24
    e2 = e + (Ev + 24) * U24
    T = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    return [(out, p @ np.abs(v), e), (gq, D @ np.abs(k), e2 + S * U24), (gk, T(D) @ np.abs(q), e2 + L * U24),
            (gv, T(p) @ np.abs(g), e + L * U24)]


CASES = hs.fixed_dictionaries({
    "dtype": hs.sampled_from(["bfloat16", "float16"]), "b": hs.integers(1, 2), "h": hs.integers(1, 2),
    "L": hs.integers(1, 9), "S": hs.integers(1, 9), "E": hs.integers(1, 16), "Ev": hs.integers(1, 12),
    "mask": hs.sampled_from(["none", "causal", "bool", "float"]), "scale": hs.sampled_from([None, 0.3]),
    "seed": hs.integers(0, 2 ** 16)})


def build(c):
    rng = np.random.default_rng(c["seed"])
    tdt = getattr(torch, c["dtype"])
    mk = lambda *s: torch.from_numpy(rng.standard_normal(s).astype(np.float32)).to(tdt)  # noqa: E731
    lead = (c["b"], c["h"])
    q, k, v = mk(*lead, c["L"], c["E"]), mk(*lead, c["S"], c["E"]), mk(*lead, c["S"], c["Ev"])
    g = mk(*lead, c["L"], c["Ev"])
    L, S = c["L"], c["S"]
    add = np.zeros((L, S))
    kw = {"scale": c["scale"]}
    if c["mask"] == "causal":
        kw["is_causal"] = True
        add = np.where(np.arange(S)[None, :] > np.arange(L)[:, None], -np.inf, 0.0)
    elif c["mask"] == "bool":
        keep = rng.random((L, S)) < 0.7
        keep[:, 0] = True  # every row keeps a key
        kw["attn_mask"] = torch.from_numpy(keep)
        add = np.where(keep, 0.0, -np.inf)
    elif c["mask"] == "float":
        fm = mk(L, S)
        kw["attn_mask"] = fm
        add = f64(fm)
    scale = c["scale"] if c["scale"] is not None else 1.0 / np.sqrt(c["E"])
    return q, k, v, g, kw, add, scale


def run_steepest(q, k, v, g, kw):
    qs, ks, vs = st_of(q, True), st_of(k, True), st_of(v, True)
    skw = {n: (st_of(a) if isinstance(a, torch.Tensor) else a) for n, a in kw.items()}
    y = F.scaled_dot_product_attention(qs, ks, vs, **skw)
    y.backward(st_of(g))
    return [y, qs.grad, ks.grad, vs.grad]


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=30, deadline=None)
@given(c=CASES)
def test_against_float64_bound(path, c):
    q, k, v, g, kw, add, scale = build(c)
    with gemm_path(path):
        got = run_steepest(q, k, v, g, kw)
    assert all(t.dtype == getattr(st, c["dtype"]) for t in got)
    # the bound's scores come from the same rounded mask the op adds
    for name, a, (ref, mag, slack) in zip(("out", "gq", "gk", "gv"), got,
                                          bounds(f64(q), f64(k), f64(v), f64(g), add, scale, U[c["dtype"]])):
        check(f64(a), ref, mag, U[c["dtype"]], slack, f"{c['mask']} {name}")


@settings(max_examples=15, deadline=None)
@given(c=CASES.filter(lambda c: c["dtype"] == "bfloat16"))
def test_against_torch_math_backend(c):
    """torch's bfloat16 math attention meets the same bound, so the two lie within twice it."""
    q, k, v, g, kw, add, scale = build(c)
    got = run_steepest(q, k, v, g, kw)
    ins = [t.clone().requires_grad_() for t in (q, k, v)]
    with sdpa_kernel(SDPBackend.MATH):
        y = TF.scaled_dot_product_attention(*ins, **kw)
    y.backward(g)
    theirs = [y] + [t.grad for t in ins]
    u = U["bfloat16"]
    for name, a, t, (ref, mag, slack) in zip(("out", "gq", "gk", "gv"), got, theirs,
                                             bounds(f64(q), f64(k), f64(v), f64(g), add, scale, u)):
        bound = 2 * (u * np.abs(ref) + 1.02 * (u + slack) * mag)
        err = np.abs(f64(a) - f64(t))
        assert np.all(err <= bound), f"{c['mask']} {name} vs torch: max excess {np.max(err - bound):.3g}"


def test_dropout_and_broadcast_batch_take_the_general_path():
    rng = np.random.default_rng(4)
    q = st.tensor(rng.standard_normal((2, 3, 5, 8)), dtype=st.bfloat16, requires_grad=True)
    k = st.tensor(rng.standard_normal((1, 3, 6, 8)), dtype=st.bfloat16, requires_grad=True)
    v = st.tensor(rng.standard_normal((1, 3, 6, 4)), dtype=st.bfloat16, requires_grad=True)
    y = F.scaled_dot_product_attention(q, k, v)
    yt = TF.scaled_dot_product_attention(*(torch.from_numpy(f64(t)).bfloat16() for t in (q, k, v)))
    np.testing.assert_allclose(f64(y), f64(yt), rtol=2 ** -6, atol=2 ** -6)
    y.sum().backward()
    assert tuple(k.grad.shape) == (1, 3, 6, 8) and k.grad.dtype == st.bfloat16
    yd = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert yd.dtype == st.bfloat16 and tuple(yd.shape) == (2, 3, 5, 8)


def test_multihead_attention_bfloat16_matches_torch():
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(16, 4, batch_first=True)
    sm = st.nn.MultiheadAttention(16, 4, batch_first=True)
    sm.load_state_dict({n: st.tensor(p.detach().numpy()) for n, p in tm.state_dict().items()})
    tm, sm = tm.bfloat16(), sm.to(st.bfloat16)
    x = torch.randn(2, 7, 16).bfloat16()
    yt, _ = tm(x, x, x, need_weights=False)
    ys, _ = sm(*(st_of(x),) * 3, need_weights=False)
    assert ys.dtype == st.bfloat16
    np.testing.assert_allclose(f64(ys), f64(yt), rtol=2 ** -5, atol=2 ** -5)
