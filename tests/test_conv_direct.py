"""The direct convolution paths of the CPU float kernels (forward and stride-1 data gradient,
with no column matrix; vectors across the output width or across output channels, the latter
also for the weight gradient), each forced on with _set_conv_path("direct") / ("direct_oc") on
every instruction set this CPU runs: values and gradients against torch over hypothesis shapes
(odd widths narrower and wider than a vector, paddings larger than the kernel, dilations,
groups, stride along the height), bit-equality with the scalar kernel and between the two
kernels, gradcheck, thread counts, and the path switch's errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import steepest as st
from steepest.autograd import gradcheck

F = st.nn.functional
RNG = np.random.default_rng(7)


@pytest.fixture(params=["direct", "direct_oc"])
def direct(request):
    before = st._core._conv_path()
    st._core._set_conv_path(request.param)
    yield request.param
    st._core._set_conv_path(before)


def grads(x, w, b, kwargs, g):
    """Output and the gradients of x, w, b (b may be None) for output gradient g, in steepest."""
    xs, ws = st.from_numpy(x.copy()).requires_grad_(), st.from_numpy(w.copy()).requires_grad_()
    bs = None if b is None else st.from_numpy(b.copy()).requires_grad_()
    y = F.conv2d(xs, ws, bs, **kwargs)
    y.backward(st.from_numpy(g.astype(x.dtype)))
    out = [y.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()]
    return out + ([] if bs is None else [bs.grad.numpy()])


def torch_grads(x, w, b, kwargs, g):
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    y = TF.conv2d(xt, wt, bt, **kwargs)
    y.backward(torch.tensor(g.astype(x.dtype)))
    out = [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()]
    return out + ([] if bt is None else [bt.grad.numpy()])


def out_shape(x, w, kwargs):
    with torch.no_grad():
        return tuple(TF.conv2d(torch.tensor(x), torch.tensor(w), **kwargs).shape)


def case(n, c, o, h, w, k, groups, bias, dt):
    x = RNG.standard_normal((n, c, h, w)).astype(dt)
    wt = RNG.standard_normal((o, c // groups, *k)).astype(dt)
    b = RNG.standard_normal(o).astype(dt) if bias else None
    return x, wt, b


def check_against_torch(x, w, b, kwargs):
    g = RNG.standard_normal(out_shape(x, w, kwargs))
    ref = torch_grads(x, w, b, kwargs, g)
    got = grads(x, w, b, kwargs, g)
    f32 = x.dtype == np.float32
    for a, r in zip(got, ref):
        scale = max(1.0, float(np.abs(r).max())) if r.size else 1.0
        np.testing.assert_allclose(a, r, rtol=1e-4 if f32 else 1e-10, atol=(3e-6 if f32 else 1e-11) * scale)


# the isa and direct fixtures hold for every example (they only switch kernels)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=hs.integers(1, 2), cg=hs.integers(1, 5), og=hs.integers(1, 6), groups=hs.integers(1, 2),
       h=hs.integers(1, 9), w=hs.integers(1, 37), kh=hs.integers(1, 3), kw=hs.integers(1, 4),
       sh=hs.integers(1, 2), ph=hs.integers(0, 3), pw=hs.integers(0, 3), dh=hs.integers(1, 2),
       dw=hs.integers(1, 3), bias=hs.booleans(), f32=hs.booleans())
def test_direct_matches_torch(direct, isa, n, cg, og, groups, h, w, kh, kw, sh, ph, pw, dh, dw, bias, f32):
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > w + 2 * pw:
        return  # refused before any kernel runs (test_conv.py checks the error)
    dt = np.float32 if f32 else np.float64
    x, wt, b = case(n, cg * groups, og * groups, h, w, (kh, kw), groups, bias, dt)
    check_against_torch(x, wt, b, dict(stride=(sh, 1), padding=(ph, pw), dilation=(dh, dw), groups=groups))


@pytest.mark.parametrize("shape, out_ch", [((4, 16, 8, 8), 32), ((3, 32, 14, 14), 64), ((2, 3, 28, 28), 5),
                                           ((2, 8, 5, 13), 7)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_direct_at_model_sizes(direct, isa, shape, out_ch, dt):
    x, w, b = case(*shape[:2], out_ch, *shape[2:], (3, 3), 1, True, dt)
    check_against_torch(x, w * 0.2, b, dict(padding=1))


def test_every_isa_gives_the_scalar_bits(direct):
    """Each output is one fma chain in a fixed order, whatever the vector width."""
    x, w, b = case(3, 6, 10, 11, 19, (3, 2), 2, True, np.float32)
    kwargs = dict(padding=(1, 1), dilation=(1, 2), groups=2)
    g = RNG.standard_normal(out_shape(x, w, kwargs))
    before = st.current_isa()
    try:
        results = {}
        for isa in st.supported_isas():
            st.set_isa(isa)
            results[isa] = grads(x, w, b, kwargs, g)
    finally:
        st.set_isa(before)
    # the channel path computes the weight gradient too: one fma chain per weight, in order
    compared = 3 if direct == "direct_oc" else 2
    for isa, got in results.items():
        for k in range(compared):
            np.testing.assert_array_equal(got[k], results["scalar"][k], err_msg=f"{isa} output {k}")


def test_direct_agrees_with_gemm_path():
    x, w, b = case(5, 8, 12, 10, 17, (3, 3), 1, True, np.float64)
    g = RNG.standard_normal((5, 12, 10, 17))
    before = st._core._conv_path()
    try:
        out = {}
        for path in ("gemm", "direct", "direct_oc"):
            st._core._set_conv_path(path)
            out[path] = grads(x, w, b, dict(padding=1), g)
    finally:
        st._core._set_conv_path(before)
    for a, c in zip(out["gemm"], out["direct"]):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    for a, c in zip(out["direct"][:2], out["direct_oc"][:2]):
        np.testing.assert_array_equal(a, c)  # the same fma chain per output in both kernels


def test_direct_gradcheck(direct):
    def leaf(*shape):
        return st.from_numpy(RNG.standard_normal(shape)).requires_grad_()

    x, w, b = leaf(2, 4, 5, 7), leaf(6, 2, 3, 2), leaf(6)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1), dilation=(1, 2), groups=2), (x, w, b))
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=1), (x, leaf(3, 4, 3, 3)))
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, padding=1), (x, leaf(4, 3, 3, 3)))


def test_direct_runs_on_two_threads_like_one(direct):
    x, w, b = case(6, 8, 16, 12, 12, (3, 3), 1, True, np.float32)
    g = RNG.standard_normal((6, 16, 12, 12))
    # 6 * 16 * 144 * 72 fmas in each kernel: above the threshold where they take threads
    n0 = st.get_num_threads()
    try:
        st.set_num_threads(1)
        one = grads(x, w, b, dict(padding=1), g)
        st.set_num_threads(2)
        two = grads(x, w, b, dict(padding=1), g)
    finally:
        st.set_num_threads(n0)
    np.testing.assert_array_equal(one[0], two[0])  # per-sample work: the split changes no sum
    np.testing.assert_array_equal(one[1], two[1])
    if direct == "direct_oc":  # threads split the weight gradient's terms, never a sum
        np.testing.assert_array_equal(one[2], two[2])


def test_conv_path_switch():
    before = st._core._conv_path()
    assert before in ("auto", "gemm", "direct", "direct_oc")
    with pytest.raises(ValueError, match="conv path must be"):
        st._core._set_conv_path("fast")
    assert st._core._conv_path() == before
