"""CUDA convolution, unfold/fold, pooling and batch norm against steepest's own CPU path on the
same random inputs: awkward geometries (batch 0 and 1, odd sizes, strides, padding, dilation,
groups, kernels wider than the image, more than one 256-thread block, non-contiguous inputs),
forward values and gradients through autograd, float32/float64 and 16-bit; then a small CNN
(conv, batch norm, max and average pooling, linear) and the CLI's digits ResNet trained a few
steps on both devices.

Tolerances: convolution products run in cuBLAS's summation order, not the CPU BLAS's, so
float32 is compared with rtol 1e-4 plus 1e-5 * sqrt(K) times the values' scale (K the GEMM's
inner size), float64 with 1e-10; bfloat16 and float16 (one rounding of a float32 sum on each
side) within 2 and 1 units of their last place at the values' scale. Batch norm's per-channel
sums run in another order (double on the GPU): float32 rtol 2e-5 with an absolute term of 2e-5
times the scale, float64 1e-10. unfold, fold and every pooling op read and add in the CPU's
order with its arithmetic (conv_geom.hpp; replayed in tests/cpp/test_cuda_conv.cpp), so they
are compared bit for bit, indices included."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from gpu import needs_gpu
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn as nn
import steepest.nn.functional as F

pytestmark = needs_gpu
SET = settings(max_examples=6, deadline=None)
RNG = np.random.default_rng(4321)


def cpu(a: np.ndarray, grad: bool = False) -> st.Tensor:
    t = st.from_numpy(np.array(a, order="C", copy=True))
    return t.requires_grad_() if grad else t


def dev(t: st.Tensor, grad: bool = False) -> st.Tensor:
    """The CUDA copy of a CPU tensor, as a fresh leaf."""
    g = t.detach().to("cuda")
    return g.requires_grad_() if grad else g


def host(t: st.Tensor) -> np.ndarray:
    """Values as float64 numpy (16-bit widened exactly)."""
    t = t.detach().cpu()
    return (t.to(st.float64) if t.is_floating_point() else t).numpy().astype(np.float64)


def close(got: st.Tensor, want: st.Tensor, rtol: float, atol_scale: float) -> None:
    """|got - want| <= rtol |want| + atol_scale * max|want| (the scale of the values)."""
    g, w = host(got), host(want)
    assert g.shape == w.shape
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    np.testing.assert_allclose(g, w, rtol=rtol, atol=atol_scale * max(scale, 1e-30))


def same(got: st.Tensor, want: st.Tensor) -> None:
    """Bit for bit (16-bit values widened to float32 first, which is exact)."""
    assert got.dtype == want.dtype
    got, want = got.detach().cpu(), want.detach().cpu()
    if got.dtype in (st.bfloat16, st.float16):
        got, want = got.to(st.float32), want.to(st.float32)
    g, w = got.numpy(), want.numpy()
    assert g.dtype == w.dtype and g.shape == w.shape
    np.testing.assert_array_equal(g.view(np.uint8) if g.dtype.kind == "f" else g,
                                  w.view(np.uint8) if w.dtype.kind == "f" else w)


def gemm_tol(dt, k: int) -> tuple[float, float]:
    if dt == np.float64:
        return 1e-10, 1e-12 * math.sqrt(max(k, 1))
    return 1e-4, 1e-5 * math.sqrt(max(k, 1))


def rand(shape, dt=np.float32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dt)


def both_backward(fn, inputs_cpu: list[st.Tensor], extra=()):
    """fn(*inputs) on the CPU and on cuda (fresh leaves), each backpropagating the same random
    upstream gradient. Returns (out_cpu, out_cuda, grads_cpu, grads_cuda)."""
    xs_c = [t.detach().clone().requires_grad_() if t.is_floating_point() else t for t in inputs_cpu]
    xs_d = [dev(t, grad=t.is_floating_point()) for t in inputs_cpu]
    y_c, y_d = fn(*xs_c, *extra), fn(*xs_d, *extra)
    r = cpu(RNG.standard_normal(tuple(y_c.shape)).astype(np.float64)).to(y_c.dtype)
    (y_c * r).sum().backward()
    (y_d * dev(r)).sum().backward()
    gc = [t.grad for t in xs_c if t.is_floating_point()]
    gd = [t.grad for t in xs_d if t.is_floating_point()]
    return y_c, y_d, gc, gd


# ---------------------------------------------------------------- convolution

# (N, C, H, W, O, kernel, stride, padding, dilation, groups, bias)
CONV2D = [
    (2, 3, 7, 5, 4, 3, 1, 1, 1, 1, True),
    (1, 4, 9, 9, 6, (3, 2), (2, 1), (1, 0), (1, 2), 2, True),
    (3, 2, 5, 5, 4, 1, 1, 0, 1, 1, False),       # pointwise: the image is its own column matrix
    (0, 3, 5, 5, 2, 3, 1, 1, 1, 1, True),        # empty batch
    (2, 6, 4, 4, 6, 3, 1, 1, 1, 6, True),        # depthwise
    (1, 1, 1, 1, 1, 1, 1, 0, 1, 1, True),
    (2, 2, 3, 4, 3, 5, 1, 2, 1, 1, True),        # kernel wider than the image
    (5, 8, 17, 17, 16, 5, 2, 2, 1, 1, True),     # > one block everywhere
    (2, 3, 6, 6, 4, 3, 2, 0, 1, 1, False),
]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV2D)
def test_conv2d_matches_cpu(dt, case):
    n, c, h, w, o, k, s, p, d, g, has_bias = case
    kh, kw = (k, k) if isinstance(k, int) else k
    x = cpu(rand((n, c, h, w), dt))
    wt = cpu(rand((o, c // g, kh, kw), dt))
    ins = [x, wt] + ([cpu(rand((o,), dt))] if has_bias else [])

    def fn(xx, ww, *b):
        return F.conv2d(xx, ww, b[0] if b else None, stride=s, padding=p, dilation=d, groups=g)

    y_c, y_d, gc, gd = both_backward(fn, ins)
    assert y_d.device.type == "cuda"
    rtol, at = gemm_tol(dt, c // g * kh * kw)
    close(y_d, y_c, rtol, at)
    for a, b in zip(gd, gc):
        close(a, b, rtol, gemm_tol(dt, max(n * y_c.shape[2] * y_c.shape[3], o))[1] + at)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_conv2d_noncontiguous_input(dt):
    base = cpu(rand((3, 6, 8, 2), dt))
    wt = cpu(rand((5, 3, 3, 3), dt))
    # The permuted view (2, 3, 8, 6) is taken on each device, so the CUDA op gets odd strides.
    y_c, y_d, gc, gd = both_backward(lambda a, b: F.conv2d(a.permute(3, 0, 2, 1), b, padding=1), [base, wt])
    assert not base.permute(3, 0, 2, 1).is_contiguous()
    rtol, at = gemm_tol(dt, 27)
    close(y_d, y_c, rtol, at)
    for a, b in zip(gd, gc):
        close(a, b, rtol, 10 * at)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", [(2, 3, 11, 4, 3, 2, 1, 1, 1), (1, 4, 1, 4, 1, 1, 0, 1, 2),
                                  (3, 2, 20, 5, 4, 3, 3, 2, 1)])
def test_conv1d_matches_cpu(dt, case):
    n, c, length, o, k, s, p, d, g = case
    ins = [cpu(rand((n, c, length), dt)), cpu(rand((o, c // g, k), dt)), cpu(rand((o,), dt))]
    y_c, y_d, gc, gd = both_backward(lambda a, b, bb: F.conv1d(a, b, bb, stride=s, padding=p, dilation=d, groups=g),
                                     ins)
    rtol, at = gemm_tol(dt, c * k)
    close(y_d, y_c, rtol, at)
    for a, b in zip(gd, gc):
        close(a, b, rtol, 10 * at)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    (2, 4, 5, 5, 3, 3, 2, 1, 1, 1, 1),   # (N, C, H, W, O, k, stride, padding, output_padding, groups, dilation)
    (1, 2, 3, 4, 4, 2, 1, 0, 0, 2, 1),
    (3, 3, 4, 3, 2, 3, 3, 1, 2, 1, 2),
])
def test_conv_transpose2d_matches_cpu(dt, case):
    n, c, h, w, o, k, s, p, op, g, d = case
    ins = [cpu(rand((n, c, h, w), dt)), cpu(rand((c, o // g, k, k), dt)), cpu(rand((o,), dt))]
    y_c, y_d, gc, gd = both_backward(
        lambda a, b, bb: F.conv_transpose2d(a, b, bb, stride=s, padding=p, output_padding=op, groups=g, dilation=d),
        ins)
    rtol, at = gemm_tol(dt, c * k * k)
    close(y_d, y_c, rtol, at)
    for a, b in zip(gd, gc):
        close(a, b, rtol, 10 * at)


@pytest.mark.parametrize("dt,ulps", [(st.bfloat16, 2 * 2.0**-8), (st.float16, 2.0**-11)])
@pytest.mark.parametrize("case", [CONV2D[0], CONV2D[1], CONV2D[2], CONV2D[7]])
def test_conv2d_16bit_matches_cpu(dt, ulps, case):
    n, c, h, w, o, k, s, p, d, g, has_bias = case
    kh, kw = (k, k) if isinstance(k, int) else k
    ins = [cpu(rand((n, c, h, w))).to(dt), cpu(rand((o, c // g, kh, kw))).to(dt)]
    ins += [cpu(rand((o,))).to(dt)] if has_bias else []

    def fn(xx, ww, *b):
        return F.conv2d(xx, ww, b[0] if b else None, stride=s, padding=p, dilation=d, groups=g)

    y_c, y_d, gc, gd = both_backward(fn, ins)
    assert y_d.dtype == dt
    # One rounding each of two float32 sums that differ in order: a unit or two of the last
    # place at the values' scale.
    close(y_d, y_c, 2 * ulps, 4 * ulps)
    for a, b in zip(gd, gc):
        close(a, b, 2 * ulps, 4 * ulps)


# ---------------------------------------------------------------- unfold / fold

UNFOLD = [  # (N, C, H, W, kernel, dilation, padding, stride)
    (2, 3, 6, 5, 3, 1, 1, 1), (1, 2, 7, 9, (2, 3), (2, 1), (1, 2), (2, 3)), (3, 1, 4, 4, 4, 1, 0, 1),
    (2, 5, 33, 40, 3, 2, 2, 1),
]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", UNFOLD)
def test_unfold_fold_bitwise(dt, case):
    n, c, h, w, k, d, p, s = case
    x = cpu(rand((n, c, h, w), dt))
    u_c, u_d, gc, gd = both_backward(lambda a: F.unfold(a, k, dilation=d, padding=p, stride=s), [x])
    same(u_d, u_c)
    same(gd[0], gc[0])  # unfold's gradient is fold
    cols = cpu(rand(tuple(u_c.shape), dt))
    f_c, f_d, gc, gd = both_backward(lambda a: F.fold(a, (h, w), k, dilation=d, padding=p, stride=s), [cols])
    same(f_d, f_c)
    same(gd[0], gc[0])


@pytest.mark.parametrize("dt", [st.bfloat16, st.float16])
def test_unfold_fold_16bit_bitwise(dt):
    x = cpu(rand((2, 3, 7, 6))).to(dt)
    same(F.unfold(dev(x), 3, padding=1, stride=2), F.unfold(x, 3, padding=1, stride=2))
    cols = cpu(rand((2, 3 * 9, 12))).to(dt)
    same(F.fold(dev(cols), (7, 6), 3, padding=1, stride=2), F.fold(cols, (7, 6), 3, padding=1, stride=2))


# ---------------------------------------------------------------- pooling

MAXPOOL = [  # (N, C, H, W, kernel, stride, padding, dilation, ceil_mode)
    (2, 3, 7, 5, 3, 2, 1, 1, False), (1, 2, 8, 8, 2, 2, 0, 1, False), (2, 1, 9, 7, 3, 2, 1, 2, True),
    (1, 1, 1, 1, 1, 1, 0, 1, False), (3, 4, 5, 6, (2, 3), (1, 2), (1, 1), 1, True), (0, 2, 4, 4, 2, 2, 0, 1, False),
    (4, 8, 33, 31, 3, 1, 1, 1, False),
]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", MAXPOOL)
def test_max_pool2d_bitwise(dt, case):
    n, c, h, w, k, s, p, d, cm = case
    a = rand((n, c, h, w), dt)
    if a.size > 3:
        a.flat[1] = np.nan  # NaN wins its windows
        a.flat[3] = a.flat[2]  # a tie: the first position wins
    x = cpu(a)
    x_c, x_d = x.detach().clone().requires_grad_(), dev(x, grad=True)
    y_c, i_c = F.max_pool2d(x_c, k, s, p, d, ceil_mode=cm, return_indices=True)
    y_d, i_d = F.max_pool2d(x_d, k, s, p, d, ceil_mode=cm, return_indices=True)
    same(y_d, y_c)
    same(i_d, i_c)
    r = cpu(rand(tuple(y_c.shape), dt))
    (y_c * r).sum().backward()
    (y_d * dev(r)).sum().backward()
    same(x_d.grad, x_c.grad)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("case", [MAXPOOL[0], MAXPOOL[2], MAXPOOL[4], MAXPOOL[6]])
@pytest.mark.parametrize("cip,div", [(True, None), (False, None), (True, 3)])
def test_avg_pool2d_bitwise(dt, case, cip, div):
    n, c, h, w, k, s, p, _, cm = case
    x = cpu(rand((n, c, h, w), dt))
    y_c, y_d, gc, gd = both_backward(
        lambda a: F.avg_pool2d(a, k, s, p, ceil_mode=cm, count_include_pad=cip, divisor_override=div), [x])
    same(y_d, y_c)
    same(gd[0], gc[0])


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape,out", [((2, 3, 7, 5), (3, 2)), ((1, 2, 5, 5), (7, 9)), ((2, 1, 8, 8), 1),
                                       ((3, 2, 1, 9), (1, 4)), ((2, 4, 33, 20), (5, 7))])
def test_adaptive_pool2d_bitwise(dt, shape, out):
    x = cpu(rand(shape, dt))
    y_c, y_d, gc, gd = both_backward(lambda a: F.adaptive_avg_pool2d(a, out), [x])
    same(y_d, y_c)
    same(gd[0], gc[0])
    x_c, x_d = x.detach().clone().requires_grad_(), dev(x, grad=True)
    (m_c, j_c), (m_d, j_d) = (F.adaptive_max_pool2d(x_c, out, return_indices=True),
                              F.adaptive_max_pool2d(x_d, out, return_indices=True))
    same(m_d, m_c)
    same(j_d, j_c)
    r = cpu(rand(tuple(m_c.shape), dt))
    (m_c * r).sum().backward()
    (m_d * dev(r)).sum().backward()
    same(x_d.grad, x_c.grad)


def test_pool1d_and_16bit_bitwise():
    x = cpu(rand((2, 3, 13)))
    same(F.max_pool1d(dev(x), 3, 2, 1), F.max_pool1d(x, 3, 2, 1))
    same(F.avg_pool1d(dev(x), 4, 3, 2, ceil_mode=True), F.avg_pool1d(x, 4, 3, 2, ceil_mode=True))
    same(F.adaptive_avg_pool1d(dev(x), 5), F.adaptive_avg_pool1d(x, 5))
    for dt in (st.bfloat16, st.float16):  # computed in float32 on both devices
        h = cpu(rand((2, 3, 9, 7))).to(dt)
        same(F.max_pool2d(dev(h), 3, 2, 1), F.max_pool2d(h, 3, 2, 1))
        same(F.avg_pool2d(dev(h), 2), F.avg_pool2d(h, 2))


@SET
@given(n=hs.integers(1, 3), c=hs.integers(1, 3), h=hs.integers(1, 12), w=hs.integers(1, 12),
       k=hs.integers(1, 4), s=hs.integers(1, 3), ceil=hs.booleans())
def test_pools_random_shapes_bitwise(n, c, h, w, k, s, ceil):
    k = min(k, h, w)
    p = k // 2
    x = cpu(rand((n, c, h, w)))
    same(F.max_pool2d(dev(x), k, s, p, ceil_mode=ceil), F.max_pool2d(x, k, s, p, ceil_mode=ceil))
    y_c, y_d, gc, gd = both_backward(lambda a: F.avg_pool2d(a, k, s, p, ceil_mode=ceil), [x])
    same(y_d, y_c)
    same(gd[0], gc[0])


# ---------------------------------------------------------------- batch norm

def bn_tol(dt) -> tuple[float, float]:
    return (2e-5, 2e-5) if dt == np.float32 else (1e-10, 1e-10)


BN_SHAPES = [(7, 3), (5, 4, 9), (4, 3, 5, 5), (2, 2, 30, 30), (1, 3, 2, 2), (64, 5, 1), (3, 300, 2), (2, 3, 2, 3, 4)]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_cpu(dt, shape, affine):
    c = shape[1]
    x = cpu((rand(shape, dt) * 3 + 1.5).astype(dt))
    rm_c, rv_c = cpu(rand((c,), dt)), cpu(np.abs(rand((c,), dt)) + 0.5)
    rm_d, rv_d = dev(rm_c), dev(rv_c)
    ins = [x] + ([cpu(rand((c,), dt)), cpu(rand((c,), dt))] if affine else [])

    def run(rm, rv):
        return lambda a, *wb: F.batch_norm(a, rm, rv, *(wb or (None, None)), training=True, momentum=0.3, eps=1e-4)

    xs_c = [t.detach().clone().requires_grad_() for t in ins]
    xs_d = [dev(t, grad=True) for t in ins]
    y_c, y_d = run(rm_c, rv_c)(*xs_c), run(rm_d, rv_d)(*xs_d)
    rtol, at = bn_tol(dt)
    close(y_d, y_c, rtol, at)
    close(rm_d, rm_c, rtol, at)
    close(rv_d, rv_c, rtol, at)
    r = cpu(rand(shape, dt))
    (y_c * r).sum().backward()
    (y_d * dev(r)).sum().backward()
    m = x.numel() // c
    for a, b in zip(xs_d, xs_c):
        close(a.grad, b.grad, rtol * math.sqrt(m), at * math.sqrt(m))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7, 3), (4, 3, 5, 5), (0, 3, 4)])
def test_batch_norm_eval_matches_cpu(dt, shape):
    c = shape[1]
    ins = [cpu(rand(shape, dt)), cpu(rand((c,), dt)), cpu(rand((c,), dt))]
    rm, rv = cpu(rand((c,), dt)), cpu(np.abs(rand((c,), dt)) + 0.5)
    y_c, y_d, gc, gd = both_backward(lambda a, w, b: F.batch_norm(a, rm.to(a.device), rv.to(a.device), w, b,
                                                                  training=False), ins)
    rtol, at = bn_tol(dt)
    close(y_d, y_c, rtol, at)
    for a, b in zip(gd, gc):
        close(a, b, rtol, at * math.sqrt(max(shape[0], 1) * 25))


def test_batch_norm_modules_and_16bit():
    # BatchNorm2d with momentum=None (a cumulative average over num_batches_tracked), two steps.
    m_c = nn.BatchNorm2d(3, momentum=None)
    m_d = copy.deepcopy(m_c).to("cuda")
    for _ in range(2):
        x = cpu(rand((4, 3, 5, 6)) * 2 + 1)
        close(m_d(dev(x)), m_c(x), 2e-5, 2e-5)
    close(m_d.running_mean, m_c.running_mean, 2e-5, 2e-5)
    close(m_d.running_var, m_c.running_var, 2e-5, 2e-5)
    assert int(m_d.num_batches_tracked.item()) == 2
    m_c.eval(), m_d.eval()
    x = cpu(rand((2, 3, 4, 4)))
    close(m_d(dev(x)), m_c(x), 2e-5, 2e-5)
    for dt in (st.bfloat16, st.float16):
        b_c = nn.BatchNorm1d(4)
        b_d = copy.deepcopy(b_c).to("cuda")
        x = cpu(rand((6, 4, 3))).to(dt)
        close(b_d(dev(x)), b_c(x), 2.0**-7, 2.0**-7)


# ---------------------------------------------------------------- training a small CNN


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 3, padding=1)
        self.b1 = nn.BatchNorm2d(6)
        self.c2 = nn.Conv2d(6, 8, 3, stride=1, padding=1, groups=2)
        self.b2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 2 * 2, 10)

    def forward(self, x: st.Tensor) -> st.Tensor:
        h = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)            # 9x9 -> 4x4
        h = F.avg_pool2d(F.relu(self.b2(self.c2(h))), 3, 1, 1)      # 4x4
        h = F.adaptive_max_pool2d(h, 2)                            # 2x2
        return self.fc(h.flatten(1))


def train_both(model_c: nn.Module, x: np.ndarray, y: np.ndarray, steps: int, lr: float):
    model_d = copy.deepcopy(model_c).to("cuda")
    opt_c = st.optim.SGD(model_c.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    opt_d = st.optim.SGD(model_d.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=1e-4)
    xc, yc = cpu(x), cpu(y)
    xd, yd = dev(xc), dev(yc)
    losses = []
    for _ in range(steps):
        for model, opt, xx, yy in ((model_c, opt_c, xc, yc), (model_d, opt_d, xd, yd)):
            opt.zero_grad()
            loss = F.cross_entropy(model(xx), yy)
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
    return model_d, np.array(losses).reshape(steps, 2)


def test_small_cnn_training_matches_cpu():
    model_c = SmallCNN()
    x = rand((16, 1, 9, 9))
    y = RNG.integers(0, 10, 16)
    model_d, losses = train_both(model_c, x, y, steps=4, lr=0.05)
    np.testing.assert_allclose(losses[:, 1], losses[:, 0], rtol=1e-4, atol=1e-5)
    assert losses[-1, 1] < losses[0, 1]
    for (name, pc), (_, pd) in zip(model_c.named_parameters(), model_d.named_parameters()):
        assert pd.device.type == "cuda", name
        close(pd, pc, 1e-3, 1e-3)


def test_digits_resnet_trains_on_cuda():
    from steepest.cli.cnn import DigitsResNet
    model_c = DigitsResNet(width=8, blocks=1)
    x = rand((32, 64))
    y = RNG.integers(0, 10, 32)
    model_d, losses = train_both(model_c, x, y, steps=3, lr=0.05)
    np.testing.assert_allclose(losses[:, 1], losses[:, 0], rtol=1e-4, atol=1e-5)
    for (name, bc), (_, bd) in zip(model_c.named_buffers(), model_d.named_buffers()):
        assert bd.device.type == "cuda", name
        close(bd, bc, 1e-3, 1e-3)
