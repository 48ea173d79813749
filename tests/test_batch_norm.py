"""Batch norm (F.batch_norm, nn.BatchNorm1d, nn.BatchNorm2d) against torch on the same inputs:
values and gradients in training and eval, the running statistics over several steps
(momentum, momentum=None's cumulative average, num_batches_tracked), state_dict keys and
round trips with torch's, gradcheck in float64, a float64 numpy formula, shapes drawn by
hypothesis, every SIMD path against the scalar one, and errors naming the argument."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F
from steepest.autograd import gradcheck

SET = settings(max_examples=15, deadline=None)
DTYPES = [np.float32, np.float64]


def tol(dt):
    return dict(rtol=3e-5, atol=3e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-11)


def close(a, b, dt, scale=1.0):
    k = tol(dt)
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=k["rtol"] * scale,
                               atol=k["atol"] * scale)


def S(a, grad=False):
    t = st.from_numpy(np.array(a, order="C", copy=True))
    return t.requires_grad_() if grad else t


def T(a, grad=False):
    return torch.tensor(np.array(a, copy=True), requires_grad=grad)


def npy(t):
    return t.detach().numpy()


def numpy_bn(x, w, b, eps):
    """Training-mode batch norm in float64 numpy: per channel over dims 0, 2, 3, ..."""
    x = x.astype(np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, x.shape[1]] + [1] * (x.ndim - 2)
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w.reshape(shape) + b.reshape(shape)


# Short runs take the column layout, runs of 512 or more the per-channel one.
SHAPES = [(5, 3), (4, 6, 7), (3, 4, 5, 6), (2, 3, 17, 19), (64, 8, 4, 4), (3, 2, 24, 23)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_functional_matches_torch(shape, dt, training):
    r = np.random.default_rng(len(shape) * 7 + shape[0])
    C = shape[1]
    x = (r.standard_normal(shape) * 2 + 3).astype(dt)
    w, b = r.standard_normal(C).astype(dt), r.standard_normal(C).astype(dt)
    rm, rv = r.standard_normal(C).astype(dt), (r.random(C) + 0.5).astype(dt)
    g = r.standard_normal(shape).astype(dt)
    xs, ws, bs, rms, rvs = S(x, True), S(w, True), S(b, True), S(rm), S(rv)
    xt, wt, bt, rmt, rvt = T(x, True), T(w, True), T(b, True), T(rm), T(rv)
    ys = F.batch_norm(xs, rms, rvs, ws, bs, training=training, momentum=0.2, eps=1e-4)
    yt = TF.batch_norm(xt, rmt, rvt, wt, bt, training=training, momentum=0.2, eps=1e-4)
    close(npy(ys), npy(yt), dt)
    close(npy(rms), rmt.numpy(), dt)
    close(npy(rvs), rvt.numpy(), dt)
    ys.backward(S(g))
    yt.backward(T(g))
    for a, e in ((xs, xt), (ws, wt), (bs, bt)):
        close(npy(a.grad), e.grad.numpy(), dt, scale=10)


@pytest.mark.parametrize("dt", DTYPES)
def test_training_matches_numpy_formula(dt):
    r = np.random.default_rng(1)
    x = (r.standard_normal((6, 4, 5, 3)) * 10 + 100).astype(dt)  # a big mean: no cancellation allowed
    w, b = r.standard_normal(4), r.standard_normal(4)
    y = F.batch_norm(S(x), None, None, S(w.astype(dt)), S(b.astype(dt)), training=True, eps=1e-5)
    close(npy(y), numpy_bn(x, w, b, 1e-5), dt, scale=3)


def test_gradcheck_training_and_eval():
    r = np.random.default_rng(2)
    x = S(r.standard_normal((3, 2, 4)), True)
    w, b = S(r.standard_normal(2) + 1.5, True), S(r.standard_normal(2), True)
    assert gradcheck(lambda a, c, d: F.batch_norm(a, None, None, c, d, training=True), (x, w, b))
    rm, rv = S(r.standard_normal(2)), S(r.random(2) + 0.5)
    assert gradcheck(lambda a, c, d: F.batch_norm(a, rm, rv, c, d, training=False), (x, w, b))
    x4 = S(r.standard_normal((2, 3, 3, 5)), True)  # short runs: the column layout
    assert gradcheck(lambda a: (F.batch_norm(a, None, None, training=True) ** 2).sum(), (x4,))
    x5 = S(r.standard_normal((2, 1, 2, 260)), True)  # runs of 520: the per-channel layout
    w5 = S(r.standard_normal(1) + 1.5, True)
    assert gradcheck(lambda a, c: (F.batch_norm(a, None, None, c, training=True) ** 3).sum(), (x5, w5))


@SET
@given(n=hs.integers(1, 9), c=hs.integers(1, 6), spatial=hs.lists(hs.integers(1, 21), min_size=0, max_size=2),
       dt=hs.sampled_from(DTYPES), affine=hs.booleans(), seed=hs.integers(0, 999))
def test_shapes_match_torch(n, c, spatial, dt, affine, seed):
    shape = (n, c, *spatial)
    if n * int(np.prod(spatial or [1])) == 1:
        return  # training needs more than one value per channel (tested below)
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape).astype(dt)
    g = r.standard_normal(shape).astype(dt)
    w, b = (r.standard_normal(c).astype(dt), r.standard_normal(c).astype(dt)) if affine else (None, None)
    xs, xt = S(x, True), T(x, True)
    ws, wt = (S(w, True), T(w, True)) if affine else (None, None)
    bs, bt = (S(b, True), T(b, True)) if affine else (None, None)
    rms, rvs, rmt, rvt = S(np.zeros(c, dt)), S(np.ones(c, dt)), T(np.zeros(c, dt)), T(np.ones(c, dt))
    ys = F.batch_norm(xs, rms, rvs, ws, bs, training=True)
    yt = TF.batch_norm(xt, rmt, rvt, wt, bt, training=True)
    close(npy(ys), npy(yt), dt, scale=3)
    close(npy(rvs), rvt.numpy(), dt)
    ys.backward(S(g))
    yt.backward(T(g))
    close(npy(xs.grad), xt.grad.numpy(), dt, scale=30)
    if affine:
        close(npy(ws.grad), wt.grad.numpy(), dt, scale=30)
        close(npy(bs.grad), bt.grad.numpy(), dt, scale=30)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 5)), ("BatchNorm1d", (6, 5, 7)),
                                       ("BatchNorm2d", (4, 5, 6, 3))])
def test_module_running_stats_over_steps_and_eval(momentum, cls, shape):
    torch.manual_seed(0)
    ms, mt = getattr(st.nn, cls)(5, momentum=momentum), getattr(torch.nn, cls)(5, momentum=momentum)
    with torch.no_grad():
        mt.weight.copy_(torch.linspace(0.5, 2, 5))
        mt.bias.copy_(torch.linspace(-1, 1, 5))
    ms.load_state_dict({k: st.from_numpy(v.numpy().copy()) for k, v in mt.state_dict().items()})
    r = np.random.default_rng(3)
    for _ in range(4):
        x = (r.standard_normal(shape) * 3 + 1).astype(np.float32)
        close(npy(ms(S(x))), mt(T(x)).detach().numpy(), np.float32)
    for k, v in mt.state_dict().items():
        close(npy(ms.state_dict()[k]), v.numpy(), np.float32)
    assert int(ms.num_batches_tracked.item()) == 4 and ms.num_batches_tracked.dtype == st.int64
    ms.eval()
    mt.eval()
    x = r.standard_normal(shape).astype(np.float32)
    xs, xt = S(x, True), T(x, True)
    ys, yt = ms(xs), mt(xt)
    close(npy(ys), yt.detach().numpy(), np.float32)
    ys.sum().backward()
    yt.sum().backward()
    close(npy(xs.grad), xt.grad.numpy(), np.float32)
    close(npy(ms.weight.grad), mt.weight.grad.numpy(), np.float32, scale=10)
    assert int(ms.num_batches_tracked.item()) == 4  # eval does not count batches


def test_state_dict_keys_and_round_trip_with_torch():
    for kw in ({}, {"affine": False}, {"track_running_stats": False}, {"bias": False}):
        ms, mt = st.nn.BatchNorm2d(3, **kw), torch.nn.BatchNorm2d(3, **kw)
        assert list(ms.state_dict()) == list(mt.state_dict()), kw
        assert [n for n, _ in ms.named_buffers()] == [n for n, _ in mt.named_buffers()]
        assert repr(ms) == repr(mt)
    ms, mt = st.nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    x = np.random.default_rng(4).standard_normal((5, 3, 2, 2)).astype(np.float32)
    ms(S(x))
    ms(S(x * 2))
    mt.load_state_dict({k: torch.from_numpy(npy(v).copy()) for k, v in ms.state_dict().items()})
    assert mt.num_batches_tracked.item() == 2 and mt.num_batches_tracked.dtype == torch.int64
    ms.eval()
    mt.eval()
    close(npy(ms(S(x))), mt(T(x)).detach().numpy(), np.float32)
    back = st.nn.BatchNorm2d(3)
    back.load_state_dict({k: st.from_numpy(v.numpy().copy()) for k, v in mt.state_dict().items()})
    for k, v in back.state_dict().items():
        np.testing.assert_array_equal(npy(v), npy(ms.state_dict()[k]))


def test_no_running_stats_and_cast():
    m = st.nn.BatchNorm1d(4, track_running_stats=False).eval()
    x = np.random.default_rng(5).standard_normal((6, 4))
    # Without running statistics eval normalizes with the batch's, as torch.
    close(npy(m.double()(S(x))), TF.batch_norm(T(x), None, None, training=True).numpy(), np.float64)
    m2 = st.nn.BatchNorm1d(4).double()
    assert m2.running_mean.dtype == st.float64 and m2.num_batches_tracked.dtype == st.int64
    assert m2.weight.dtype == st.float64


def test_strided_running_stats_are_written():
    r = np.random.default_rng(6)
    x = r.standard_normal((7, 3)).astype(np.float32)
    big = st.zeros(6)
    rm = big[::2]  # a strided view
    rv = st.ones(3)
    F.batch_norm(S(x), rm, rv, training=True, momentum=0.5)
    close(npy(big)[::2], 0.5 * x.mean(0), np.float32)
    assert np.all(npy(big)[1::2] == 0)


def test_isa_paths_agree_bitwise():
    r = np.random.default_rng(7)
    x = r.standard_normal((5, 3, 23, 25)).astype(np.float32)  # runs of 575: vectors and tails
    x1 = r.standard_normal((33, 5, 3)).astype(np.float32)  # columns: 15 per row
    results = {}
    before = st._core.current_isa()
    for isa in st._core.supported_isas():
        st._core.set_isa(isa)
        out = []
        for a in (x, x1):
            xs = S(a, True)
            y = F.batch_norm(xs, None, None, training=True)
            (y * y * y).sum().backward()
            out += [npy(y).copy(), npy(xs.grad).copy()]
        results[isa] = out
    st._core.set_isa(before)
    ref = results.pop("scalar")
    for isa, out in results.items():
        for a, b in zip(out, ref):
            np.testing.assert_array_equal(a, b, err_msg=isa)


def test_errors_name_the_problem():
    x = S(np.zeros((4, 3, 2), np.float32))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(S(np.zeros((1, 3), np.float32)), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean"):
        F.batch_norm(x, st.zeros(4), st.ones(3), training=True)
    with pytest.raises(ValueError, match="weight"):
        F.batch_norm(x, None, None, st.ones(2), training=True)
    with pytest.raises(ValueError, match="evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(TypeError, match="float32, float64, bfloat16 or float16"):
        F.batch_norm(S(np.zeros((4, 3), np.int64)), None, None, training=True)
    with pytest.raises(TypeError, match="dtype"):
        F.batch_norm(x, st.zeros(3, dtype=st.float64), st.ones(3, dtype=st.float64), training=True)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.batch_norm(S(np.zeros(3, np.float32)), None, None, training=True)
    with pytest.raises(ValueError, match="eps"):
        F.batch_norm(x, None, None, training=True, eps=-1.0)
    with pytest.raises(TypeError, match="running_mean"):
        F.batch_norm(x, [0.0, 0.0, 0.0], None, training=True)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D"):
        st.nn.BatchNorm1d(3)(S(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D"):
        st.nn.BatchNorm2d(3)(x)
    with pytest.raises(ValueError, match="num_features"):
        st.nn.BatchNorm2d(0)
    # The gradient the backward reads must have the output's shape.
    xs = S(np.random.default_rng(8).standard_normal((4, 3, 2)), True)
    y = F.batch_norm(xs, None, None, training=True)
    with pytest.raises((ValueError, RuntimeError)):
        y.backward(st.ones(4, 3))


def test_empty_batch_leaves_running_stats():
    rm, rv = st.zeros(3), st.ones(3)
    y = F.batch_norm(st.zeros(0, 3, 2), rm, rv, training=True)
    assert tuple(y.shape) == (0, 3, 2)
    assert np.all(npy(rm) == 0) and np.all(npy(rv) == 1)
