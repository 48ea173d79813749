"""What Python optimizers written against torch's API call beyond the basics: the _foreach ops
torch.optim's own multi-tensor steps use (clamp_min_, reciprocal_, rsqrt_, minimum, log), the
creation keywords of zeros_like & co. (memory_format=preserve_format, device, requires_grad)
and torch.clone; values against torch."""
import numpy as np
import pytest
import torch

import steepest as st


def _lists(seed):
    rng = np.random.RandomState(seed)
    shapes = [(3,), (2, 2), ()]
    return [rng.uniform(0.2, 3.0, s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("name, extra", [
    ("_foreach_clamp_min_", (1.0,)), ("_foreach_clamp_max_", (1.0,)), ("_foreach_reciprocal_", ()),
    ("_foreach_rsqrt_", ()), ("_foreach_log_", ()), ("_foreach_minimum_", "list"), ("_foreach_clamp_min_", "list"),
])
def test_more_foreach_ops_match_torch(name, extra):
    a, b = _lists(0), _lists(1)
    sa, ta = [st.tensor(x) for x in a], [torch.tensor(x) for x in a]
    sx = ([st.tensor(x) for x in b],) if extra == "list" else extra
    tx = ([torch.tensor(x) for x in b],) if extra == "list" else extra
    getattr(st, name)(sa, *sx)
    getattr(torch, name)(ta, *tx)
    for s, t in zip(sa, ta):
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, err_msg=name)
    out_of_place = name[:-1]
    got = getattr(st, out_of_place)([st.tensor(x) for x in a], *sx)
    want = getattr(torch, out_of_place)([torch.tensor(x) for x in a], *tx)
    for s, t in zip(got, want):
        np.testing.assert_allclose(s.numpy(), t.numpy(), rtol=1e-6, err_msg=out_of_place)


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like"])
def test_like_functions_take_torchs_keywords(fn):
    x = st.randn(3, 4)
    y = getattr(st, fn)(x, memory_format=st.preserve_format)
    assert y.shape == x.shape and y.dtype == x.dtype and not y.requires_grad
    z = getattr(st, fn)(x, dtype=st.float64, device="cpu", requires_grad=True)
    assert z.dtype == st.float64 and z.requires_grad and z.is_leaf
    if fn != "empty_like":
        assert float(z.sum()) == float(getattr(torch, fn)(torch.zeros(3, 4)).sum())
    w = st.full_like(x, 2.5, memory_format=st.contiguous_format)
    np.testing.assert_array_equal(w.numpy(), np.full((3, 4), 2.5, np.float32))
    with pytest.raises(NotImplementedError, match="channels_last"):
        getattr(st, fn)(st.ones(1, 2, 3, 4), memory_format=st.channels_last)


def test_clone_is_a_copy_autograd_sees():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    y = st.clone(x)
    assert y is not x and y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    z = st.clone(x).detach()
    z.add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
