"""Pooling (st.nn.functional max/avg/adaptive pooling, 1-D and 2-D) and its modules: values,
indices and gradients against torch (float32 and float64), a float64 numpy formula for the
windows, gradcheck, hypothesis over shapes/kernels/strides/paddings/dilations/ceil_mode, NaN
propagation, and the errors bad sizes raise."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
from steepest.autograd import gradcheck

F = st.nn.functional
SET = settings(max_examples=20, deadline=None)
DTYPES = [np.float32, np.float64]
RNG = np.random.default_rng(1)


def randn(*shape):
    return RNG.standard_normal(shape)


def run_both(fs, ft, x, dt):
    """Same input and output gradient through steepest and torch; compares output (and indices
    when a pair comes back) and the input's gradient."""
    x = np.asarray(x, dt)
    xs, xt = st.from_numpy(x.copy()).requires_grad_(), torch.tensor(x, requires_grad=True)
    ys, yt = fs(xs), ft(xt)
    empty = np.zeros(tuple(yt[0].shape if isinstance(yt, tuple) else yt.shape), bool)
    if isinstance(yt, tuple):
        # a window whose taps all fall in the padding (dilation) holds -inf; torch's index there
        # lies outside the plane, steepest's is -1 (and the window takes no gradient)
        empty = np.isneginf(yt[0].detach().numpy()) & ~np.isneginf(x).any()
        np.testing.assert_array_equal(ys[1].numpy()[~empty], yt[1].numpy()[~empty])
        assert np.all(ys[1].numpy()[empty] == -1)
        assert ys[1].dtype == st.int64
        ys, yt = ys[0], yt[0]
    assert tuple(ys.shape) == tuple(yt.shape)
    k = dict(rtol=1e-5, atol=1e-6) if dt == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ys.detach().numpy(), yt.detach().numpy(), **k)
    g = RNG.standard_normal(tuple(yt.shape)).astype(dt)
    g[empty] = 0  # torch sends an empty window's gradient to its out-of-plane index (the next plane)
    ys.backward(st.from_numpy(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), **k)


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=1, dilation=2, padding=1),
    dict(kernel_size=(2, 3), stride=2, dilation=(3, 2), padding=(1, 1), ceil_mode=True),
]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_matches_torch(dt, kw):
    run_both(lambda x: F.max_pool2d(x, return_indices=True, **kw),
             lambda x: TF.max_pool2d(x, return_indices=True, **kw), randn(2, 3, 9, 8), dt)
    run_both(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), randn(3, 9, 8), dt)
    m, tm = st.nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw)
    assert repr(m) == repr(tm)
    run_both(m, tm, randn(1, 2, 7, 7), dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=3, dilation=2, padding=1)])
def test_max_pool1d_matches_torch(dt, kw):
    run_both(lambda x: F.max_pool1d(x, return_indices=True, **kw),
             lambda x: TF.max_pool1d(x, return_indices=True, **kw), randn(2, 3, 11), dt)
    run_both(st.nn.MaxPool1d(**kw), torch.nn.MaxPool1d(**kw), randn(3, 11), dt)


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, divisor_override=4),
    dict(kernel_size=2, stride=2, divisor_override=-3),
]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_matches_torch(dt, kw):
    run_both(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), randn(2, 3, 9, 8), dt)
    m, tm = st.nn.AvgPool2d(**kw), torch.nn.AvgPool2d(**kw)
    assert repr(m) == repr(tm)
    run_both(m, tm, randn(3, 7, 10), dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=4, stride=3, padding=2, count_include_pad=False)])
