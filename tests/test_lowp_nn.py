"""The fused nn ops in bfloat16/float16 compute in float32 and round once, forward and
backward: softmax, log_softmax, cross_entropy (label smoothing, ignore_index, class weights),
nll_loss, layer_norm, rms_norm, group_norm, batch_norm, gelu (both forms), silu, relu,
mse_loss, l1_loss, embedding, dropout, pooling; checked against float64 torch on the same rounded
inputs with a stated bound, against torch's 16-bit results, and for torch's result dtype.

Bound (one rounding of a float32 computation). With u the dtype's unit roundoff (2^-8
bfloat16, 2^-11 float16), m the op's reduction length and S = max|ref| + max|g| * max(1, max|x|)
* N (the size of the terms a forward or backward formula combines; N = max(1, 1/std) *
max(1, max|weight|) for the normalizations, whose gradients scale with 1/std, else 1),
    |got - ref| <= u |ref| + (4 m + 16) 2^-24 S + t,
t being half float16's smallest subnormal step (2^-25) for float16 results. A second rounding
anywhere inside would add errors of order u |intermediate|, far above the float32 term.
torch's 16-bit backward rounds some intermediates (the saved 16-bit output, for one), so our
results must lie within 4 u max|ref| + 2 u |ref| (plus twice the float32 term) of torch's, or
closer to float64 than torch's (torch's bfloat16 batch_norm gradient, for one, loses the
cancellation of near-zero results)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F

U = {"bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}
U24 = 2.0 ** -24


def st_of(t, requires_grad=False):
    if not t.is_floating_point():
        return st.tensor(t.numpy())
    dt = {torch.bfloat16: st.bfloat16, torch.float16: st.float16, torch.float32: st.float32}[t.dtype]
    return st.tensor(t.float().numpy(), dtype=dt, requires_grad=requires_grad)


def f64(t):
    return np.asarray(t.detach().float().numpy(), dtype=np.float64)


def amax(a):
    """max |a| over the non-NaN entries (0 for none)."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    a = a[~np.isnan(a)]
    return float(a.max(initial=0.0))


def within(got, ref, u, m, s, tiny, what):
    """The bound, elementwise; a NaN reference (a mean over no kept rows) must be NaN too."""
    nan = np.isnan(ref)
    assert np.array_equal(np.isnan(got), nan), f"{what}: NaN where the reference has none, or the reverse"
    bound = u * np.abs(ref) + (4 * m + 16) * U24 * s + tiny
    err = np.where(nan, 0.0, np.abs(got - ref))
    assert np.all(err <= np.where(nan, 0.0, bound)), f"{what}: max excess {np.nanmax(err - bound):.3g}"


# name -> (steepest fn, torch fn, build(rng, rows, d, dtype) -> (inputs, reduction length))
def _x(rng, shape, dtype, scale=1.0):
    values = np.asarray(rng.standard_normal(shape) * scale, dtype=np.float32)
    return torch.from_numpy(values).to(getattr(torch, dtype))


def _const(t):
    """An input that takes no gradient (class weights)."""
    t.no_grad = True
    return t


def _needs_grad(t):
    return t.is_floating_point() and not getattr(t, "no_grad", False)


def _classes(rng, rows, d):
    return torch.from_numpy(rng.integers(0, d, rows))


