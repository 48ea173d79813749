"""The C++ nn functional ops (steepest._core._nn_*): forward values and gradients against
torch.nn.functional on the same inputs (float32 and float64, awkward sizes), gradcheck in
float64, numerical stability at extreme logits, dropout statistics, and argument errors."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as hs

import steepest as st
from steepest.autograd import gradcheck

C = st._core
SET = settings(max_examples=12, deadline=None)
DTYPES = [np.float32, np.float64]


def tol(dt):
    return dict(rtol=2e-5, atol=2e-6) if dt == np.float32 else dict(rtol=1e-10, atol=1e-12)


def leaf(a, grad=True):
    t = st.from_numpy(np.array(a, order="C", copy=True))
    return t.requires_grad_() if grad else t


def tleaf(a, grad=True):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def npy(t):
    return t.detach().numpy()


def close(a, b, dt, scale=1.0):
    k = tol(dt)
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=k["rtol"] * scale,
                               atol=k["atol"] * scale)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------- softmax / log_softmax ----------------

@SET
@given(rows=hs.sampled_from([0, 1, 13]), c=hs.sampled_from([1, 7, 1003]), log=hs.booleans(),
       dt=hs.sampled_from(DTYPES), seed=hs.integers(0, 99))
def test_softmax_last_dim_matches_torch(rows, c, log, dt, seed):
    r = rng(seed)
    x = (r.standard_normal((rows, c)) * 3).astype(dt)
    g = r.standard_normal((rows, c)).astype(dt)
    fs, ft = (C._nn_log_softmax, TF.log_softmax) if log else (C._nn_softmax, TF.softmax)
    xs, xt = leaf(x), tleaf(x)
    ys, yt = fs(xs, -1), ft(xt, -1)
    close(npy(ys), npy(yt), dt)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    close(npy(xs.grad), xt.grad.numpy(), dt, scale=5)


@pytest.mark.parametrize("dim", [0, 1, 2, -2])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_any_dim(isa, dim, log):
    r = rng(1)
    x = r.standard_normal((4, 7, 5)).astype(np.float32)
    g = r.standard_normal((4, 7, 5)).astype(np.float32)
    fs, ft = (C._nn_log_softmax, TF.log_softmax) if log else (C._nn_softmax, TF.softmax)
    xs, xt = leaf(x), tleaf(x)
    ys, yt = fs(xs, dim), ft(xt, dim)
    close(npy(ys), npy(yt), np.float32)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    close(npy(xs.grad), xt.grad.numpy(), np.float32, scale=5)


def test_softmax_extreme_and_special():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [3e38, 3e38, 0]], np.float32)
    y = npy(C._nn_softmax(leaf(x, False), 1))
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, TF.softmax(torch.tensor(x), 1).numpy(), atol=1e-7)
    ly = npy(C._nn_log_softmax(leaf(x, False), 1))
    np.testing.assert_allclose(ly, TF.log_softmax(torch.tensor(x), 1).numpy(), rtol=1e-6)
    # NaN spreads to its row only; a 0-d input is one class.
    xn = np.array([[0.0, np.nan], [1.0, 2.0]], np.float32)
    yn = npy(C._nn_softmax(leaf(xn, False), 1))
    assert np.isnan(yn[0]).all() and np.isfinite(yn[1]).all()
    assert npy(C._nn_softmax(leaf(np.array(2.5, np.float32), False), 0)) == 1.0


def test_softmax_dtype_arg_and_bf16():
    x = rng(2).standard_normal((3, 9)).astype(np.float32)
    y = C._nn_softmax(leaf(x, False), 1, dtype=st.float64)
    assert y.dtype == st.float64
    xb = st.from_numpy(x).to(st.bfloat16)
    yb = C._nn_log_softmax(xb, 1)
    assert yb.dtype == st.bfloat16
    ref = TF.log_softmax(torch.tensor(x).bfloat16(), 1).float().numpy()
    np.testing.assert_allclose(yb.to(st.float32).numpy(), ref, rtol=2e-2, atol=2e-2)


# ---------------- cross entropy ----------------

def ce_case(r, n, c, extra, dt, itype, ignore_frac):
    shape = (n, c) + extra
    x = (r.standard_normal(shape) * 2).astype(dt)
    t = r.integers(0, c, (n,) + extra)
    if ignore_frac and t.size:
        t[r.random(t.shape) < ignore_frac] = -100
    return x, t.astype(itype)


def run_ce(x, t, dt, **kw):
    w = kw.pop("weight", None)
    xs, xt = leaf(x), tleaf(x)
    ws = st.from_numpy(w) if w is not None else None
    wt = torch.tensor(w) if w is not None else None
    ts = st.from_numpy(np.array(t, order="C", copy=True))
    tt = torch.tensor(t.astype(np.int64) if t.dtype.kind == "i" else t)
    ls, lt = C._nn_cross_entropy(xs, ts, weight=ws, **kw), TF.cross_entropy(xt, tt, weight=wt, **kw)
    close(npy(ls), lt.detach().numpy(), dt, scale=10)
    g = rng(7).standard_normal(tuple(lt.shape)).astype(dt)
    ls.backward(st.from_numpy(g) if lt.dim() else None)
    lt.backward(torch.tensor(g) if lt.dim() else None)
    close(npy(xs.grad), xt.grad.numpy(), dt, scale=10)


@SET
@given(n=hs.sampled_from([0, 1, 13]), c=hs.sampled_from([1, 7, 1003]), dt=hs.sampled_from(DTYPES),
       reduction=hs.sampled_from(["none", "mean", "sum"]), ls=hs.sampled_from([0.0, 0.1]),
       use_w=hs.booleans(), ignore=hs.sampled_from([0.0, 0.3]), itype=hs.sampled_from([np.int64, np.int32]),
       seed=hs.integers(0, 99))
def test_cross_entropy_class_targets(n, c, dt, reduction, ls, use_w, ignore, itype, seed):
    r = rng(seed)
    if n == 0 and reduction == "mean":
        n = 1  # torch's mean over nothing is nan; covered separately
    x, t = ce_case(r, n, c, (), dt, itype, ignore)
    w = r.uniform(0.2, 2.0, c).astype(dt) if use_w else None
    if reduction == "mean" and (t == -100).all():
        t[...] = 0
    run_ce(x, t, dt, weight=w, reduction=reduction, label_smoothing=ls)


@pytest.mark.parametrize("extra", [(5,), (3, 2)])
@pytest.mark.parametrize("use_w", [False, True])
def test_cross_entropy_spatial(extra, use_w):
    r = rng(3)
    x, t = ce_case(r, 4, 6, extra, np.float64, np.int64, 0.2)
    w = r.uniform(0.5, 2, 6) if use_w else None
    for red in ["none", "mean", "sum"]:
        run_ce(x, t, np.float64, weight=w, reduction=red, label_smoothing=0.05)


def test_cross_entropy_unbatched_and_ignore_index_value():
    r = rng(4)
    x = r.standard_normal(5)
    run_ce(x, np.array(3), np.float64)
    xx, t = ce_case(r, 9, 5, (), np.float64, np.int64, 0.0)
    t[::2] = 2
    run_ce(xx, t, np.float64, ignore_index=2, label_smoothing=0.2)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("ls", [0.0, 0.25])
@pytest.mark.parametrize("use_w", [False, True])
def test_cross_entropy_probability_targets(dt, ls, use_w):
    r = rng(5)
    for shape in [(13, 7), (3, 4, 5), (6,)]:
        x = r.standard_normal(shape).astype(dt)
        p = r.random(shape).astype(dt)
        p /= p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
        c = shape[1] if len(shape) > 1 else shape[0]
        w = r.uniform(0.5, 2, c).astype(dt) if use_w else None
        for red in ["none", "mean", "sum"]:
            run_ce(x, p, dt, weight=w, reduction=red, label_smoothing=ls)


def test_cross_entropy_probability_target_grad():
    r = rng(6)
    x, p = r.standard_normal((4, 5)), r.random((4, 5))
    xs, ps = leaf(x), leaf(p)
    xt, pt = tleaf(x), tleaf(p)
    C._nn_cross_entropy(xs, ps, label_smoothing=0.1).backward()
    TF.cross_entropy(xt, pt, label_smoothing=0.1).backward()
    np.testing.assert_allclose(npy(ps.grad), pt.grad.numpy(), rtol=1e-10)


def test_cross_entropy_extreme_logits_stay_finite(isa):
    x = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, 1e4, 1e4, -1e4], [-1e4] * 4], np.float32)
    t = np.array([1, 0, 3])
    xs, xt = leaf(x), tleaf(x)
    ls = C._nn_cross_entropy(xs, st.from_numpy(t), reduction="sum")
    lt = TF.cross_entropy(xt, torch.tensor(t), reduction="sum")
    assert math.isfinite(ls.item())
    np.testing.assert_allclose(ls.item(), lt.item(), rtol=1e-6)
    ls.backward()
    lt.backward()
    assert np.isfinite(npy(xs.grad)).all()
    np.testing.assert_allclose(npy(xs.grad), xt.grad.numpy(), atol=1e-6)


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x = rng(0).standard_normal((3, 4))
    t = np.full(3, -100)
    a = C._nn_cross_entropy(leaf(x, False), st.from_numpy(t)).item()
    b = TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    assert math.isnan(a) and math.isnan(b)


def test_cross_entropy_bad_args():
    x = leaf(np.zeros((4, 3), np.float32), False)
    with pytest.raises(IndexError, match=r"target 3 is out of bounds for 3 classes"):
        C._nn_cross_entropy(x, st.from_numpy(np.array([0, 1, 3, 2])))
    with pytest.raises(IndexError, match="target -1"):
        C._nn_cross_entropy(x, st.from_numpy(np.array([0, -1, 1, 2])))
    with pytest.raises(ValueError, match=r"target of shape \(5,\) doesn't match logits \(4, 3\)"):
        C._nn_cross_entropy(x, st.from_numpy(np.zeros(5, np.int64)))
    with pytest.raises(ValueError, match="reduction"):
        C._nn_cross_entropy(x, st.from_numpy(np.zeros(4, np.int64)), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        C._nn_cross_entropy(x, st.from_numpy(np.zeros(4, np.int64)), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight of shape \(2,\)"):
        C._nn_cross_entropy(x, st.from_numpy(np.zeros(4, np.int64)), weight=st.from_numpy(np.ones(2, np.float32)))
    with pytest.raises(TypeError, match="int64 or int32"):
        C._nn_cross_entropy(x, st.from_numpy(np.zeros(4, bool)))
    with pytest.raises(TypeError):
        C._nn_cross_entropy(x, st.from_numpy(np.zeros((4, 3), np.float64)))


# ---------------- nll_loss ----------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("use_w", [False, True])
def test_nll_loss(dt, reduction, use_w):
    r = rng(8)
    for shape in [(13, 7), (4, 5, 3)]:
        x = r.standard_normal(shape).astype(dt)
        t = r.integers(0, shape[1], (shape[0],) + shape[2:])
        t.flat[0] = 1
        t.flat[-1] = -100
        w = r.uniform(0.5, 2, shape[1]).astype(dt) if use_w else None
        xs, xt = leaf(x), tleaf(x)
        ls = C._nn_nll_loss(xs, st.from_numpy(t), weight=st.from_numpy(w) if use_w else None, reduction=reduction)
        lt = TF.nll_loss(xt, torch.tensor(t), weight=torch.tensor(w) if use_w else None, reduction=reduction)
        close(npy(ls), lt.detach().numpy(), dt, 5)
        g = r.standard_normal(tuple(lt.shape)).astype(dt)
        ls.backward(st.from_numpy(g) if lt.dim() else None)
        lt.backward(torch.tensor(g) if lt.dim() else None)
        close(npy(xs.grad), xt.grad.numpy(), dt, 5)


# ---------------- elementwise losses ----------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_mse_l1(dt, reduction):
    r = rng(9)
    x, y = r.standard_normal((7, 3)).astype(dt), r.standard_normal((7, 3)).astype(dt)
    for fs, ft in [(C._nn_mse_loss, TF.mse_loss), (C._nn_l1_loss, TF.l1_loss)]:
        xs, ys, xt, yt = leaf(x), leaf(y), tleaf(x), tleaf(y)
        ls, lt = fs(xs, ys, reduction=reduction), ft(xt, yt, reduction=reduction)
        close(npy(ls), lt.detach().numpy(), dt, 5)
        (ls.sum() if reduction == "none" else ls).backward()
        (lt.sum() if reduction == "none" else lt).backward()
        close(npy(xs.grad), xt.grad.numpy(), dt, 5)
        close(npy(ys.grad), yt.grad.numpy(), dt, 5)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("use_w,use_pw", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits(dt, reduction, use_w, use_pw):
    r = rng(10)
    x = (r.standard_normal((13, 4)) * 4).astype(dt)
    x[0, :] = [1e4, -1e4, 80.0, -80.0]  # extreme logits stay finite
    y = r.random((13, 4)).astype(dt)
    w = r.uniform(0.5, 2, 4).astype(dt) if use_w else None
    pw = r.uniform(0.5, 3, 4).astype(dt) if use_pw else None
    xs, ys, xt, yt = leaf(x), leaf(y), tleaf(x), tleaf(y)
    ls = C._nn_binary_cross_entropy_with_logits(xs, ys, weight=st.from_numpy(w) if use_w else None,
                                                 reduction=reduction, pos_weight=st.from_numpy(pw) if use_pw else None)
    lt = TF.binary_cross_entropy_with_logits(xt, yt, weight=torch.tensor(w) if use_w else None, reduction=reduction,
                                             pos_weight=torch.tensor(pw) if use_pw else None)
    assert np.isfinite(npy(ls)).all()
    close(npy(ls), lt.detach().numpy(), dt, 10)
    (ls.sum() if reduction == "none" else ls).backward()
    (lt.sum() if reduction == "none" else lt).backward()
    close(npy(xs.grad), xt.grad.numpy(), dt, 10)
    close(npy(ys.grad), yt.grad.numpy(), dt, 10)


def test_loss_shape_errors():
    a, b = leaf(np.zeros((3, 2), np.float32), False), leaf(np.zeros((2, 3), np.float32), False)
    for f in [C._nn_mse_loss, C._nn_l1_loss, C._nn_binary_cross_entropy_with_logits]:
        with pytest.raises(ValueError, match=r"target of shape \(2, 3\) doesn't match input of shape \(3, 2\)"):
            f(a, b)


# ---------------- layer_norm ----------------

@SET
@given(rows=hs.sampled_from([0, 1, 13]), n=hs.sampled_from([1, 7, 1003]), dt=hs.sampled_from(DTYPES),
       affine=hs.sampled_from(["none", "w", "wb"]), seed=hs.integers(0, 99))
def test_layer_norm_matches_torch(rows, n, dt, affine, seed):
    r = rng(seed)
    x = (r.standard_normal((rows, n)) * 3 + 1).astype(dt)
    w = r.standard_normal(n).astype(dt) if affine != "none" else None
    b = r.standard_normal(n).astype(dt) if affine == "wb" else None
    g = r.standard_normal((rows, n)).astype(dt)
    xs, xt = leaf(x), tleaf(x)
    ws, wt = (leaf(w), tleaf(w)) if w is not None else (None, None)
    bs, bt = (leaf(b), tleaf(b)) if b is not None else (None, None)
    ys = C._nn_layer_norm(xs, (n,), ws, bs, 1e-5)
    yt = TF.layer_norm(xt, (n,), wt, bt, 1e-5)
    # n = 1: x - mean(x) is exactly 0 and steepest's output is exactly the bias; torch's
    # float32 row statistics leave rounding noise there, scaled by 1/sqrt(eps) (~3e-5)
    close(npy(ys), yt.detach().numpy(), dt, 10 if n > 1 else 1e3)
    if n == 1:
        np.testing.assert_array_equal(npy(ys), np.broadcast_to(b if b is not None else 0, (rows, n)))
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    if n > 1:
        close(npy(xs.grad), xt.grad.numpy(), dt, 50)
    else:  # the output does not depend on x at all: its gradient is exactly 0 (torch's is noise)
        np.testing.assert_array_equal(npy(xs.grad), np.zeros((rows, n), dt))
    if w is not None:  # n = 1: xhat is 0, torch's is rounding noise times 1/sqrt(eps)
        close(npy(ws.grad), wt.grad.numpy(), dt, 50 if n > 1 else 1e3)
    if b is not None:
        close(npy(bs.grad), bt.grad.numpy(), dt, 50)


def test_layer_norm_multi_dim_and_large_rows(isa):
    r = rng(11)
    x = r.standard_normal((64, 3, 40)).astype(np.float32)  # large enough to run rows in parallel
    w, b = r.standard_normal((3, 40)).astype(np.float32), r.standard_normal((3, 40)).astype(np.float32)
    xs, ws, bs = leaf(x), leaf(w), leaf(b)
    xt, wt, bt = tleaf(x), tleaf(w), tleaf(b)
    ys, yt = C._nn_layer_norm(xs, [3, 40], ws, bs, eps=1e-3), TF.layer_norm(xt, (3, 40), wt, bt, eps=1e-3)
    close(npy(ys), yt.detach().numpy(), np.float32, 10)
    g = r.standard_normal(x.shape).astype(np.float32)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    for a, t in [(xs, xt), (ws, wt), (bs, bt)]:
        close(npy(a.grad), t.grad.numpy(), np.float32, 100)


def test_layer_norm_bad_args():
    x = leaf(np.zeros((2, 3), np.float32), False)
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\) doesn't match the trailing dims of input of shape \(2, 3\)"):
        C._nn_layer_norm(x, 4)
    with pytest.raises(ValueError, match=r"weight of shape \(2,\)"):
        C._nn_layer_norm(x, 3, st.from_numpy(np.ones(2, np.float32)))
    with pytest.raises(TypeError, match="normalized_shape"):
        C._nn_layer_norm(x, "3")


# ---------------- linear ----------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("lead", [(), (5,), (2, 3), (0,)])
@pytest.mark.parametrize("use_b", [False, True])
def test_linear(dt, lead, use_b):
    r = rng(12)
    x = r.standard_normal(lead + (7,)).astype(dt)
    w = r.standard_normal((4, 7)).astype(dt)
    b = r.standard_normal(4).astype(dt)
    xs, ws, bs = leaf(x), leaf(w), leaf(b)
    xt, wt, bt = tleaf(x), tleaf(w), tleaf(b)
    ys = C._nn_linear(xs, ws, bs if use_b else None)
    yt = TF.linear(xt, wt, bt if use_b else None)
    close(npy(ys), yt.detach().numpy(), dt, 10)
    g = r.standard_normal(yt.shape).astype(dt)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    close(npy(xs.grad), xt.grad.numpy(), dt, 10)
    close(npy(ws.grad), wt.grad.numpy(), dt, 10)
    if use_b:
        close(npy(bs.grad), bt.grad.numpy(), dt, 10)


def test_linear_transposed_weight_view_and_errors():
    r = rng(13)
    x = r.standard_normal((3, 5))
    wT = r.standard_normal((5, 4))  # weight = wT.T, a column-major view: no copy needed
    ws = leaf(wT)
    y = C._nn_linear(leaf(x, False), ws.t())
    np.testing.assert_allclose(npy(y), x @ wT, rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(npy(ws.grad), (np.ones((3, 4)).T @ x).T, rtol=1e-12)
    with pytest.raises(ValueError, match=r"input of shape \(3, 5\) and weight of shape \(4, 6\) cannot be multiplied"):
        C._nn_linear(leaf(x, False), leaf(np.zeros((4, 6)), False))
    with pytest.raises(TypeError, match="same dtype"):
        C._nn_linear(leaf(x, False), leaf(np.zeros((4, 5), np.float32), False))


# ---------------- activations ----------------

@pytest.mark.parametrize("dt", DTYPES)
def test_erf_accuracy(isa, dt):
    xs = np.concatenate([np.linspace(-6, 6, 200001), [0.0, -0.0, 1e-30, 0.921875, 2.0, 3.9375, np.inf, -np.inf]])
    x = xs.astype(dt)
    y = npy(C._nn_erf(st.from_numpy(x)))
    ref = np.array([math.erf(float(v)) for v in x])
    if dt == np.float32:
        ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
        assert (np.abs(y - ref) / ulp).max() <= 2.0
    else:
        np.testing.assert_allclose(y, ref, rtol=1e-15, atol=1e-300)
    assert np.isnan(npy(C._nn_erf(st.from_numpy(np.array([np.nan], dt)))))[0]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "softplus", "erf"])
def test_activation_matches_torch(isa, dt, name):
    r = rng(14)
    x = np.concatenate([r.standard_normal(1003) * 4, [0.0, -30.0, 30.0, 25.0, -1e4, 1e4]]).astype(dt)
    g = r.standard_normal(x.shape).astype(dt)
    fs = {"gelu": lambda t: C._nn_gelu(t), "gelu_tanh": lambda t: C._nn_gelu(t, approximate="tanh"),
          "silu": C._nn_silu, "softplus": lambda t: C._nn_softplus(t, beta=2.0, threshold=15.0), "erf": C._nn_erf}[name]
    ft = {"gelu": TF.gelu, "gelu_tanh": lambda t: TF.gelu(t, approximate="tanh"), "silu": TF.silu,
          "softplus": lambda t: TF.softplus(t, beta=2.0, threshold=15.0), "erf": torch.erf}[name]
    xs, xt = leaf(x), tleaf(x)
    ys, yt = fs(xs), ft(xt)
    close(npy(ys), yt.detach().numpy(), dt, 10)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    close(npy(xs.grad), xt.grad.numpy(), dt, 10)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate"):
        C._nn_gelu(leaf(np.zeros(2, np.float32), False), approximate="fast")


# ---------------- embedding ----------------

@pytest.mark.parametrize("itype", [np.int64, np.int32])
@pytest.mark.parametrize("pad", [None, 2, -1])
def test_embedding(itype, pad):
    r = rng(15)
    w = r.standard_normal((6, 5))
    idx = np.array([[0, 2, 2, 5], [1, 2, 5, 0]], itype)
    ws, wt = leaf(w), tleaf(w)
    ys = C._nn_embedding(st.from_numpy(idx), ws, padding_idx=pad)
    yt = TF.embedding(torch.tensor(idx.astype(np.int64)), wt, padding_idx=pad)
    np.testing.assert_array_equal(npy(ys), yt.detach().numpy())
    g = r.standard_normal(yt.shape)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(npy(ws.grad), wt.grad.numpy(), rtol=1e-14)


def test_embedding_bad_args():
    w = leaf(np.zeros((4, 3)), False)
    with pytest.raises(IndexError, match="index 4 is out of range for 4 embeddings"):
        C._nn_embedding(st.from_numpy(np.array([1, 4])), w)
    with pytest.raises(TypeError, match="int64 or int32"):
        C._nn_embedding(st.from_numpy(np.array([1.0])), w)
    with pytest.raises(ValueError, match="padding_idx"):
        C._nn_embedding(st.from_numpy(np.array([1])), w, padding_idx=7)


# ---------------- dropout ----------------

def test_dropout_statistics_and_scale():
    n, p = 200_000, 0.3
    x = st.from_numpy(np.ones(n, np.float32))
    y = npy(C._nn_dropout(x, p))
    kept = y != 0
    frac = 1 - kept.mean()
    assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)


def test_dropout_reproducible_and_backward():
    x = rng(16).standard_normal((50, 40)).astype(np.float32)
    g1, g2 = st.Generator(), st.Generator()
    g1.manual_seed(123)
    g2.manual_seed(123)
    xs = leaf(x)
    a = C._nn_dropout(xs, 0.5, True, g1)
    b = C._nn_dropout(leaf(x, False), 0.5, True, g2)
    np.testing.assert_array_equal(npy(a), npy(b))
    c = C._nn_dropout(leaf(x, False), 0.5, True, g2)  # the generator advanced
    assert not np.array_equal(npy(b), npy(c))
    a.backward(st.from_numpy(np.ones_like(x)))
    mask = npy(a) / x
    np.testing.assert_allclose(npy(xs.grad), mask, rtol=1e-6)


def test_dropout_edges():
    x = leaf(rng(17).standard_normal(10).astype(np.float32))
    assert C._nn_dropout(x, 0.5, False) is x
    assert C._nn_dropout(x, 0.0) is x
    z = C._nn_dropout(x, 1.0)
    assert (npy(z) == 0).all()
    z.sum().backward()
    assert (npy(x.grad) == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        C._nn_dropout(x, 1.5)


# ---------------- attention ----------------

@pytest.mark.parametrize("mode", ["none", "causal", "bool", "float", "scale"])
def test_sdpa(mode):
    r = rng(18)
    q, k, v = (r.standard_normal(s) for s in [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3)])
    mask = None
    if mode == "bool":
        mask = r.random((5, 6)) < 0.7
        mask[:, 0] = True  # no fully masked row
    elif mode == "float":
        mask = r.standard_normal((2, 1, 5, 6))
    kw = dict(is_causal=mode == "causal", scale=0.3 if mode == "scale" else None)
    qs, ks, vs = leaf(q), leaf(k), leaf(v)
    qt, kt, vt = tleaf(q), tleaf(k), tleaf(v)
    ys = C._nn_scaled_dot_product_attention(qs, ks, vs, st.from_numpy(mask) if mask is not None else None, **kw)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, torch.tensor(mask) if mask is not None else None, **kw)
    np.testing.assert_allclose(npy(ys), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = r.standard_normal(yt.shape)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    for a, t in [(qs, qt), (ks, kt), (vs, vt)]:
        np.testing.assert_allclose(npy(a.grad), t.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_sdpa_bad_args():
    q = leaf(np.zeros((2, 3, 4)), False)
    with pytest.raises(ValueError, match="not both"):
        C._nn_scaled_dot_product_attention(q, q, q, st.from_numpy(np.ones((3, 3), bool)), is_causal=True)
    with pytest.raises(ValueError, match="embedding dim"):
        C._nn_scaled_dot_product_attention(q, leaf(np.zeros((2, 3, 5)), False), q)


# ---------------- gradcheck (float64 finite differences) ----------------

def test_gradcheck_all():
    r = rng(19)
    x = leaf(r.standard_normal((3, 4)))
    assert gradcheck(lambda a: C._nn_softmax(a, 1), (x,))
    assert gradcheck(lambda a: C._nn_log_softmax(a, 0), (x,))
    t = st.from_numpy(np.array([1, -100, 3]))
    w = st.from_numpy(r.uniform(0.5, 2, 4))
    assert gradcheck(lambda a: C._nn_cross_entropy(a, t, weight=w, label_smoothing=0.2), (x,))
    assert gradcheck(lambda a: C._nn_cross_entropy(a, t, reduction="none", label_smoothing=0.1), (x,))
    p = leaf(r.random((3, 4)))
    assert gradcheck(lambda a, b: C._nn_cross_entropy(a, b, weight=w, label_smoothing=0.1), (x, p))
    assert gradcheck(lambda a: C._nn_nll_loss(a, t, weight=w), (x,))
    lw, lb = leaf(r.standard_normal(4)), leaf(r.standard_normal(4))
    assert gradcheck(lambda a, b, c: C._nn_layer_norm(a, 4, b, c), (x, lw, lb))
    W, b = leaf(r.standard_normal((2, 4))), leaf(r.standard_normal(2))
    assert gradcheck(lambda a, m, c: C._nn_linear(a, m, c), (x, W, b))
    for f in [C._nn_gelu, lambda a: C._nn_gelu(a, "tanh"), C._nn_silu, C._nn_softplus, C._nn_erf]:
        assert gradcheck(f, (x,))
    y = leaf(r.random((3, 4)))
    assert gradcheck(lambda a, b: C._nn_binary_cross_entropy_with_logits(a, b, pos_weight=lw), (x, y))
    E = leaf(r.standard_normal((5, 3)))
    # (no padding_idx: its row gets no gradient by design, which finite differences contradict)
    assert gradcheck(lambda e: C._nn_embedding(st.from_numpy(np.array([[0, 4], [4, 1]])), e), (E,))
    q, k, v = leaf(r.standard_normal((2, 3, 2))), leaf(r.standard_normal((2, 4, 2))), leaf(r.standard_normal((2, 4, 2)))
    assert gradcheck(lambda a, b, c: C._nn_scaled_dot_product_attention(a, b, c, is_causal=True), (q, k, v))
