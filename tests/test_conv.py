"""Convolutions (st.nn.functional.conv1d/conv2d/conv_transpose1d/conv_transpose2d, unfold,
fold) and their modules: values and gradients against torch on the same inputs and weights
(float32 and float64), gradcheck in float64, hypothesis over shapes, strides, paddings,
dilations and groups, thread-count and deterministic-mode agreement, torch's parameter
initialisation and state_dict, and the errors bad sizes raise."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
from steepest.autograd import gradcheck

F = st.nn.functional
SET = settings(max_examples=15, deadline=None)
DTYPES = [np.float32, np.float64]
RNG = np.random.default_rng(0)


def tol(dt, ref):
    """Relative tolerance, plus an absolute one scaled by the array's largest value (long float32
    sums cancel: an element's error follows the size of the terms, not of the result)."""
    scale = max(1.0, float(np.abs(ref).max())) if np.size(ref) else 1.0
    return dict(rtol=1e-4, atol=2e-6 * scale) if dt == np.float32 else dict(rtol=1e-10, atol=1e-11 * scale)


def run_both(fs, ft, arrays, dt, grad=True):
    """Calls fs on steepest leaves and ft on torch leaves holding the same values; backprops the
    same random output gradient through both; compares outputs and every input's gradient."""
    arrays = [np.asarray(a, dtype=dt) for a in arrays]
    S = [st.from_numpy(a.copy()).requires_grad_(grad) for a in arrays]
    T = [torch.tensor(a, requires_grad=grad) for a in arrays]
    ys, yt = fs(*S), ft(*T)
    assert tuple(ys.shape) == tuple(yt.shape)
    np.testing.assert_allclose(ys.detach().numpy(), yt.detach().numpy(), **tol(dt, yt.detach().numpy()))
    if grad:
        g = RNG.standard_normal(tuple(yt.shape)).astype(dt)
        ys.backward(st.from_numpy(g))
        yt.backward(torch.tensor(g))
        for s, t in zip(S, T):
            np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), **tol(dt, t.grad.numpy()))
    return ys


def randn(*shape):
    return RNG.standard_normal(shape)


# ---------------- conv2d ----------------

CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=(2, 1), padding=(1, 2)),
    dict(dilation=2, padding=2),
    dict(stride=(1, 3), padding=(0, 1), dilation=(2, 1)),
    dict(padding="same"),
    dict(padding="same", dilation=(1, 2)),
    dict(padding="valid"),
]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", CONV2D_CASES)
def test_conv2d_matches_torch(dt, kw):
    for groups, bias in ((1, True), (2, False)):
        x, w = randn(3, 4, 9, 8), randn(6, 4 // groups, 3, 2)
        arrays = [x, w] + ([randn(6)] if bias else [])
        run_both(lambda x, w, b=None, g=groups: F.conv2d(x, w, b, groups=g, **kw),
                 lambda x, w, b=None, g=groups: TF.conv2d(x, w, b, groups=g, **kw), arrays, dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("batch", [1, 5])
def test_conv2d_pointwise_and_depthwise(dt, batch):
    for hw in ((7, 6), (9, 9)):  # small images batch samples into one GEMM; 9x9 multiplies in place
        run_both(lambda x, w, b: F.conv2d(x, w, b), lambda x, w, b: TF.conv2d(x, w, b),
                 [randn(batch, 5, *hw), randn(3, 5, 1, 1), randn(3)], dt)
    run_both(lambda x, w: F.conv2d(x, w, padding=1, groups=4), lambda x, w: TF.conv2d(x, w, padding=1, groups=4),
             [randn(batch, 4, 7, 6), randn(8, 1, 3, 3)], dt)


@pytest.mark.parametrize("dt", DTYPES)
def test_conv2d_unbatched_and_positional_args(dt):
    run_both(lambda x, w, b: F.conv2d(x, w, b, 2, 1, 1, 1), lambda x, w, b: TF.conv2d(x, w, b, 2, 1, 1, 1),
             [randn(3, 10, 9), randn(4, 3, 3, 3), randn(4)], dt)
    run_both(lambda x, w: F.conv2d(input=x, weight=w, stride=[1, 2], padding=[0, 1], dilation=[1, 1]),
             lambda x, w: TF.conv2d(input=x, weight=w, stride=[1, 2], padding=[0, 1], dilation=[1, 1]),
             [randn(2, 3, 10, 9), randn(4, 3, 3, 3)], dt)


def test_conv2d_mnist_sizes_and_strided_input():
    # the sizes the benchmark times, and a non-contiguous (transposed) input
    for shape, wshape, pad in (((8, 1, 28, 28), (32, 1, 3, 3), 1), ((4, 32, 14, 14), (64, 32, 3, 3), 1)):
        run_both(lambda x, w, b, p=pad: F.conv2d(x, w, b, padding=p),
                 lambda x, w, b, p=pad: TF.conv2d(x, w, b, padding=p),
                 [randn(*shape), randn(*wshape) * 0.2, randn(wshape[0])], np.float32)
    run_both(lambda x, w: F.conv2d(x.transpose(2, 3), w), lambda x, w: TF.conv2d(x.transpose(2, 3), w),
             [randn(2, 3, 7, 9), randn(4, 3, 2, 2)], np.float64)


def test_taps_that_read_only_padding():
    # A 1x1 image, kernel width 3, padding 2, dilation 2: the outer taps see only padding. The
    # column copy of such a tap once zeroed one entry past its run, into the next sample's
    # column when small images are batched into one GEMM (a wrong weight gradient) and past the
    # end of the last row otherwise.
    kwargs = dict(padding=(0, 2), dilation=(1, 2))
    for n in (1, 2, 3, 5):
        run_both(lambda x, w: F.conv2d(x, w, **kwargs), lambda x, w: TF.conv2d(x, w, **kwargs),
                 [randn(n, 2, 1, 1), randn(3, 2, 1, 3)], np.float64)
    x = randn(2, 2, 1, 1)
    unf = F.unfold(st.from_numpy(x), (1, 3), dilation=(1, 2), padding=(0, 2)).numpy()
    ref = TF.unfold(torch.tensor(x), (1, 3), dilation=(1, 2), padding=(0, 2)).numpy()
    np.testing.assert_array_equal(unf, ref)


@SET
@given(n=hs.integers(0, 3), cg=hs.integers(1, 3), og=hs.integers(1, 3), groups=hs.integers(1, 3),
       h=hs.integers(1, 9), w=hs.integers(1, 9), kh=hs.integers(1, 4), kw=hs.integers(1, 4),
       sh=hs.integers(1, 3), sw=hs.integers(1, 3), ph=hs.integers(0, 3), pw=hs.integers(0, 3),
       dh=hs.integers(1, 3), dw=hs.integers(1, 3), bias=hs.booleans())
def test_conv2d_hypothesis(n, cg, og, groups, h, w, kh, kw, sh, sw, ph, pw, dh, dw, bias):
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > w + 2 * pw:
        with pytest.raises(ValueError, match="larger than the padded input"):
            F.conv2d(st.zeros(max(n, 1), cg * groups, h, w), st.zeros(og * groups, cg, kh, kw), padding=(ph, pw),
                     dilation=(dh, dw), groups=groups)
        return
    kwargs = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups)
    arrays = [randn(n, cg * groups, h, w), randn(og * groups, cg, kh, kw)] + ([randn(og * groups)] if bias else [])
    run_both(lambda *a: F.conv2d(*a[:2], a[2] if bias else None, **kwargs),
             lambda *a: TF.conv2d(*a[:2], a[2] if bias else None, **kwargs), arrays, np.float64)


# ---------------- conv1d ----------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=3, padding=2, groups=2),
                                dict(padding="same"), dict(padding="valid", stride=3)])
