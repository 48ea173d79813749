"""inplace=True forms of nn functions keep torch's gradients: the input tensor carries the
function in its history, checked against torch on the same graph."""
import numpy as np
import pytest
import torch

import steepest as st

CASES = [
    ("silu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 0.7}),
    ("selu", {}), ("celu", {}), ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {}),
    ("relu6", {}), ("mish", {}), ("relu", {}),
]


@pytest.mark.parametrize("name,kw", CASES)
def test_inplace_activation_gradient_matches_torch(name, kw):
    x0 = np.random.default_rng(3).standard_normal((4, 7)) * 4
    grads = []
    for lib in (st, torch):
        x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
        h = x * 1.5  # a non-leaf with history, the common place for inplace activations
        out = getattr(lib.nn.functional, name)(h, inplace=True, **kw)
        assert out is h
        (out * lib.arange(28, dtype=lib.float64).reshape(4, 7)).sum().backward()
        grads.append(x.grad.numpy())
    # torch's float64 hardsigmoid/celu round their slope through a float32 constant
    tol = 1e-7 if name in ("hardsigmoid", "celu") else 1e-12
    np.testing.assert_allclose(grads[0], grads[1], rtol=tol, atol=tol)


def test_inplace_dropout_gradient_is_the_mask():
    x = st.ones(2000, dtype=st.float64, requires_grad=True)
    h = x * 1.0
    out = st.nn.functional.dropout(h, p=0.5, training=True, inplace=True)
    out.sum().backward()
    g = x.grad.numpy()
    kept = out.detach().numpy() != 0
    np.testing.assert_array_equal(g, np.where(kept, 2.0, 0.0))
    assert 0.4 < kept.mean() < 0.6


def test_inplace_on_leaf_requiring_grad_raises():
    x = st.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        st.nn.functional.elu(x, inplace=True)


def test_inplace_without_history_writes_the_value():
    x0 = np.linspace(-3, 3, 13)
    x = st.tensor(x0)
    out = st.nn.functional.leaky_relu(x, 0.1, inplace=True)
    assert out is x
    np.testing.assert_allclose(x.numpy(), np.where(x0 > 0, x0, 0.1 * x0), rtol=1e-15)