def test_avg_pool1d_matches_torch(dt, kw):
    run_both(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), randn(2, 3, 11), dt)
    run_both(st.nn.AvgPool1d(**kw), torch.nn.AvgPool1d(**kw), randn(3, 11), dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("size", [1, 3, (4, 5), (None, 2), (9, 8), (13, 11), [2, None]])
def test_adaptive_pool2d_matches_torch(dt, size):
    run_both(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size), randn(2, 3, 9, 8), dt)
    run_both(lambda x: F.adaptive_max_pool2d(x, size, return_indices=True),
             lambda x: TF.adaptive_max_pool2d(x, size, return_indices=True), randn(3, 9, 8), dt)
    assert repr(st.nn.AdaptiveAvgPool2d(size)) == repr(torch.nn.AdaptiveAvgPool2d(size))
    run_both(st.nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), randn(1, 2, 7, 6), dt)
    run_both(st.nn.AdaptiveMaxPool2d(size), torch.nn.AdaptiveMaxPool2d(size), randn(1, 2, 7, 6), dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("size", [1, 4, 11, 15])
def test_adaptive_pool1d_matches_torch(dt, size):
    run_both(lambda x: F.adaptive_avg_pool1d(x, size), lambda x: TF.adaptive_avg_pool1d(x, size), randn(2, 3, 11), dt)
    run_both(lambda x: F.adaptive_max_pool1d(x, size, return_indices=True),
             lambda x: TF.adaptive_max_pool1d(x, size, return_indices=True), randn(3, 11), dt)
    run_both(st.nn.AdaptiveAvgPool1d(size), torch.nn.AdaptiveAvgPool1d(size), randn(2, 11), dt)
    run_both(st.nn.AdaptiveMaxPool1d(size), torch.nn.AdaptiveMaxPool1d(size), randn(2, 11), dt)


@SET
@given(n=hs.integers(1, 2), c=hs.integers(1, 3), h=hs.integers(1, 10), w=hs.integers(1, 10), kh=hs.integers(1, 4),
       kw=hs.integers(1, 4), sh=hs.integers(1, 3), sw=hs.integers(1, 3), ph=hs.integers(0, 2), pw=hs.integers(0, 2),
       d=hs.integers(1, 2), ceil=hs.booleans(), cip=hs.booleans())
def test_pool2d_hypothesis(n, c, h, w, kh, kw, sh, sw, ph, pw, d, ceil, cip):
    x = randn(n, c, h, w)
    mx = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=d, ceil_mode=ceil)
    ok = ph <= kh // 2 and pw <= kw // 2
    ok = ok and d * (kh - 1) + 1 <= h + 2 * ph and d * (kw - 1) + 1 <= w + 2 * pw
    if ok:
        run_both(lambda t: F.max_pool2d(t, return_indices=True, **mx),
                 lambda t: TF.max_pool2d(t, return_indices=True, **mx), x, np.float64)
    else:
        with pytest.raises(ValueError):
            F.max_pool2d(st.from_numpy(x), **mx)
    av = dict(kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw), ceil_mode=ceil, count_include_pad=cip)
    if ph <= kh // 2 and pw <= kw // 2 and kh <= h + 2 * ph and kw <= w + 2 * pw:
        run_both(lambda t: F.avg_pool2d(t, **av), lambda t: TF.avg_pool2d(t, **av), x, np.float64)
    else:
        with pytest.raises(ValueError):
            F.avg_pool2d(st.from_numpy(x), **av)


def test_adaptive_avg_matches_numpy_windows():
    # an independent formula: output (i, j) is the mean of rows [floor(i*H/oh), ceil((i+1)*H/oh))
    x = randn(2, 3, 10, 7)
    oh, ow = 4, 3
    ref = np.empty((2, 3, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * 10) // oh, -((-(i + 1) * 10) // oh)
            w0, w1 = (j * 7) // ow, -((-(j + 1) * 7) // ow)
            ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(st.from_numpy(x), (oh, ow)).numpy(), ref, rtol=1e-13, atol=1e-15)  # atol: a mean that cancels to ~0


def test_max_pool_nan_wins_and_all_neg_inf():
    x = np.array([[[[1.0, np.nan, 3.0, -np.inf], [0.0, 2.0, -np.inf, -np.inf]]]], np.float32)
    for f, tf in ((F.max_pool2d, TF.max_pool2d),):
        ys, iy = f(st.from_numpy(x), 2, return_indices=True)
        yt, it = tf(torch.tensor(x), 2, return_indices=True)
        np.testing.assert_array_equal(ys.numpy(), yt.numpy())
        np.testing.assert_array_equal(iy.numpy(), it.numpy())


def test_gradcheck_pooling():
    def leaf(*shape):
        return st.from_numpy(randn(*shape)).requires_grad_()
    x = leaf(1, 2, 5, 6)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradcheck(lambda t: F.avg_pool2d(t, 2, divisor_override=3), (x,))
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), (x,))
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 4)), (x,))
    x1 = leaf(2, 7)
    assert gradcheck(lambda t: F.max_pool1d(t, 2, 1, 1), (x1,))
    assert gradcheck(lambda t: F.avg_pool1d(t, 3, 2, 1), (x1,))
    assert gradcheck(lambda t: F.adaptive_avg_pool1d(t, 3), (x1,))


