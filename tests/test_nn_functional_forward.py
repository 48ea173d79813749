"""st.nn.functional forward values: against float64 numpy formulas written here and against
torch (which defines the semantics), plus argument errors. Gradients are tested elsewhere."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as hst

import steepest as st
import steepest.nn.functional as F
from steepest.nn import _composite

RNG = np.random.default_rng(0)


def S(a):
    return st.tensor(np.asarray(a))


def T(a):
    return torch.from_numpy(np.array(a))


def close(x, ref, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(x.numpy() if isinstance(x, st.Tensor) else x, dtype=np.float64),
                               np.asarray(ref, dtype=np.float64), rtol=rtol, atol=atol)


def randn(*shape, dtype=np.float32, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


# ---- erf (the building block of exact gelu) ----------------------------------------------
def test_erf_and_erfc_reach_float64_rounding():
    z = np.concatenate([np.linspace(-6, 6, 4001), np.linspace(-27, 27, 2001), [0.0, 2.5, -2.5, 1e-300]])
    got_erf = _composite.erf(S(z)).numpy()
    got_erfc = _composite.erfc(S(z)).numpy()
    ref_erf = np.array([math.erf(v) for v in z])
    ref_erfc = np.array([math.erfc(v) for v in z])
    np.testing.assert_allclose(got_erf, ref_erf, rtol=1e-13, atol=1e-300)
    tiny = ref_erfc > 1e-290  # beyond this, erfc is subnormal
    np.testing.assert_allclose(got_erfc[tiny], ref_erfc[tiny], rtol=1e-11)


# ---- activations ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_match_formulas(dtype):
    x = randn(7, 13, dtype=dtype, scale=3)
    x64 = x.astype(np.float64)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    close(F.relu(S(x)), np.maximum(x64, 0), rtol)
    close(F.sigmoid(S(x)), 1 / (1 + np.exp(-x64)), rtol)
    close(F.tanh(S(x)), np.tanh(x64), rtol)
    close(F.silu(S(x)), x64 / (1 + np.exp(-x64)), rtol, atol=1e-6 if dtype == np.float32 else 1e-14)
    phi = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x64.ravel()]).reshape(x64.shape)
    close(F.gelu(S(x)), x64 * phi, rtol, atol=1e-7 if dtype == np.float32 else 1e-15)
    tanh_ref = 0.5 * x64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64**3)))
    close(F.gelu(S(x), approximate="tanh"), tanh_ref, rtol, atol=1e-6 if dtype == np.float32 else 1e-14)


def test_gelu_matches_torch_and_stays_accurate_in_the_tails():
    x = np.concatenate([np.linspace(-40, 40, 801), randn(500, scale=4)]).astype(np.float32)
    for approx in ("none", "tanh"):
        ref = TF.gelu(T(x), approximate=approx).numpy()
        got = F.gelu(S(x), approximate=approx).numpy()
        np.testing.assert_allclose(got, ref, rtol=2e-6, atol=2e-6)
    # Against float64 where Phi(x) = (1 + erf(x / sqrt 2)) / 2 doesn't cancel (x > -4): the
    # fused float32 kernel, like torch's, loses relative accuracy in the far left tail.
    x64 = x.astype(np.float64)
    exact = x64 * np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x64])
    body = x64 > -4
    np.testing.assert_allclose(F.gelu(S(x)).numpy()[body], exact[body], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(S(x), approximate="fast")


def test_relu_inplace_changes_input():
    x = S(np.array([-1.0, 2.0], np.float32))
    out = F.relu(x, inplace=True)
    assert x.tolist() == [0.0, 2.0] and out.tolist() == [0.0, 2.0]


# ---- softmax -----------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(shape=hst.lists(hst.sampled_from([1, 2, 3, 7]), min_size=1, max_size=4), data=hst.data())
def test_softmax_log_softmax_against_numpy(shape, data):
    dim = data.draw(hst.integers(-len(shape), len(shape) - 1))
    x = randn(*shape, dtype=np.float64, scale=20)
    m = x.max(axis=dim, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=dim, keepdims=True))
    close(F.log_softmax(S(x), dim), x - lse, 1e-12, 1e-12)
    close(F.softmax(S(x), dim), np.exp(x - lse), 1e-12, 1e-15)


def test_softmax_is_stable_for_huge_logits_and_matches_torch():
    x = np.array([[1000.0, 0.0, -1000.0], [88.0, 89.0, 90.0]], np.float32)
    close(F.softmax(S(x), 1), TF.softmax(T(x), 1).numpy(), 1e-6, 1e-30)
    close(F.log_softmax(S(x), 1), TF.log_softmax(T(x), 1).numpy(), 1e-6, 1e-5)
    assert np.isfinite(F.log_softmax(S(x), 1).numpy()).all()


def test_softmax_dtype_and_implicit_dim():
    x = randn(2, 3)
    out = F.softmax(S(x), 1, dtype=st.float64)
    assert out.dtype == st.float64
    with pytest.warns(UserWarning, match="Implicit dimension"):
        close(F.softmax(S(x)), TF.softmax(T(x), 1).numpy())  # 2-D: torch picks dim 1
    with pytest.raises(IndexError, match="out of range"):
        F.softmax(S(x), 2)
    with pytest.raises(TypeError, match="floating"):
        F.log_softmax(st.tensor([1, 2]), 0)


# ---- linear, layer_norm, embedding ----------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(batch=hst.lists(hst.sampled_from([0, 1, 3, 5]), max_size=2),
       fin=hst.sampled_from([1, 4, 7]), fout=hst.sampled_from([1, 3, 8]), bias=hst.booleans())
def test_linear_against_numpy(batch, fin, fout, bias):
    x, w, b = randn(*batch, fin, dtype=np.float64), randn(fout, fin, dtype=np.float64), randn(fout, dtype=np.float64)
    ref = x @ w.T + (b if bias else 0)
    got = F.linear(S(x), S(w), S(b) if bias else None)
    assert tuple(got.shape) == ref.shape
    close(got, ref, 1e-12, 1e-12)


def test_linear_errors_name_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        F.linear(S(randn(2, 3)), S(randn(4, 5)))
    with pytest.raises(ValueError, match="bias shape"):
        F.linear(S(randn(2, 3)), S(randn(4, 3)), S(randn(5)))
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.linear(randn(2, 3), S(randn(4, 3)))


@pytest.mark.parametrize("norm_shape", [(5,), (3, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_against_numpy_and_torch(norm_shape, affine):
    x = randn(4, 3, 5, dtype=np.float64, scale=3) + 7
    w, b = randn(*norm_shape, dtype=np.float64), randn(*norm_shape, dtype=np.float64)
    axes = tuple(range(3 - len(norm_shape), 3))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    ref = (x - mu) / np.sqrt(var + 1e-5)
    if affine:
        ref = ref * w + b
    got = F.layer_norm(S(x), norm_shape, S(w) if affine else None, S(b) if affine else None)
    close(got, ref, 1e-12, 1e-12)
    x32 = x.astype(np.float32)
    tref = TF.layer_norm(T(x32), norm_shape, T(w.astype(np.float32)) if affine else None,
                         T(b.astype(np.float32)) if affine else None)
    close(F.layer_norm(S(x32), norm_shape, S(w.astype(np.float32)) if affine else None,
                       S(b.astype(np.float32)) if affine else None), tref.numpy(), 1e-4, 1e-5)


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"normalized_shape=\[4\].*\(2, 3\)"):
        F.layer_norm(S(randn(2, 3)), (4,))
    with pytest.raises(ValueError, match="weight of shape"):
        F.layer_norm(S(randn(2, 3)), (3,), S(randn(2)))


def test_embedding_picks_rows():
    w = randn(10, 4)
    idx = np.array([[0, 9, 3], [3, 3, 1]])
    got = F.embedding(S(idx), S(w), padding_idx=0)
    assert tuple(got.shape) == (2, 3, 4)
    close(got, w[idx], 0, 0)
    close(F.embedding(S(idx.astype(np.int32)), S(w)), w[idx], 0, 0)
    with pytest.raises(IndexError, match="10"):
        F.embedding(S(np.array([10])), S(w))
    with pytest.raises(TypeError, match="int64 or int32"):
        F.embedding(S(np.array([1.0])), S(w))
    with pytest.raises(ValueError, match="padding_idx"):
        F.embedding(S(idx), S(w), padding_idx=10)


# ---- dropout -----------------------------------------------------------------------------------------
def test_dropout_statistics_scaling_and_seeding():
    x = st.ones(200_000)
    st.manual_seed(123)
    a = F.dropout(x, 0.3).numpy()
    st.manual_seed(123)
    b = F.dropout(x, 0.3).numpy()
    np.testing.assert_array_equal(a, b)
    kept = a != 0
    # 200k Bernoulli(0.7): std of the kept fraction is ~0.001, so 0.006 is a 6-sigma bound
    assert abs(kept.mean() - 0.7) < 0.006
    np.testing.assert_allclose(a[kept], 1 / 0.7, rtol=1e-6)
    c = F.dropout(x, 0.3).numpy()
    assert (c != a).any()  # the generator moved on


def test_dropout_identity_cases_and_p_one():
    x = S(randn(5, 5))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)


# ---- losses ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_mse_l1_against_numpy(reduction):
    x, y = randn(4, 6, dtype=np.float64), randn(4, 6, dtype=np.float64)
    red = {"none": lambda a: a, "mean": np.mean, "sum": np.sum}[reduction]
    close(F.mse_loss(S(x), S(y), reduction=reduction), red((x - y) ** 2), 1e-12)
    close(F.l1_loss(S(x), S(y), reduction=reduction), red(np.abs(x - y)), 1e-12)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(S(x), S(y), reduction="avg")


def test_mse_legacy_args_and_broadcast_warning():
    x, y = randn(3, 2), randn(3, 2)
    close(F.mse_loss(S(x), S(y), size_average=False), TF.mse_loss(T(x), T(y), reduction="sum").numpy(), 1e-5)
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(S(x), S(randn(2)))


def _ce_cases():
    return [
        dict(shape=(5, 4)), dict(shape=(4,)), dict(shape=(3, 4, 2, 3)),
        dict(shape=(6, 3), weight=True), dict(shape=(6, 3), ignore=True),
        dict(shape=(6, 3), weight=True, ignore=True, ls=0.2), dict(shape=(6, 3), ls=0.1),
        dict(shape=(2, 5, 3), weight=True, ls=0.3, ignore=True),
    ]


@pytest.mark.parametrize("case", _ce_cases())
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_and_nll_class_indices_match_torch(case, reduction):
    shape = case["shape"]
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else shape[:1] + shape[2:]
    x = randn(*shape, scale=3)
    t = RNG.integers(0, C, tshape)
    if case.get("ignore") and t.ndim:
        t.flat[::3] = 2  # ignore_index 2 is also a valid class: those rows must still drop
    w = np.abs(randn(C)) + 0.1 if case.get("weight") else None
    kw = dict(ignore_index=2 if case.get("ignore") else -100, reduction=reduction)
    ls = case.get("ls", 0.0)
    ref = TF.cross_entropy(T(x), T(t), weight=None if w is None else T(w), label_smoothing=ls, **kw)
    got = F.cross_entropy(S(x), S(t), weight=None if w is None else S(w), label_smoothing=ls, **kw)
    assert tuple(got.shape) == tuple(ref.shape)
    close(got, ref.numpy(), 1e-5, 1e-6)
    lp = TF.log_softmax(T(x), 0 if len(shape) == 1 else 1)
    ref_nll = TF.nll_loss(lp, T(t), weight=None if w is None else T(w), **kw)
    close(F.nll_loss(S(lp.numpy()), S(t), weight=None if w is None else S(w), **kw), ref_nll.numpy(), 1e-5, 1e-6)


def test_cross_entropy_against_numpy_formula():
    x = randn(8, 5, dtype=np.float64, scale=4)
    t = RNG.integers(0, 5, 8)
    lse = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1)) + x.max(1)
    close(F.cross_entropy(S(x), S(t)), np.mean(lse - x[np.arange(8), t]), 1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("ls,weight", [(0.0, False), (0.25, False), (0.1, True)])
def test_cross_entropy_probability_targets_match_torch(reduction, ls, weight):
    x = randn(4, 5, 3, scale=2)
    p = np.exp(randn(4, 5, 3))
    p = (p / p.sum(1, keepdims=True)).astype(np.float32)
    w = np.abs(randn(5)) + 0.1 if weight else None
    ref = TF.cross_entropy(T(x), T(p), weight=None if w is None else T(w), reduction=reduction, label_smoothing=ls)
    got = F.cross_entropy(S(x), S(p), weight=None if w is None else S(w), reduction=reduction, label_smoothing=ls)
    close(got, ref.numpy(), 1e-5, 1e-6)


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x, t = randn(3, 4), np.full(3, -100)
    assert math.isnan(float(F.cross_entropy(S(x), S(t))))
    assert math.isnan(float(TF.cross_entropy(T(x), T(t))))


def test_cross_entropy_errors():
    x = S(randn(3, 4))
    with pytest.raises(ValueError, match=r"batch_size \(3\).*\(2\)"):
        F.cross_entropy(x, S(np.array([0, 1])))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, S(np.array([0, 1, 4])))
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(x, S(np.array([0, -1, 2])))
    with pytest.raises(ValueError, match="size 4"):
        F.cross_entropy(x, S(np.array([0, 1, 2])), weight=S(randn(3)))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, S(np.array([0, 1, 2])), label_smoothing=1.5)
    with pytest.raises(ValueError, match="input's shape"):
        F.cross_entropy(x, S(randn(3, 5)))
    with pytest.raises(TypeError, match="class indices"):
        F.nll_loss(x, st.tensor([True, False, True]))


@settings(max_examples=20, deadline=None)
@given(n=hst.sampled_from([0, 1, 7]), c=hst.sampled_from([1, 2, 5]), bad=hst.integers(1, 3))
def test_cross_entropy_target_batch_mismatch_always_raises(n, c, bad):
    with pytest.raises(ValueError):
        F.cross_entropy(S(randn(n, c)), S(np.zeros(n + bad, np.int64)))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("extras", ["", "weight", "pos_weight", "both"])
def test_bce_with_logits_matches_torch_and_numpy(reduction, extras):
    x = np.concatenate([randn(4, 3, scale=5), np.array([[-100.0, 100.0, 0.0]], np.float32)])
    y = RNG.random((5, 3)).astype(np.float32)
    w = np.abs(randn(5, 1)) if extras in ("weight", "both") else None
    pw = np.abs(randn(3)) + 0.5 if extras in ("pos_weight", "both") else None
    ref = TF.binary_cross_entropy_with_logits(T(x), T(y), None if w is None else T(w), reduction=reduction,
                                              pos_weight=None if pw is None else T(pw))
    got = F.binary_cross_entropy_with_logits(S(x), S(y), None if w is None else S(w), reduction=reduction,
                                             pos_weight=None if pw is None else S(pw))
    close(got, ref.numpy(), 1e-5, 1e-6)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    pw64 = 1.0 if pw is None else pw
    ref64 = -(pw64 * y64 * np.log(1 / (1 + np.exp(-x64))) + (1 - y64) * np.log(1 - 1 / (1 + np.exp(-x64))))
    if w is not None:
        ref64 = ref64 * w
    finite = np.isfinite(ref64).all()  # at |x| = 100 the naive formula overflows; torch covers it
    if finite and reduction == "none":
        close(got, ref64, 1e-4, 1e-5)


def test_bce_with_logits_small_loss_is_relatively_accurate():
    # loss = log1p(exp(-x)) for y = 1; at x = 20 it is 2.06e-9, which log(1 + e) would round to 0
    got = F.binary_cross_entropy_with_logits(S(np.array([20.0])), S(np.array([1.0])), reduction="none")
    close(got, [math.log1p(math.exp(-20))], 1e-6, 0)


def test_bce_with_logits_errors():
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(S(randn(3)), S(randn(4)))
    with pytest.raises(ValueError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(S(randn(3, 2)), S(randn(3, 2)), pos_weight=S(randn(3)))


# ---- attention ----------------------------------------------------------------------------------------------
def _sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    s = (q @ np.swapaxes(k, -1, -2)) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    return (p / p.sum(-1, keepdims=True)) @ v


@pytest.mark.parametrize("mode", ["plain", "causal", "bool", "float", "scale"])
@pytest.mark.parametrize("L,S_", [(5, 5), (3, 6)])
def test_sdpa_against_numpy_and_torch(mode, L, S_):
    q, k, v = randn(2, 3, L, 4, dtype=np.float64), randn(2, 3, S_, 4, dtype=np.float64), randn(2, 3, S_, 6, dtype=np.float64)
    mask = None
    if mode == "bool":
        mask = RNG.random((L, S_)) > 0.3
        mask[:, 0] = True
    elif mode == "float":
        mask = randn(1, 3, L, S_, dtype=np.float64)
    kw = dict(is_causal=mode == "causal", scale=0.3 if mode == "scale" else None)
    got = F.scaled_dot_product_attention(S(q), S(k), S(v), attn_mask=None if mask is None else S(mask), **kw)
    close(got, _sdpa_ref(q, k, v, mask, kw["is_causal"], kw["scale"]), 1e-12, 1e-12)
    ref = TF.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=None if mask is None else T(mask), **kw)
    close(got, ref.numpy(), 1e-10, 1e-10)


def test_sdpa_gqa_matches_torch():
    q, k, v = randn(1, 4, 3, 2), randn(1, 2, 5, 2), randn(1, 2, 5, 3)
    ref = TF.scaled_dot_product_attention(T(q), T(k), T(v), enable_gqa=True)
    close(F.scaled_dot_product_attention(S(q), S(k), S(v), enable_gqa=True), ref.numpy(), 1e-5, 1e-6)


def test_sdpa_dropout_is_seeded_and_errors():
    q = S(randn(2, 4, 3))
    st.manual_seed(7)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    st.manual_seed(7)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=st.ones(4, 4, dtype=st.bool), is_causal=True)
    with pytest.raises(ValueError, match="last dimension"):
        F.scaled_dot_product_attention(q, S(randn(2, 4, 5)), S(randn(2, 4, 5)))
    with pytest.raises(ValueError, match="not broadcastable"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=st.ones(3, 4, dtype=st.bool))
