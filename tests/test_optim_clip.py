"""Gradient clipping (st.optim.clip: torch.nn.utils semantics, docs/optimizers.md §9) against
torch and float64 numpy, and the fused multi-tensor norm on every ISA."""
import math

import numpy as np
import pytest
import torch

import steepest as st
from steepest.optim import clip_grad_norm_, clip_grad_value_, get_total_norm

SHAPES = [(), (1,), (7,), (1003,), (4097,), (3, 5, 7), (70000,)]


def _pair(seed=0, scale=1.0):
    rng = np.random.RandomState(seed)
    gs = [np.asarray(rng.randn(*s) * scale, dtype=np.float32) for s in SHAPES]
    ps = [st.zeros(list(s)) for s in SHAPES]
    tps = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for p, tp, g in zip(ps, tps, gs):
        p.grad = st.from_numpy(g.copy())
        tp.grad = torch.tensor(g.copy())
    return ps, tps, gs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ps, tps, gs = _pair()
    total = clip_grad_norm_(ps, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    exact = np.linalg.norm(np.concatenate([g.ravel().astype(np.float64) for g in gs]), ord=norm_type)
    assert abs(total.item() - exact) <= 1e-6 * exact
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-5)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-8)


def test_spec_vector_and_nonfinite():
    p = st.zeros([3])
    p.grad = st.from_numpy(np.array([3.0, 4.0, 0.0], np.float32))
    assert clip_grad_norm_([p], 1.0).item() == pytest.approx(5.0)
    tp = torch.zeros(3, requires_grad=True)
    tp.grad = torch.tensor([3.0, 4.0, 0.0])
    torch.nn.utils.clip_grad_norm_([tp], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())  # [0.5999999, 0.7999998, 0]
    assert p.grad.numpy()[0] < 0.6
    q = st.zeros([2])
    q.grad = st.from_numpy(np.array([1.0, np.nan], np.float32))
    assert math.isnan(clip_grad_norm_([p, q], 1.0).item())
    assert np.all(np.isnan(p.grad.numpy()))
    q.grad = st.from_numpy(np.array([1.0, np.inf], np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([q], 1.0, error_if_nonfinite=True)
    assert math.isnan(get_total_norm([st.from_numpy(np.array([np.inf, np.nan], np.float32))], math.inf).item())
    assert get_total_norm([st.from_numpy(np.array([-np.inf, 1], np.float32))], math.inf).item() == math.inf
    assert clip_grad_norm_([st.zeros([2])], 1.0).item() == 0.0  # no grads


def test_clip_grad_value_matches_torch():
    ps, tps, _ = _pair(seed=1)
    clip_grad_value_(ps, 0.3)
    torch.nn.utils.clip_grad_value_(tps, 0.3)
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_total_norm_on_every_isa(isa, norm_type, dtype):
    rng = np.random.RandomState(4)
    xs = [np.asarray(rng.randn(*s) * 10, dtype=dtype) for s in SHAPES]
    got = st._core._total_norm([st.from_numpy(x) for x in xs], norm_type)
    exact = np.linalg.norm(np.concatenate([x.ravel().astype(np.float64) for x in xs]), ord=norm_type)
    assert abs(got - exact) <= (1e-6 if dtype == np.float32 else 1e-13) * exact


def test_total_norm_does_not_depend_on_threads():
    xs = [st.from_numpy(np.random.RandomState(i).randn(50000).astype(np.float32)) for i in range(9)]
    n = st.get_num_threads()
    try:
        st.set_num_threads(1)
        a = st._core._total_norm(xs, 2.0)
        st.set_num_threads(2)
        b = st._core._total_norm(xs, 2.0)
    finally:
        st.set_num_threads(n)
    assert a == b