def test_conv1d_matches_torch(dt, kw):
    run_both(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
             [randn(3, 4, 13), randn(6, 4 // kw.get("groups", 1), 3), randn(6)], dt)
    run_both(lambda x, w: F.conv1d(x, w, **kw), lambda x, w: TF.conv1d(x, w, **kw),
             [randn(4, 13), randn(6, 4 // kw.get("groups", 1), 3)], dt)


# ---------------- transposed ----------------

TRANSPOSE_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)),
    dict(dilation=2, padding=1),
    dict(stride=1, dilation=3, output_padding=2),  # output_padding < dilation though >= stride
    dict(stride=2, groups=2, padding=1),
]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_torch(dt, kw):
    g = kw.get("groups", 1)
    bias = dt == np.float32
    arrays = [randn(2, 4, 5, 6), randn(4, 6 // g, 3, 2)] + ([randn(6)] if bias else [])
    run_both(lambda *a: F.conv_transpose2d(a[0], a[1], a[2] if bias else None, **kw),
             lambda *a: TF.conv_transpose2d(a[0], a[1], a[2] if bias else None, **kw), arrays, dt)


@pytest.mark.parametrize("dt", DTYPES)
def test_conv_transpose_unbatched_and_1d(dt):
    run_both(lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1), [randn(3, 4, 5), randn(3, 2, 3, 3), randn(2)], dt)
    kw = dict(stride=3, padding=2, output_padding=1, groups=2, dilation=2)
    run_both(lambda x, w, b: F.conv_transpose1d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose1d(x, w, b, **kw),
             [randn(2, 4, 7), randn(4, 3, 4), randn(6)], dt)


@SET
@given(n=hs.integers(1, 3), cin=hs.integers(1, 4), cout=hs.integers(1, 4), h=hs.integers(1, 6), w=hs.integers(1, 6),
       k=hs.integers(1, 4), s=hs.integers(1, 3), p=hs.integers(0, 2), d=hs.integers(1, 3), op=hs.integers(0, 2))
def test_conv_transpose2d_hypothesis(n, cin, cout, h, w, k, s, p, d, op):
    if not (op < s or op < d):
        op = 0
    size_h, size_w = ((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i in (h, w))
    kw = dict(stride=s, padding=p, output_padding=op, dilation=d)
    if size_h < 1 or size_w < 1:
        with pytest.raises(ValueError, match="padding is too large"):
            F.conv_transpose2d(st.zeros(n, cin, h, w), st.zeros(cin, cout, k, k), **kw)
        return
    run_both(lambda x, wt: F.conv_transpose2d(x, wt, **kw), lambda x, wt: TF.conv_transpose2d(x, wt, **kw),
             [randn(n, cin, h, w), randn(cin, cout, k, k)], np.float64)


def test_conv_transpose_is_the_data_gradient_of_conv():
    # the same weight: conv_transpose2d(g) equals d<conv2d(x), g>/dx
    x = st.from_numpy(randn(2, 3, 9, 8)).requires_grad_()
    w = st.from_numpy(randn(4, 3, 3, 3))
    y = F.conv2d(x, w, stride=2, padding=1)
    g = st.from_numpy(randn(*y.shape))
    y.backward(g)
    t = F.conv_transpose2d(g, w, stride=2, padding=1, output_padding=(0, 1))
    np.testing.assert_allclose(t.numpy(), x.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---------------- unfold / fold ----------------

@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), padding=1, stride=2),
                                dict(kernel_size=3, dilation=(2, 1), padding=(2, 0), stride=(1, 2))])
def test_unfold_fold_match_torch(dt, kw):
    ys = run_both(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), [randn(2, 3, 8, 9)], dt)
    run_both(lambda c: F.fold(c, (8, 9), **kw), lambda c: TF.fold(c, (8, 9), **kw), [randn(*ys.shape)], dt)
    run_both(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), [randn(3, 8, 9)], dt)
    m = st.nn.Unfold(**kw)
    np.testing.assert_allclose(m(st.from_numpy(np.ones((1, 3, 8, 9), dt))).numpy(),
                               torch.nn.Unfold(**kw)(torch.ones(1, 3, 8, 9, dtype=torch.float64)).numpy())
    assert repr(st.nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))
    assert repr(st.nn.Fold((8, 9), **kw)) == repr(torch.nn.Fold((8, 9), **kw))


def test_conv2d_equals_unfold_matmul():
    # an independent formula: conv2d is weight (O, C*kh*kw) @ unfold(x), computed in numpy
    x, w = randn(2, 3, 7, 6), randn(5, 3, 3, 2)
    cols = F.unfold(st.from_numpy(x), (3, 2), padding=1, stride=2).numpy()
    ref = np.einsum("ok,nkl->nol", w.reshape(5, -1), cols).reshape(2, 5, 4, 4)
    np.testing.assert_allclose(F.conv2d(st.from_numpy(x), st.from_numpy(w), padding=1, stride=2).numpy(), ref,
                               rtol=1e-12, atol=1e-12)


# ---------------- gradcheck ----------------

def leaf(*shape):
    return st.from_numpy(randn(*shape)).requires_grad_()


def test_gradcheck_conv_family():
    x, w, b = leaf(2, 4, 5, 4), leaf(4, 2, 2, 3), leaf(4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
                     (x, w, b))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), (x, w, b))
    wt = leaf(4, 3, 2, 3)
    b6 = leaf(6)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                     (x, wt, b6))
    x1, w1 = leaf(2, 3, 7), leaf(4, 3, 3)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=2, dilation=2), (x1, w1))
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1), (x1, leaf(3, 2, 3)))
    assert gradcheck(lambda x: F.unfold(x, (2, 3), padding=1, stride=(2, 1)), (leaf(1, 2, 4, 5),))
    assert gradcheck(lambda c: F.fold(c, (4, 5), (2, 3), padding=1, stride=(2, 1)), (leaf(1, 12, 15),))


