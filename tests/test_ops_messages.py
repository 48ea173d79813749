"""The error messages a user reads for common slips (a number assigned to .grad, torch
objects handed to steepest, bad alpha/other in add_), 0-d tensors as alpha=/value=, and
indexing with Python ranges and lists of ints (get, set, autograd) against torch."""
import numpy as np
import pytest
import torch

import steepest as st


def one_line(e):
    return "\n" not in str(e.value)


def test_grad_setter_names_what_it_accepts():
    a = st.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"Tensor.grad = value: .*Tensor or None, got builtins.float \(a Tensor of this tensor's shape") as e:
        a.grad = 0.0
    assert "(3,)" in str(e.value) and one_line(e)
    a.grad = st.zeros(3)
    a.grad = None
    assert a.grad is None


@pytest.mark.parametrize("call", [
    lambda: st.add(torch.ones(2), st.ones(2)),
    lambda: st.ones(2) + torch.ones(2),
    lambda: st.ones(3).add_(torch.ones(3)),
    lambda: st.sort(torch.ones(3)),
    lambda: st.matmul(st.ones(2, 2), torch.nn.Parameter(torch.ones(2, 2))),
])
def test_torch_tensor_is_named_in_one_line(call):
    with pytest.raises(TypeError, match=r"got a torch\.Tensor; convert it with st\.from_numpy") as e:
        call()
    assert one_line(e) and "tensor([" not in str(e.value)


def test_torch_device_is_named_in_one_line():
    with pytest.raises(TypeError, match="torch.device") as e:
        st.ones(2, device=torch.device("cpu"))
    assert one_line(e)


def test_add_alpha_errors_do_not_print_tensors():
    big = st.arange(1000.0)
    for bad in (lambda: big.add_(big, alpha="x"), lambda: big.add_([1, 2], alpha=st.tensor(2.0)),
                lambda: big.add_(big, alpha=st.ones(2))):
        with pytest.raises((TypeError, ValueError)) as e:
            bad()
        assert one_line(e) and "999" not in str(e.value)


def test_zero_dim_tensor_scalars_work_like_torch():
    x = np.array([1.0, -2.0, 3.0], np.float32)
    s, t = st.tensor(x), torch.tensor(x)
    s.add_(st.tensor(x), alpha=st.tensor(0.5))
    t.add_(torch.tensor(x), alpha=torch.tensor(0.5))
    s.addcmul_(st.tensor(x), st.tensor(x), value=st.tensor(-0.25))
    t.addcmul_(torch.tensor(x), torch.tensor(x), value=torch.tensor(-0.25))
    s.addcdiv_(st.tensor(x), st.tensor(x) + 5, value=st.tensor(2.0))
    t.addcdiv_(torch.tensor(x), torch.tensor(x) + 5, value=torch.tensor(2.0))
    np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("key", [range(1, 4), range(0, 5, 2), range(4, 0, -2), [0, 2, 2], [-1, 0]])
def test_range_and_list_indexing_get_set_and_grad(key):
    x = np.arange(10.0).reshape(5, 2)
    s, t = st.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sv, tv = s[key], t[key]
    np.testing.assert_array_equal(sv.detach().numpy(), tv.detach().numpy())
    w = np.arange(np.prod(tv.shape), dtype=np.float64).reshape(tuple(tv.shape))
    (sv * st.tensor(w)).sum().backward()
    (tv * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), t.grad.numpy())
    a, b = st.zeros(5, 2), torch.zeros(5, 2)
    a[key] = 7.0
    b[key] = 7.0
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a[key, 1] = st.tensor(-1.0)
    b[key, 1] = torch.tensor(-1.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
