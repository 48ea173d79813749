"""The activations beyond relu/gelu/silu (functional and modules): values and gradients
against torch.nn.functional in float32 and float64 (kinks included, where torch picks one
side), gradcheck in float64, 16-bit inputs, in-place forms, PReLU's parameter, and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs
from nn_ref import check_against_torch, pair, same

import steepest as st
import steepest.nn.functional as F
from steepest.autograd import gradcheck

SET = settings(max_examples=10, deadline=None)
# (name, kwargs): each runs as F.name(x, **kwargs) and torch's TF.name(x, **kwargs).
CASES = [
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("softplus", {"beta": 0.5}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("leaky_relu", {"negative_slope": -1.5}),
    ("elu", {}), ("elu", {"alpha": 0.3}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.5}),
    ("celu", {"alpha": -0.7}), ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("relu6", {}), ("mish", {}), ("logsigmoid", {}),
    ("softsign", {}), ("tanhshrink", {}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]
# The kinks and the ends of the piecewise pieces, where the one-sided choice shows.
KINKS = np.array([0.0, -3.0, 3.0, -1.0, 1.0, -0.5, 2.0, 6.0, 20.0, -20.0, 40.0, -40.0, 1.5, 3.01, -2.99])


def fns(name, kw):
    return (lambda x: getattr(F, name)(x, **kw)), (lambda x: getattr(TF, name)(x, **kw))


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_values_and_grads_match_torch(name, kw, dt):
    x = np.concatenate([KINKS, np.random.default_rng(1).standard_normal(200) * 5]).astype(dt)
    # torch's float64 hardsigmoid multiplies by a float32 1/6, and its celu by a float32
    # 1/alpha: agreement to float32 rounding there (the float64 formulas below are exact).
    loose = dt == np.float64 and name in ("hardsigmoid", "celu")
    check_against_torch(*fns(name, kw), [x], dt, scale=1e4 if loose else 2.0)


def test_hardsigmoid_and_celu_in_float64():
    x = np.concatenate([KINKS, np.random.default_rng(2).standard_normal(100) * 5])
    xs = st.from_numpy(x).requires_grad_()
    y = F.hardsigmoid(xs)
    np.testing.assert_allclose(y.detach().numpy(), np.clip(x / 6 + 0.5, 0, 1), rtol=1e-15, atol=0)
    y.sum().backward()
    np.testing.assert_array_equal(xs.grad.numpy(), np.where((x > -3) & (x < 3), 1 / 6, 0))
    for alpha in (2.5, -0.7):
        xs = st.from_numpy(x).requires_grad_()
        y = F.celu(xs, alpha)
        np.testing.assert_allclose(y.detach().numpy(), np.where(x > 0, x, alpha * np.expm1(x / alpha)), rtol=1e-14)
        y.sum().backward()
        np.testing.assert_allclose(xs.grad.numpy(), np.where(x > 0, 1, np.exp(x / alpha)), rtol=1e-14)


@SET
@given(shape=hs.lists(hs.integers(0, 5), min_size=0, max_size=4), case=hs.sampled_from(CASES),
       seed=hs.integers(0, 99))
def test_any_shape_and_layout(shape, case, seed):
    x = np.random.default_rng(seed).standard_normal(shape) * 4
    fs, ft = fns(*case)
    xs, xt = pair(x, grad=False)
    same(fs(xs), ft(xt))
    if len(shape) >= 2:  # a transposed (strided) view
        same(fs(xs.mT), ft(xt.mT))


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_gradcheck(name, kw):
    # Away from the kinks, where finite differences straddle the two pieces.
    x = np.array([-4.2, -2.1, -0.7, 0.4, 1.3, 2.6, 4.4, 7.1]).reshape(2, 4)
    f = getattr(F, name)
    assert gradcheck(lambda t: f(t, **kw), (st.from_numpy(x).requires_grad_(),))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "mish", "hardswish", "softsign"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_16bit_inputs_compute_in_float32(name, dtype):
    x = np.linspace(-5, 5, 41)
    xs = st.from_numpy(x).to(getattr(st, dtype))
    xt = torch.from_numpy(x).to(getattr(torch, dtype))
    ys, yt = getattr(F, name)(xs), getattr(TF, name)(xt)
    assert ys.dtype == getattr(st, dtype)
    np.testing.assert_allclose(ys.float().numpy(), yt.float().numpy(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("name,kw", [("leaky_relu", {"negative_slope": 0.3}), ("elu", {}), ("selu", {}),
                                     ("celu", {}), ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {}),
                                     ("relu6", {}), ("mish", {})])
def test_inplace_writes_the_input(name, kw):
    x = np.random.default_rng(0).standard_normal(10) * 4
    xs = st.from_numpy(x.copy())
    out = getattr(F, name)(xs, inplace=True, **kw)
    assert out is xs
    same(xs, getattr(TF, name)(torch.from_numpy(x), **kw))


MODULES = [("Softplus", {"beta": 2.0, "threshold": 5.0}), ("LeakyReLU", {"negative_slope": 0.1}),
           ("ELU", {"alpha": 0.5}),
           ("SELU", {}), ("CELU", {"alpha": 1.5}), ("Hardswish", {}), ("Hardsigmoid", {}),
           ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("ReLU6", {}), ("Mish", {}), ("LogSigmoid", {}),
           ("Softsign", {}), ("Tanhshrink", {})]


@pytest.mark.parametrize("name,kw", MODULES)
def test_modules_match_torch(name, kw):
    x = np.random.default_rng(3).standard_normal((3, 7)) * 4
    check_against_torch(getattr(st.nn, name)(**kw), getattr(torch.nn, name)(**kw), [x],
                        scale=1e4 if name in ("Hardsigmoid", "CELU") else 1.0)
    assert repr(getattr(st.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


@pytest.mark.parametrize("shape,n", [((4, 3, 5), 3), ((4, 3, 5), 1), ((6, 2), 2), ((5,), 1), ((2, 3, 2, 2), 3)])
def test_prelu_matches_torch(shape, n):
    st.manual_seed(0)
    ms, mt = st.nn.PReLU(n), torch.nn.PReLU(n)
    with torch.no_grad():
        mt.weight.copy_(torch.from_numpy(np.linspace(-0.5, 0.7, n)))
    with st.no_grad():
        ms.weight.copy_(st.from_numpy(np.linspace(-0.5, 0.7, n)).float())
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    check_against_torch(ms, mt, [x], np.float32)
    ms.weight.grad = None
    mt.weight.grad = None
    ys, yt = ms(st.from_numpy(x)), mt(torch.from_numpy(x))
    ys.sum().backward()
    yt.sum().backward()
    same(ms.weight.grad, mt.weight.grad, np.float32, scale=10)
    assert ms.num_parameters == n and tuple(ms.state_dict()["weight"].shape) == (n,)
    assert float(st.nn.PReLU(n, init=0.1).weight[0]) == pytest.approx(0.1)


def test_prelu_gradcheck():
    x = st.from_numpy(np.array([[-1.5, 0.5, 2.0], [0.3, -0.2, -3.0]])).requires_grad_()
    w = st.from_numpy(np.array([0.25, -0.4, 0.1])).requires_grad_()
    assert gradcheck(F.prelu, (x, w))


def test_errors():
    ints = st.from_numpy(np.arange(4))
    for name in ("leaky_relu", "elu", "mish", "softplus", "logsigmoid", "tanhshrink"):
        with pytest.raises(TypeError, match="floating-point"):
            getattr(F, name)(ints)
    x = st.zeros(3)
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.elu([1.0, 2.0])
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match="min_val"):
        st._core._nn_hardtanh(x, 1.0, -1.0)  # the C++ op checks too
    with pytest.raises(ValueError, match="alpha"):
        F.celu(x, alpha=0.0)
    with pytest.raises(TypeError, match="negative_slope"):
        F.leaky_relu(x, "0.1")
    with pytest.raises(ValueError, match="one per input channel"):
        F.prelu(st.zeros(2, 3), st.ones(2))
    with pytest.raises(ValueError, match="num_parameters"):
        st.nn.PReLU(0)