OPS = {
    "softmax": (lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1),
                lambda r, n, d, dt: ([_x(r, (n, d), dt, 3)], d)),
    "log_softmax": (lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1),
                    lambda r, n, d, dt: ([_x(r, (n, d), dt, 3)], d)),
    "softmax_dim0": (lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0),
                     lambda r, n, d, dt: ([_x(r, (n, d, 2), dt, 3)], n)),
    "cross_entropy": (lambda x, t: F.cross_entropy(x, t), lambda x, t: TF.cross_entropy(x, t),
                      lambda r, n, d, dt: ([_x(r, (n, d), dt, 2), _classes(r, n, d)], n * d)),
    "cross_entropy_smooth_ignore": (
        lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, ignore_index=0),
        lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.2, ignore_index=0),
        lambda r, n, d, dt: ([_x(r, (n, d), dt, 2), _classes(r, n, d)], n * d)),
    "cross_entropy_weight_sum": (
        lambda x, t, w: F.cross_entropy(x, t, weight=w, reduction="sum"),
        lambda x, t, w: TF.cross_entropy(x, t, weight=w, reduction="sum"),
        lambda r, n, d, dt: ([_x(r, (n, d), dt, 2), _classes(r, n, d), _const(_x(r, (d,), dt).abs())], n * d)),
    "nll_loss": (lambda x, t: F.nll_loss(x, t), lambda x, t: TF.nll_loss(x, t),
                 lambda r, n, d, dt: ([_x(r, (n, d), dt), _classes(r, n, d)], n)),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (x.shape[-1],), w, b),
                   lambda x, w, b: TF.layer_norm(x, (x.shape[-1],), w, b),
                   lambda r, n, d, dt: ([_x(r, (n, d), dt, 2), _x(r, (d,), dt), _x(r, (d,), dt)], 3 * d)),
    "rms_norm": (lambda x, w: F.rms_norm(x, (x.shape[-1],), w), lambda x, w: TF.rms_norm(x, (x.shape[-1],), w),
                 lambda r, n, d, dt: ([_x(r, (n, d), dt, 2), _x(r, (d,), dt)], 3 * d)),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b),
                   lambda r, n, d, dt: ([_x(r, (n, 4, d), dt, 2), _x(r, (4,), dt), _x(r, (4,), dt)], 6 * n * d)),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
                   lambda r, n, d, dt: ([_x(r, (n + 1, 3, d), dt, 2), _x(r, (3,), dt), _x(r, (3,), dt)],
                                        3 * (n + 1) * d)),
    "gelu": (lambda x: F.gelu(x), lambda x: TF.gelu(x), lambda r, n, d, dt: ([_x(r, (n, d), dt, 3)], 1)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"),
                  lambda r, n, d, dt: ([_x(r, (n, d), dt, 3)], 1)),
    "silu": (lambda x: F.silu(x), lambda x: TF.silu(x), lambda r, n, d, dt: ([_x(r, (n, d), dt, 3)], 1)),
    "relu": (lambda x: F.relu(x), lambda x: TF.relu(x), lambda r, n, d, dt: ([_x(r, (n, d), dt)], 1)),
    "mse_loss": (lambda x, y: F.mse_loss(x, y), lambda x, y: TF.mse_loss(x, y),
                 lambda r, n, d, dt: ([_x(r, (n, d), dt), _x(r, (n, d), dt)], n * d)),
    "l1_loss_sum": (lambda x, y: F.l1_loss(x, y, reduction="sum"), lambda x, y: TF.l1_loss(x, y, reduction="sum"),
                    lambda r, n, d, dt: ([_x(r, (n, d), dt), _x(r, (n, d), dt)], n * d)),
    "embedding": (lambda i, w: F.embedding(i, w), lambda i, w: TF.embedding(i, w),
                  lambda r, n, d, dt: ([torch.from_numpy(r.integers(0, 3, 8 * n)), _x(r, (3, d), dt)], 8 * n)),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, 1), lambda x: TF.max_pool2d(x, 2, 1),
                   lambda r, n, d, dt: ([_x(r, (n, 2, d + 1, 3), dt)], 4)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2, 1, 1), lambda x: TF.avg_pool2d(x, 2, 1, 1),
                   lambda r, n, d, dt: ([_x(r, (n, 2, d + 1, 3), dt)], 4)),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 2)), lambda x: TF.adaptive_avg_pool2d(x, (2, 2)),
                            lambda r, n, d, dt: ([_x(r, (n, 2, d + 1, 5), dt)], 5 * (d + 1))),
    "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (2, 2)), lambda x: TF.adaptive_max_pool2d(x, (2, 2)),
                            lambda r, n, d, dt: ([_x(r, (n, 2, d + 1, 5), dt)], 4)),
}