@pytest.mark.parametrize("dtype", [st.bfloat16, st.float16])
def test_16bit_pooling(dtype):
    x = st.from_numpy(randn(2, 3, 6, 6)).to(dtype)
    for f in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1), lambda t: F.adaptive_avg_pool2d(t, 4)):
        y = f(x)
        assert y.dtype == dtype
        np.testing.assert_array_equal(y.float().numpy(), f(x.float()).to(dtype).float().numpy())


def test_pooling_in_a_training_graph():
    # a conv -> relu -> max_pool -> flatten -> linear step: gradients reach every parameter
    model = st.nn.Sequential(st.nn.Conv2d(1, 4, 3, padding=1), st.nn.ReLU(), st.nn.MaxPool2d(2),
                             st.nn.Conv2d(4, 8, 3), st.nn.ReLU(), st.nn.AdaptiveAvgPool2d(1), st.nn.Flatten(),
                             st.nn.Linear(8, 3))
    x = st.from_numpy(randn(5, 1, 8, 8).astype(np.float32))
    loss = F.cross_entropy(model(x), st.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.parameters())


def z(*shape, dtype=st.float32):
    return st.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 0), ValueError, "kernel_size must be positive"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2, stride=0), ValueError, "stride must be positive"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2, stride=-2), ValueError, "stride must be positive"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2, padding=2), ValueError, "at most half"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2, padding=-1), ValueError, "non-negative"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2, dilation=0), ValueError, "dilation must be positive"),
    (lambda: F.max_pool2d(z(1, 1, 2, 4), 3), ValueError, "output size is too small"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2, dilation=2 ** 41), ValueError, "too large"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), (2, 2, 2)), ValueError, "single int or 2 ints"),
    (lambda: F.max_pool2d(z(4, 4), 2), ValueError, "3-D \\(unbatched\\) or 4-D"),
    (lambda: F.max_pool2d(z(1, 1, 0, 4), 1), ValueError, "non-zero spatial"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4, dtype=st.int64), 2), TypeError, "floating-point"),
    (lambda: F.max_pool2d(z(1, 1, 4, 4), 2.0), TypeError, "kernel_size must be an int"),
    (lambda: F.max_pool1d(z(1, 1, 4, 4, 4), 2), ValueError, "2-D \\(unbatched\\) or 3-D"),
    (lambda: F.avg_pool2d(z(1, 1, 4, 4), 3, padding=2), ValueError, "at most half"),
    (lambda: F.avg_pool2d(z(1, 1, 4, 4), 2, divisor_override=0), ValueError, "divisor_override"),
    (lambda: F.avg_pool2d(z(1, 1, 1, 1), 2), ValueError, "output size is too small"),
    (lambda: F.adaptive_avg_pool2d(z(1, 1, 4, 4), -2), ValueError, "output_size"),
    (lambda: F.adaptive_avg_pool2d(z(1, 1, 4, 4), (1, 2, 3)), ValueError, "single int or 2 ints"),
    (lambda: F.adaptive_max_pool2d(z(1, 1, 0, 4), 2), ValueError, "non-zero spatial"),
    (lambda: F.adaptive_avg_pool1d(z(1, 1, 4), None), TypeError, "output_size"),
    (lambda: F.avg_pool2d("x", 2), TypeError, "argument 'input' must be a Tensor"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_modified_indices_never_reach_out_of_bounds():
    # the saved indices were changed in place: backward refuses instead of writing out of bounds
    x = st.from_numpy(randn(1, 1, 4, 4)).requires_grad_()
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    with st.no_grad():
        idx.fill_(1000)
    with pytest.raises((RuntimeError, IndexError)):
        y.sum().backward()


def test_window_entirely_in_the_padding_is_minus_inf_with_no_gradient():
    # kernel 2 with dilation 2 and padding 1 over a width-1 row: the taps sit at -1 and 1
    x = st.tensor([[[[5.0]], [[7.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, (1, 2), 1, (0, 1), 2, return_indices=True)
    want = TF.max_pool2d(torch.tensor([[[[5.0]], [[7.0]]]]), (1, 2), 1, (0, 1), 2)
    assert np.isneginf(y.detach().numpy()).all() and np.isneginf(want.numpy()).all()
    assert idx.tolist() == [[[[-1]], [[-1]]]]
    y.sum().backward()
    assert x.grad.tolist() == [[[[0.0]], [[0.0]]]]
