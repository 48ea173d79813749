"""Optimizer.load_state_dict refuses state its step could not continue from, with a ValueError
naming the param's index and the key: a missing state tensor (where torch's step would fail
on the missing key), a negative step count, a state tensor of the wrong shape, Adafactor's
factored moments that do not match the param. Valid checkpoints still load, including the
ones torch accepts without some state (SGD's momentum_buffer is started from the next grad)."""
import numpy as np
import pytest
import torch

import steepest as st


def _stepped(cls, shapes, steps=2, **kw):
    rng = np.random.RandomState(0)
    ps = [st.from_numpy(rng.randn(*s).astype(np.float32)) for s in shapes]
    opt = cls(ps, **kw)
    for _ in range(steps):
        for p in ps:
            p.grad = st.from_numpy(rng.randn(*p.shape).astype(np.float32))
        opt.step()
    return ps, opt


def _fresh(cls, shapes, **kw):
    rng = np.random.RandomState(1)
    return cls([st.from_numpy(rng.randn(*s).astype(np.float32)) for s in shapes], **kw)


def test_adam_state_without_exp_avg_sq_raises_naming_param_and_key():
    _, opt = _stepped(st.optim.Adam, [(3,), (2, 2)])
    sd = opt.state_dict()
    del sd["state"][1]["exp_avg_sq"]
    with pytest.raises(ValueError, match=r"param 1 has no 'exp_avg_sq'"):
        _fresh(st.optim.Adam, [(3,), (2, 2)]).load_state_dict(sd)
    # torch's step fails on the same checkpoint, on the same key
    tp = [torch.zeros(3), torch.zeros(2, 2)]
    topt = torch.optim.Adam(tp)
    tsd = {"state": {1: {"step": torch.tensor(2.0), "exp_avg": torch.zeros(2, 2)}},
           "param_groups": [{**topt.state_dict()["param_groups"][0]}]}
    topt.load_state_dict(tsd)
    for p in tp:
        p.grad = torch.ones_like(p)
    with pytest.raises(KeyError, match="exp_avg_sq"):
        topt.step()


def test_amsgrad_state_without_its_running_max_raises():
    _, opt = _stepped(st.optim.Adam, [(4,)], amsgrad=True)
    sd = opt.state_dict()
    del sd["state"][0]["max_exp_avg_sq"]
    with pytest.raises(ValueError, match=r"param 0 has no 'max_exp_avg_sq'"):
        _fresh(st.optim.Adam, [(4,)], amsgrad=True).load_state_dict(sd)


def test_negative_step_raises():
    _, opt = _stepped(st.optim.Adam, [(3,), (5,)])
    sd = opt.state_dict()
    sd["state"][1]["step"] = st.full([], -3.0, dtype=st.float32)
    with pytest.raises(ValueError, match=r"param 1: 'step' is -3, a step count must be >= 0"):
        _fresh(st.optim.Adam, [(3,), (5,)]).load_state_dict(sd)
    sd["state"][1]["step"] = -1
    with pytest.raises(ValueError, match=r"param 1: 'step' is -1"):
        _fresh(st.optim.Adam, [(3,), (5,)]).load_state_dict(sd)


def test_state_tensor_of_the_wrong_shape_raises():
    _, opt = _stepped(st.optim.Adam, [(3,), (2, 3)])
    sd = opt.state_dict()
    sd["state"][1]["exp_avg"] = st.zeros([3, 2])
    with pytest.raises(ValueError, match=r"param 1: 'exp_avg' has shape \[3, 2\], expected \[2, 3\]"):
        _fresh(st.optim.Adam, [(3,), (2, 3)]).load_state_dict(sd)


@pytest.mark.parametrize("key,bad", [("row_var", [4, 2]), ("col_var", [4, 1]), ("row_var", [4, 5])])
def test_adafactor_factored_state_must_match_the_param(key, bad):
    _, opt = _stepped(st.optim.Adafactor, [(4, 5), (6,)])
    sd = opt.state_dict()
    sd["state"][0][key] = st.zeros(bad)
    with pytest.raises(ValueError, match=rf"param 0: '{key}' has shape \[{bad[0]}, {bad[1]}\]"):
        _fresh(st.optim.Adafactor, [(4, 5), (6,)]).load_state_dict(sd)


def test_adafactor_needs_the_moments_of_its_params_rank():
    _, opt = _stepped(st.optim.Adafactor, [(4, 5), (6,)])
    sd = opt.state_dict()
    del sd["state"][0]["col_var"]
    with pytest.raises(ValueError, match=r"param 0 has no 'col_var'"):
        _fresh(st.optim.Adafactor, [(4, 5), (6,)]).load_state_dict(sd)
    sd = opt.state_dict()
    del sd["state"][1]["variance"]
    with pytest.raises(ValueError, match=r"param 1 has no 'variance'"):
        _fresh(st.optim.Adafactor, [(4, 5), (6,)]).load_state_dict(sd)


@pytest.mark.parametrize("cls,kw,shapes", [
    (st.optim.Adam, dict(amsgrad=True), [(3,), (2, 2)]),
    (st.optim.Adafactor, {}, [(4, 5), (6,)]),
    (st.optim.Lion, {}, [(7,)]),
    (st.optim.RMSprop, dict(momentum=0.9, centered=True), [(3, 3)]),
    (st.optim.NAdam, {}, [(5,)]),
])
def test_valid_checkpoints_still_resume_bit_identically(cls, kw, shapes):
    ps, opt = _stepped(cls, shapes, **kw)
    sd = opt.state_dict()
    qs = [st.from_numpy(p.numpy().copy()) for p in ps]
    opt2 = cls(qs, **kw)
    opt2.load_state_dict(sd)
    rng = np.random.RandomState(5)
    for p, q in zip(ps, qs):
        g = rng.randn(*p.shape).astype(np.float32)
        p.grad, q.grad = st.from_numpy(g.copy()), st.from_numpy(g.copy())
    opt.step()
    opt2.step()
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_sgd_momentum_state_may_lack_its_buffer_as_in_torch():
    # torch starts a missing momentum_buffer from the next grad; so does st
    p0 = np.arange(4, dtype=np.float32)
    p, tp = st.from_numpy(p0.copy()), torch.tensor(p0.copy())
    opt, topt = st.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([tp], lr=0.1, momentum=0.9)
    sd, tsd = opt.state_dict(), topt.state_dict()
    sd["state"] = {0: {}}
    tsd["state"] = {0: {}}
    opt.load_state_dict(sd)
    topt.load_state_dict(tsd)
    for _ in range(2):
        g = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
        p.grad, tp.grad = st.from_numpy(g.copy()), torch.tensor(g.copy())
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.numpy(), tp.numpy(), rtol=1e-6)
