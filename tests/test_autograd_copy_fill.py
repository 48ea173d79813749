"""copy_, fill_ and zero_ under autograd: recorded like torch's (gradients through copy_ reach
the source; overwritten values pass no gradient back), leaves that require grad refused."""
import numpy as np
import pytest
import torch

import steepest as st


def both(a):
    return st.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def test_copy_into_plain_tensor_carries_the_gradient():
    a = np.array([1.0, -2.0, 3.0])
    x, tx = both(a)
    buf, tbuf = st.zeros(3, dtype=st.float64), torch.zeros(3, dtype=torch.float64)
    buf.copy_(x * 2)
    tbuf.copy_(tx * 2)
    (buf * buf).sum().backward()
    (tbuf * tbuf).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_copy_broadcasts_and_sums_the_gradient_back():
    a = np.array([0.5, 1.5])
    x, tx = both(a)
    buf, tbuf = st.zeros((3, 2), dtype=st.float64), torch.zeros((3, 2), dtype=torch.float64)
    buf.copy_(x)
    tbuf.copy_(tx)
    w = np.arange(6.0).reshape(3, 2)
    (buf * st.tensor(w)).sum().backward()
    (tbuf * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("op", ["fill", "zero"])
def test_fill_on_a_non_leaf_stops_the_gradient(op):
    a = np.array([1.0, 2.0])
    x, tx = both(a)
    y, ty = x * 3, tx * 3
    if op == "fill":
        y.fill_(7.0), ty.fill_(7.0)
    else:
        y.zero_(), ty.zero_()
    (y * x).sum().backward()
    (ty * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())


def test_in_place_write_to_a_leaf_that_requires_grad_is_refused():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    for write in (lambda: x.fill_(0.0), lambda: x.zero_(), lambda: x.copy_(st.tensor([3.0, 4.0]))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            write()
    with st.no_grad():  # allowed without recording (how optimizers and init write)
        x.fill_(0.0)
    assert x.tolist() == [0.0, 0.0]
