"""Params that are non-contiguous views (a transpose, a strided slice) are stepped as torch
steps them: the update lands in the viewed storage, state has the param's shape, and a
group mixing them with contiguous params matches torch's optimizer over several steps.
Bfloat16 params on rules without a mixed-precision kernel keep their clear TypeError."""
import numpy as np
import pytest
import torch

import steepest as st

RULES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.01)),
]


def _views(a):
    """The same two non-contiguous views of `a` (4x6) in steepest and torch: its transpose and
    every other column, plus a contiguous third param."""
    sa, ta = st.from_numpy(a.copy()), torch.tensor(a.copy())
    sc = st.from_numpy(np.arange(5, dtype=np.float32))
    tc = torch.arange(5, dtype=torch.float32)
    return sa, ta, [sa.t(), sa[:, ::2], sc], [ta.t(), ta[:, ::2], tc]


@pytest.mark.parametrize("name,kw", RULES)
def test_non_contiguous_params_step_like_torch(name, kw):
    rng = np.random.RandomState(0)
    a = rng.randn(4, 6).astype(np.float32)
    sa, ta, ps, tps = _views(a)
    # the two views overlap in storage; torch steps them one after the other, so do we
    ps, tps = [ps[0], ps[2]], [tps[0], tps[2]]
    assert not ps[0].is_contiguous()
    opt = getattr(st.optim, name)(ps, **kw)
    topt = getattr(torch.optim, name)(tps, **kw)
    for _ in range(3):
        for p, tp in zip(ps, tps):
            g = rng.randn(*tp.shape).astype(np.float32)
            p.grad, tp.grad = st.from_numpy(g.copy()), torch.tensor(g.copy())
        opt.step()
        topt.step()
    np.testing.assert_allclose(sa.numpy(), ta.numpy(), rtol=2e-6, atol=1e-7)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.numpy(), tp.numpy(), rtol=2e-6, atol=1e-7)
        for k, v in topt.state[tp].items():
            assert tuple(opt.state[p][k].shape) == tuple(v.shape), k


def test_strided_slice_param_steps_only_its_elements():
    rng = np.random.RandomState(1)
    a = rng.randn(4, 6).astype(np.float32)
    sa, ta, ps, tps = _views(a)
    p, tp = ps[1], tps[1]
    opt, topt = st.optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    for _ in range(2):
        g = rng.randn(4, 3).astype(np.float32)
        p.grad, tp.grad = st.from_numpy(g.copy()), torch.tensor(g.copy())
        opt.step()
        topt.step()
    np.testing.assert_allclose(sa.numpy(), ta.numpy(), rtol=2e-6, atol=1e-7)
    np.testing.assert_array_equal(sa.numpy()[:, 1::2], a[:, 1::2])  # the other columns untouched


def test_non_contiguous_params_give_the_same_bits_on_every_isa(isa):
    rng = np.random.RandomState(2)
    a = rng.randn(40, 33).astype(np.float32)
    g = rng.randn(33, 40).astype(np.float32)
    p = st.from_numpy(a.copy()).t()
    q = st.from_numpy(np.ascontiguousarray(a.T))
    opt, opt2 = st.optim.Adam([p], lr=0.01), st.optim.Adam([q], lr=0.01)
    for _ in range(2):
        p.grad, q.grad = st.from_numpy(g.copy()), st.from_numpy(g.copy())
        opt.step()
        opt2.step()
    np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("name", ["Adamax", "RMSprop", "Adagrad", "NAdam"])
def test_bfloat16_params_without_a_mixed_kernel_raise_a_clear_type_error(name):
    p = st.zeros([3], dtype=st.bfloat16)
    p.grad = st.ones([3], dtype=st.bfloat16)
    opt = getattr(st.optim, name)([p], lr=0.1)
    with pytest.raises(TypeError, match=r"param 0 is bfloat16; this fused step takes float32 or float64 params"):
        opt.step()


def _strided_and_contiguous(seed):
    """The same values as a transposed view (non-contiguous) and as a contiguous tensor."""
    a = np.random.default_rng(seed).standard_normal((6, 4)).astype(np.float32)
    strided = st.from_numpy(a.copy()).t().requires_grad_()
    dense = st.from_numpy(np.ascontiguousarray(a.T)).requires_grad_()
    assert not strided.is_contiguous() and dense.is_contiguous()
    return strided, dense


def test_schedule_free_modes_on_strided_params_match_contiguous_ones():
    """train()/eval() rewrite every param (grad or not): a strided one through a copy written
    back, with the bits of the same run on a contiguous param, and x = y after train/eval."""
    strided, dense = _strided_and_contiguous(1)
    runs = []
    for p in (strided, dense):
        opt = st.optim.ScheduleFreeAdamW([p], lr=0.05, warmup_steps=2)
        seen = []
        for step in range(4):
            opt.train()
            p.grad = (p.detach() * (step + 1)).contiguous()
            opt.step()
            opt.eval()
            seen.append(p.detach().numpy().copy())
        opt.train()
        seen.append(p.detach().numpy().copy())
        runs.append(seen)
    for a, b in zip(*runs):
        assert a.tobytes() == np.ascontiguousarray(b).tobytes()
    # eval() moved the strided param itself (its storage), not a copy of it
    assert not np.array_equal(runs[0][0], runs[0][-1])


def test_sophia_hessian_update_on_strided_params_matches_contiguous_ones():
    strided, dense = _strided_and_contiguous(2)
    out = []
    for p in (strided, dense):
        opt = st.optim.SophiaG([p], lr=0.05)
        for _ in range(3):
            p.grad = (p.detach() * 2).contiguous()
            opt.update_hessian()
            opt.step()
        out.append((p.detach().numpy().copy(), opt.state[p]["hessian"].numpy().copy()))
    assert out[0][0].tobytes() == np.ascontiguousarray(out[1][0]).tobytes()
    assert out[0][1].tobytes() == out[1][1].tobytes()
    assert out[0][1].shape == (4, 6)
    assert np.all(out[0][1] > 0)  # the EMA of g*g really was updated
