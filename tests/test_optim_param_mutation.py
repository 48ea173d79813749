"""Editing a param group's "params" between steps (a new tensor at an index, an appended
tensor, a reassigned list) is seen by the next step, as torch.optim's: the new tensors are
updated with fresh state and the replaced ones are left alone. Checked against torch 2.13's
optimizers over several steps."""
import numpy as np
import pytest
import torch

import steepest as st

RULES = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01, weight_decay=0.1))]


def _pair(rng, shape):
    a = np.asarray(rng.randn(*shape), dtype=np.float32)
    return st.from_numpy(a.copy()), torch.tensor(a.copy())


def _step_both(opt, topt, ps, tps, rng):
    for p, tp in zip(ps, tps):
        g = np.asarray(rng.randn(*p.shape), dtype=np.float32)
        p.grad = st.from_numpy(g.copy())
        tp.grad = torch.tensor(g.copy())
    opt.step()
    topt.step()


def _assert_same(ps, tps):
    for i, (p, tp) in enumerate(zip(ps, tps)):
        np.testing.assert_allclose(p.numpy(), tp.numpy(), rtol=1e-6, atol=1e-7, err_msg=f"param {i}")


def _setup(name, kw, shapes, seed=0):
    rng = np.random.RandomState(seed)
    pairs = [_pair(rng, s) for s in shapes]
    ps, tps = [p for p, _ in pairs], [t for _, t in pairs]
    return rng, ps, tps, getattr(st.optim, name)(list(ps), **kw), getattr(torch.optim, name)(list(tps), **kw)


@pytest.mark.parametrize("name,kw", RULES)
def test_a_tensor_replaced_in_params_is_updated(name, kw):
    rng, ps, tps, opt, topt = _setup(name, kw, [(3, 4), (5,)])
    _step_both(opt, topt, ps, tps, rng)
    old = ps[1]
    old_value = old.numpy().copy()
    new, tnew = _pair(rng, (7,))
    opt.param_groups[0]["params"][1] = new
    topt.param_groups[0]["params"][1] = tnew
    ps[1], tps[1] = new, tnew
    for _ in range(3):
        _step_both(opt, topt, ps, tps, rng)
    _assert_same(ps, tps)
    np.testing.assert_array_equal(old.numpy(), old_value)  # the replaced tensor is no longer stepped
    assert new in opt.state and set(opt.state[new]) == set(topt.state[tnew])


@pytest.mark.parametrize("name,kw", RULES)
def test_a_tensor_replaced_by_one_of_the_same_shape_is_updated(name, kw):
    rng, ps, tps, opt, topt = _setup(name, kw, [(4,), (6,)])
    _step_both(opt, topt, ps, tps, rng)
    new, tnew = _pair(rng, (4,))
    opt.param_groups[0]["params"][0] = new
    topt.param_groups[0]["params"][0] = tnew
    ps[0], tps[0] = new, tnew
    for _ in range(2):
        _step_both(opt, topt, ps, tps, rng)
    _assert_same(ps, tps)


@pytest.mark.parametrize("name,kw", RULES)
def test_a_tensor_appended_to_params_is_updated(name, kw):
    rng, ps, tps, opt, topt = _setup(name, kw, [(2, 3)])
    _step_both(opt, topt, ps, tps, rng)
    new, tnew = _pair(rng, (4,))
    opt.param_groups[0]["params"].append(new)
    topt.param_groups[0]["params"].append(tnew)
    ps.append(new)
    tps.append(tnew)
    for _ in range(2):
        _step_both(opt, topt, ps, tps, rng)
    _assert_same(ps, tps)


@pytest.mark.parametrize("name,kw", RULES)
def test_a_reassigned_params_list_is_used(name, kw):
    rng, ps, tps, opt, topt = _setup(name, kw, [(3,), (2, 2)])
    _step_both(opt, topt, ps, tps, rng)
    new, tnew = _pair(rng, (3,))
    opt.param_groups[0]["params"] = [new, ps[1]]
    topt.param_groups[0]["params"] = [tnew, tps[1]]
    ps, tps = [new, ps[1]], [tnew, tps[1]]
    for _ in range(2):
        _step_both(opt, topt, ps, tps, rng)
    _assert_same(ps, tps)
