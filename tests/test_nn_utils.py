"""st.nn.utils against torch.nn.utils: clip_grad_norm_ (norm types incl. inf, error_if_nonfinite,
the returned pre-clip norm), clip_grad_value_, get_total_norm, parameters_to_vector /
vector_to_parameters, and the fused clip_and_step against eager clipping + step."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as hst

import steepest as st

SIZES = [0, 1, 7, 1003, 4097]


def _pair(sizes, seed=0, scale=1.0, dtype=np.float32):
    rng = np.random.RandomState(seed)
    gs = [np.asarray(rng.randn(n) * scale, dtype=dtype) for n in sizes]
    ps = [st.nn.Parameter(st.from_numpy(rng.randn(n).astype(dtype))) for n in sizes]
    tps = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ps]
    for p, tp, g in zip(ps, tps, gs):
        p.grad = st.from_numpy(g.copy())
        tp.grad = torch.tensor(g.copy())
    return ps, tps, gs


@settings(max_examples=25, deadline=None)
@given(sizes=hst.lists(hst.sampled_from(SIZES), min_size=1, max_size=5),
       norm_type=hst.sampled_from([1.0, 2.0, math.inf, 3.0, 0.5]),
       max_norm=hst.sampled_from([1e-3, 0.7, 1e4]), seed=hst.integers(0, 100))
def test_clip_grad_norm_matches_torch(sizes, norm_type, max_norm, seed):
    if norm_type == math.inf and 0 in sizes:
        sizes = [n for n in sizes if n] or [1]  # torch raises on the inf norm of an empty grad
    ps, tps, gs = _pair(sizes, seed)
    total = st.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=True)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    flat = np.concatenate([g.ravel().astype(np.float64) for g in gs])
    exact = np.linalg.norm(flat, ord=norm_type) if flat.size else 0.0
    assert total.dtype == st.float32
    assert abs(total.item() - exact) <= 2e-6 * exact + 1e-30
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-5)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=2e-5, atol=1e-9)


def test_float64_and_single_tensor():
    ps, tps, _ = _pair([5, 1003], 1, dtype=np.float64)
    total = st.nn.utils.clip_grad_norm_(ps[1], 0.5)  # a single tensor
    ttotal = torch.nn.utils.clip_grad_norm_(tps[1], 0.5)
    assert total.dtype == st.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    np.testing.assert_allclose(ps[1].grad.numpy(), tps[1].grad.numpy(), rtol=1e-12)


def test_nonfinite():
    p = st.nn.Parameter(st.zeros([3]))
    p.grad = st.from_numpy(np.array([1.0, np.inf, 2.0], np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        st.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    tp = torch.zeros(3, requires_grad=True)
    tp.grad = torch.tensor([1.0, np.inf, 2.0])
    n = st.nn.utils.clip_grad_norm_([p], 1.0)
    tn = torch.nn.utils.clip_grad_norm_([tp], 1.0)
    assert math.isinf(n.item()) and math.isinf(tn.item())
    np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(tp.grad.numpy()))  # inf * 0 = nan
    with pytest.raises(RuntimeError, match="non-finite"):
        st.nn.utils.get_total_norm([p.grad], error_if_nonfinite=True)


def test_clip_grad_value_and_total_norm():
    ps, tps, gs = _pair([7, 1003], 2)
    assert st.nn.utils.clip_grad_value_(ps, 0.3) is None
    torch.nn.utils.clip_grad_value_(tps, 0.3)
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())
    for nt in (1, 2, math.inf):
        n = st.nn.utils.get_total_norm([p.grad for p in ps], nt)
        tn = torch.nn.utils.get_total_norm([tp.grad for tp in tps], nt)
        exact = np.linalg.norm(np.concatenate([p.grad.numpy().astype(np.float64) for p in ps]), ord=nt)
        np.testing.assert_allclose(n.item(), exact, rtol=1e-6)
        np.testing.assert_allclose(n.item(), tn.item(), rtol=1e-5)  # torch's float32 sums drift more
    with pytest.warns(FutureWarning):
        st.nn.utils.clip_grad_norm(ps, 1.0)


def test_parameters_vector_round_trip():
    rng = np.random.RandomState(3)
    shapes = [(3, 4), (1,), (7,), (2, 3, 5)]
    arrs = [rng.randn(*s).astype(np.float32) for s in shapes]
    ps = [st.nn.Parameter(st.from_numpy(a.copy())) for a in arrs]
    tps = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrs]
    v = st.nn.utils.parameters_to_vector(ps)
    tv = torch.nn.utils.parameters_to_vector(tps)
    np.testing.assert_array_equal(v.detach().numpy(), tv.detach().numpy())
    v.sum().backward()  # records autograd: every param gets ones
    for p in ps:
        np.testing.assert_array_equal(p.grad.numpy(), np.ones(tuple(p.shape), np.float32))
    new = rng.randn(v.numel()).astype(np.float32)
    ids = [id(p) for p in ps]
    st.nn.utils.vector_to_parameters(st.from_numpy(new.copy()), ps)
    torch.nn.utils.vector_to_parameters(torch.tensor(new.copy()), tps)
    assert [id(p) for p in ps] == ids
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(p.detach().numpy(), tp.detach().numpy())
    with pytest.raises(ValueError, match="elements"):
        st.nn.utils.vector_to_parameters(st.zeros([3]), ps)
    with pytest.raises(TypeError, match="Tensor"):
        st.nn.utils.vector_to_parameters([1.0], ps)


@pytest.mark.parametrize("max_norm", [0.05, 1e6])
@pytest.mark.parametrize("make", [
    lambda ps: st.optim.AdamW(ps, lr=1e-2),
    lambda ps: st.optim.SGD(ps, lr=0.1, momentum=0.9, maximize=True),
    lambda ps: st.optim.Lion(ps, lr=1e-3, weight_decay=0.1),
])
def test_clip_and_step_matches_eager_bitwise(make, max_norm):
    """The fused clip (coefficient taken by the step's kernel) ends bit-identical to
    clip_grad_norm_ + step(), and leaves p.grad unclipped."""
    ps, _, gs = _pair([1, 7, 1003, 4097], 4)
    qs = [st.nn.Parameter(p.detach().clone()) for p in ps]
    a, b = make(ps), make(qs)
    rng = np.random.RandomState(5)
    for _ in range(6):
        for p, q in zip(ps, qs):
            g = rng.randn(*tuple(p.shape)).astype(np.float32)
            p.grad = st.from_numpy(g.copy())
            q.grad = st.from_numpy(g.copy())
        n1 = st.optim.clip_and_step(a, max_norm)
        n2 = st.nn.utils.clip_grad_norm_(qs, max_norm)
        b.step()
        assert n1.item() == n2.item()
        if max_norm < 1:
            assert not np.array_equal(ps[-1].grad.numpy(), qs[-1].grad.numpy())  # grads untouched
    for p, q in zip(ps, qs):
        assert p.detach().numpy().tobytes() == q.detach().numpy().tobytes()
        for k, v in a.state[p].items():
            assert v.numpy().tobytes() == b.state[q][k].numpy().tobytes()


def test_clip_and_step_matches_torch():
    ps, tps, _ = _pair([7, 1003], 6)
    a, ta = st.optim.AdamW(ps, lr=1e-2), torch.optim.AdamW(tps, lr=1e-2)
    rng = np.random.RandomState(7)
    for _ in range(10):
        for p, tp in zip(ps, tps):
            g = rng.randn(*tuple(p.shape)).astype(np.float32)
            p.grad, tp.grad = st.from_numpy(g.copy()), torch.tensor(g.copy())
        st.optim.clip_and_step(a, 0.5)
        torch.nn.utils.clip_grad_norm_(tps, 0.5)
        ta.step()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-7)