# ---------------- threads, deterministic mode, 16-bit ----------------

def test_threads_and_deterministic_mode_agree():
    x, w, b = randn(16, 8, 12, 12), randn(16, 8, 3, 3), randn(16)
    n0 = st.get_num_threads()

    def run(nt):
        st.set_num_threads(nt)
        xs, ws, bs = (st.from_numpy(a.astype(np.float32)).requires_grad_() for a in (x, w, b))
        y = F.conv2d(xs, ws, bs, padding=1)
        (y * y).sum().backward()
        return y.detach().numpy(), xs.grad.numpy(), ws.grad.numpy(), bs.grad.numpy()

    try:
        one, two = run(1), run(2)
        for a, c in zip(one, two):
            np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-3)
        st.use_deterministic_algorithms(True)
        one, two = run(1), run(2)
        for a, c in zip(one, two):
            np.testing.assert_array_equal(a, c)
    finally:
        st.use_deterministic_algorithms(False)
        st.set_num_threads(n0)


@pytest.mark.parametrize("dtype", [st.bfloat16, st.float16])
def test_16bit_inputs_compute_in_float32(dtype):
    x, w = st.from_numpy(randn(2, 3, 6, 6)).to(dtype), st.from_numpy(randn(4, 3, 3, 3)).to(dtype)
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == dtype
    ref = F.conv2d(x.float(), w.float(), padding=1).to(dtype)
    np.testing.assert_array_equal(y.float().numpy(), ref.float().numpy())


# ---------------- modules ----------------