def norm_scale(name, ins):
    """For the normalizations: max(1, the largest 1/std) * max(1, max|weight|), the factor by
    which their backward's terms exceed |g| |x| (1 for every other op)."""
    if not name.endswith("norm"):
        return 1.0
    x = f64(ins[0])
    if name == "rms_norm":
        spread = (x ** 2).mean(-1) + np.finfo(np.float32).eps
    elif name == "layer_norm":
        spread = x.var(-1) + 1e-5
    elif name == "group_norm":
        spread = x.reshape(x.shape[0], 2, -1).var(-1) + 1e-5
    else:
        spread = x.var((0, 2)) + 1e-5
    w = max(1.0, float(np.abs(f64(ins[1])).max()))
    return max(1.0, float(1 / np.sqrt(spread.min()))) * w


def run(fn, ins, gy):
    """Forward, then backward with gy; returns the output and the float inputs' gradients."""
    y = fn(*ins)
    y.backward(gy)
    return [y] + [t.grad for t in ins if getattr(t, "grad", None) is not None]


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=4, deadline=None)
@given(rows=hs.integers(1, 5), d=hs.integers(1, 40), dtype=hs.sampled_from(["bfloat16", "float16"]),
       seed=hs.integers(0, 2 ** 16))
def test_one_rounding_against_float64_and_torch(name, rows, d, dtype, seed):
    fs, ft, build = OPS[name]
    rng = np.random.default_rng(seed)
    ins, m = build(rng, rows, d, dtype)
    u = U[dtype]
    tiny = 2.0 ** -25 if dtype == "float16" else 0.0
    ref_ins = [t.double().requires_grad_(_needs_grad(t)) if t.is_floating_point() else t for t in ins]
    ref_y = ft(*ref_ins)
    g = _x(rng, tuple(ref_y.shape), dtype)
    ref_y.backward(g.double())
    ref = [ref_y.detach().numpy()] + [t.grad.numpy() for t in ref_ins if t.requires_grad]

    s_ins = [st_of(t, _needs_grad(t)) for t in ins]
    y = fs(*s_ins)
    y.backward(st_of(g))
    got = [y] + [t.grad for t in s_ins if t.requires_grad]
    t_ins = [t.clone().requires_grad_(_needs_grad(t)) if t.is_floating_point() else t for t in ins]
    ty = ft(*t_ins)
    assert y.dtype == {torch.bfloat16: st.bfloat16, torch.float16: st.float16, torch.float32: st.float32}[ty.dtype]
    ty.backward(g)
    theirs = [ty] + [t.grad for t in t_ins if t.requires_grad]
    assert len(got) == len(ref) == len(theirs)

    xmax = max(float(np.abs(f64(t)).max(initial=0.0)) for t in ins if t.is_floating_point())
    s = amax(ref[0]) + amax(f64(g)) * max(1.0, xmax) * norm_scale(name, ins)
    for i, (a, r, t) in enumerate(zip(got, ref, theirs)):
        what = f"{name} {'output' if i == 0 else f'grad {i - 1}'}"
        assert a.dtype == y.dtype or i > 0
        s_i = s + amax(r)
        within(f64(a), r, u, m, s_i, tiny, what + " vs float64")
        err = np.abs(f64(a) - f64(t))
        tol = 4 * u * amax(r) + 2 * u * np.abs(r) + tiny + 2 * (4 * m + 16) * U24 * s_i
        closer = np.abs(f64(a) - r) <= np.abs(f64(t) - r)
        same_nan = np.isnan(f64(a)) & np.isnan(f64(t))
        assert np.all((err <= tol) | closer | same_nan), f"{what} vs torch: max excess {np.nanmax(err - tol):.3g}"


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_embedding_gradient_accumulates_in_float32(dtype):
    """400 lookups of one row: a 16-bit running sum would lose about log2(400) bits."""
    rng = np.random.default_rng(1)
    w = st.zeros(2, 8, dtype=getattr(st, dtype), requires_grad=True)
    idx = st.tensor(np.zeros(400, dtype=np.int64))
    g = rng.standard_normal((400, 8)).astype(np.float32)
    g16 = f64(torch.from_numpy(g).to(getattr(torch, dtype)))
    F.embedding(idx, w).backward(st.tensor(g16.astype(np.float32), dtype=getattr(st, dtype)))
    ref = g16.sum(0)
    within(f64(w.grad)[0], ref, U[dtype], 400, np.abs(g16).sum(0).max(), 0.0, "embedding grad")
    assert np.all(f64(w.grad)[1] == 0)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_dropout_scales_kept_values_with_one_rounding(dtype):
    p = 0.3
    rng = np.random.default_rng(2)
    x = _x(rng, (64, 64), dtype)
    xs = st_of(x, True)
    y = F.dropout(xs, p, training=True)
    assert y.dtype == getattr(st, dtype)
    g = _x(rng, (64, 64), dtype)
    y.backward(st_of(g))
    kept = f64(y) != 0
    assert 0.6 < kept.mean() < 0.8
    x64 = f64(x)
    nz = x64 != 0
    within(f64(y)[kept & nz], x64[kept & nz] / (1 - p), U[dtype], 1, 0.0, 0.0, "dropout kept values")
    grad = f64(xs.grad)
    within(grad[kept & nz], f64(g)[kept & nz] / (1 - p), U[dtype], 1, 0.0, 0.0, "dropout gradient")
    assert np.all(grad[~kept & nz] == 0)