@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(3, 8, 3, padding=1),
    lambda nn: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding="same" if False else (1, 0), dilation=(1, 2),
                         groups=2, bias=False),
    lambda nn: nn.Conv2d(2, 4, 3, padding="same"),
    lambda nn: nn.Conv1d(3, 5, 4, stride=2, padding=1),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
    lambda nn: nn.ConvTranspose1d(3, 2, 5, stride=3, dilation=2),
])
def test_modules_load_torch_state_dict(make):
    tm, sm = make(torch.nn), make(st.nn)
    assert repr(sm) == repr(tm)
    assert list(sm.state_dict()) == list(tm.state_dict())
    for (k, a), (_, c) in zip(sm.state_dict().items(), tm.state_dict().items()):
        assert tuple(a.shape) == tuple(c.shape), k
    sm.load_state_dict({k: st.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    nd = len(tm.kernel_size)
    cin = tm.in_channels
    x = randn(2, cin, *([11] * nd)).astype(np.float32)
    np.testing.assert_allclose(sm(st.from_numpy(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_module_initialisation_bounds():
    st.manual_seed(0)
    m = st.nn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias rule both give this
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.8 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    t = st.nn.ConvTranspose2d(8, 4, 3, groups=2)
    assert tuple(t.weight.shape) == (8, 2, 3, 3)  # fan_in from weight.shape[1] * 9, as torch
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / math.sqrt(2 * 9)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes(mode):
    for nd, make in ((2, lambda nn: nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode=mode)),
                     (1, lambda nn: nn.Conv1d(2, 3, 3, padding="same", padding_mode=mode))):
        tm, sm = make(torch.nn), make(st.nn)
        sm.load_state_dict({k: st.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
        x = randn(2, 2, *([6] * nd))
        xs, xt = st.from_numpy(x).requires_grad_(), torch.tensor(x, requires_grad=True)
        sm.double(), tm.double()
        ys, yt = sm(xs), tm(xt)
        np.testing.assert_allclose(ys.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
        ys.sum().backward(), yt.sum().backward()
        np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
        assert repr(sm) == repr(tm)


def test_conv_transpose_output_size_argument():
    tm, sm = torch.nn.ConvTranspose2d(3, 2, 3, stride=2), st.nn.ConvTranspose2d(3, 2, 3, stride=2)
    sm.load_state_dict({k: st.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    x = randn(1, 3, 4, 5).astype(np.float32)
    ys = sm(st.from_numpy(x), output_size=(10, 11))
    yt = tm(torch.tensor(x), output_size=(10, 11))
    assert tuple(ys.shape) == tuple(yt.shape) == (1, 2, 10, 11)
    np.testing.assert_allclose(ys.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="output size"):
        sm(st.from_numpy(x), output_size=(12, 11))


def test_module_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        st.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive"):
        st.nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="strided"):
        st.nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding string"):
        st.nn.Conv2d(4, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode"):
        st.nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="zeros"):
        st.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="kernel_size"):
        st.nn.Conv2d(4, 4, (3, 3, 3))


# ---------------- bad input ----------------

def z(*shape, dtype=st.float32):
    return st.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=0), ValueError, "stride must be positive"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=-1), ValueError, "stride must be positive"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), padding=-1), ValueError, "padding must be non-negative"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), dilation=0), ValueError, "dilation must be positive"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=(1, 1, 1)), ValueError, "stride to be a single int or 2"),
    (lambda: F.conv2d(z(1, 3, 2, 5), z(4, 3, 3, 3)), ValueError, "larger than the padded input"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), dilation=3), ValueError, "larger than the padded input"),
    (lambda: F.conv2d(z(1, 4, 5, 5), z(4, 3, 3, 3)), ValueError, "to have 3 channels"),
    (lambda: F.conv2d(z(1, 4, 5, 5), z(6, 2, 3, 3), groups=3), ValueError, "channels"),
    (lambda: F.conv2d(z(1, 4, 5, 5), z(5, 2, 3, 3), groups=2), ValueError, "divisible by groups"),
    (lambda: F.conv2d(z(1, 4, 5, 5), z(4, 4, 3, 3), groups=0), ValueError, "groups must be a positive"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3)), ValueError, "4-D weight"),
    (lambda: F.conv2d(z(5, 5), z(4, 1, 3, 3)), ValueError, "3-D \\(unbatched\\) or 4-D"),
    (lambda: F.conv2d(z(1, 1, 1, 5, 5), z(4, 1, 3, 3)), ValueError, "3-D \\(unbatched\\) or 4-D"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), z(3)), ValueError, "bias of shape"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3, dtype=st.float64)), TypeError, "same dtype"),
    (lambda: F.conv2d(z(1, 3, 5, 5, dtype=st.int64), z(4, 3, 3, 3, dtype=st.int64)), TypeError, "floating-point"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=2, padding="same"), ValueError, "strided"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), padding="full"), ValueError, "'valid', 'same'"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=1.5), TypeError, "stride must be an int"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), padding=2 ** 62), ValueError, "too large"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), dilation=2 ** 62), ValueError, "too large"),
    (lambda: F.conv2d(z(1, 3, 5, 5), z(4, 3, 3, 3), stride=2 ** 64), ValueError,
     "stride of 18446744073709551616 is too large"),
    (lambda: F.conv2d([1.0], z(4, 3, 3, 3)), TypeError, "argument 'input' must be a Tensor"),
    (lambda: F.conv1d(z(1, 3, 5), z(4, 3, 3, 3)), ValueError, "3-D weight"),
    (lambda: F.conv_transpose2d(z(1, 3, 5, 5), z(4, 2, 3, 3)), ValueError, "to have 4 channels"),
    (lambda: F.conv_transpose2d(z(1, 4, 5, 5), z(4, 2, 3, 3), groups=3), ValueError, "divisible by groups"),
    (lambda: F.conv_transpose2d(z(1, 4, 5, 5), z(4, 2, 3, 3), stride=2, output_padding=2), ValueError,
     "output_padding"),
    (lambda: F.conv_transpose2d(z(1, 4, 1, 1), z(4, 2, 3, 3), padding=3), ValueError, "padding is too large"),
    (lambda: F.conv_transpose2d(z(1, 4, 5, 5), z(4, 2, 3, 3), z(4)), ValueError, "bias of shape"),
    (lambda: F.unfold(z(1, 3, 5, 5), 6), ValueError, "larger than the padded input"),
    (lambda: F.unfold(z(3, 5), 2), ValueError, "3-D \\(unbatched\\) or 4-D"),
    (lambda: F.fold(z(1, 12, 10), (4, 5), 2), ValueError, "sliding blocks"),
    (lambda: F.fold(z(1, 10, 12), (4, 5), 2), ValueError, "divisible by the product of kernel_size"),
    (lambda: F.fold(z(1, 12, 12), (4, 5), 0), ValueError, "kernel_size must be positive"),
])
def test_bad_input_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_gradient_of_wrong_shape_is_refused():
    x = st.zeros(1, 2, 4, 4, requires_grad=True)
    y = F.conv2d(x, st.zeros(3, 2, 3, 3))
    with pytest.raises((ValueError, RuntimeError)):
        y.backward(st.zeros(1, 3, 3, 3))


def test_empty_batch():
    x, w = st.zeros(0, 3, 5, 5, requires_grad=True), st.ones(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, st.ones(4))
    assert tuple(y.shape) == (0, 4, 3, 3)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 5, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 3, 3, 3), np.float32))