def test_batch_norm_16bit_running_stats_and_mixed_params():
    """torch accepts float32 or 16-bit weight, bias and running statistics with a 16-bit
    input; the running statistics are updated in their own dtype."""
    rng = np.random.default_rng(3)
    x = _x(rng, (6, 3, 4), "bfloat16", 2)
    for pdt in (torch.bfloat16, torch.float32):
        rm_t, rv_t = torch.zeros(3, dtype=pdt), torch.ones(3, dtype=pdt)
        w_t = torch.from_numpy(rng.standard_normal(3).astype(np.float32)).to(pdt)
        rm_s, rv_s, w_s = st_of(rm_t), st_of(rv_t), st_of(w_t)
        y_t = TF.batch_norm(x, rm_t, rv_t, w_t, None, training=True, momentum=0.2)
        y_s = F.batch_norm(st_of(x), rm_s, rv_s, w_s, None, training=True, momentum=0.2)
        assert y_s.dtype == st.bfloat16 and rm_s.dtype == st_of(rm_t).dtype
        x64 = f64(x)
        mean, var = x64.mean((0, 2)), x64.var((0, 2), ddof=1)
        u = U["bfloat16"] if pdt == torch.bfloat16 else 2.0 ** -24
        within(f64(rm_s), 0.2 * mean, u, 72, np.abs(x64).max(), 0.0, "running_mean")
        within(f64(rv_s), 0.8 + 0.2 * var, u, 72, 1 + np.abs(x64).max() ** 2, 0.0, "running_var")
        np.testing.assert_allclose(f64(y_s), f64(y_t), rtol=2 * U["bfloat16"], atol=4 * U["bfloat16"])
    bn = st.nn.BatchNorm1d(3).to(st.bfloat16)
    assert bn(st_of(x)).dtype == st.bfloat16 and bn.running_mean.dtype == st.bfloat16
    with pytest.raises(TypeError, match="weight"):
        F.batch_norm(st_of(x), None, None, st.ones(3, dtype=st.float16), None, training=True)


def test_rms_norm_default_eps_is_float32s_for_16bit_input():
    x = torch.full((2, 4), 0.01, dtype=torch.bfloat16)  # mean(x^2) = 1e-4: eps = 2^-7 would show
    y = F.rms_norm(st_of(x), 4)
    ref = f64(x) / np.sqrt(f64(x) ** 2 + np.finfo(np.float32).eps)
    within(f64(y), ref, U["bfloat16"], 4, 1.0, 0.0, "rms_norm")
    np.testing.assert_array_equal(f64(y), f64(TF.rms_norm(x, (4,))))
