"""st.optim's torch-shaped surface: lazy state and skipped params, param groups, state_dict
resume (bit-identical), zero_grad, closures, found_inf / grad_factor, flat arenas, mixed
dtypes, and bad hyperparameters raising ValueError that names the argument."""
import numpy as np
import pytest
import torch

import steepest as st
from optim_refs import CONFIGS


def _params(shapes, seed=0, dtype=np.float32):
    rng = np.random.RandomState(seed)
    return [st.from_numpy(np.asarray(rng.randn(*s), dtype=dtype)) for s in shapes]


def _set_grads(ps, seed, skip=()):
    rng = np.random.RandomState(seed)
    for i, p in enumerate(ps):
        g = np.asarray(rng.randn(*p.shape), dtype=p.numpy().dtype)
        p.grad = None if i in skip else st.from_numpy(g)


def _copy(t):
    return st.from_numpy(t.numpy().copy())


def test_params_without_grad_are_skipped_like_torch():
    ps = _params([(5,), (6,), (7,)])
    tps = [torch.tensor(p.numpy().copy(), requires_grad=True) for p in ps]
    opt, topt = st.optim.Adam(ps, lr=0.1), torch.optim.Adam(tps, lr=0.1)
    for step in range(6):
        skip = {1} if step < 3 else {2} if step == 4 else set()
        _set_grads(ps, step, skip)
        for p, tp in zip(ps, tps):
            tp.grad = None if p.grad is None else torch.tensor(p.grad.numpy().copy())
        opt.step()
        topt.step()
        if step < 3:
            assert ps[1] not in opt.state
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert opt.state[p]["step"].item() == topt.state[tp]["step"].item()
    assert [opt.state[p]["step"].item() for p in ps] == [6.0, 3.0, 5.0]


def test_param_groups_use_their_own_hyperparameters():
    a, b = _params([(9,), (4,)])
    ta, tb = (torch.tensor(x.numpy().copy(), requires_grad=True) for x in (a, b))
    opt = st.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    topt = torch.optim.SGD([{"params": [ta]}, {"params": tb, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["lr"] == 0.5
    c = _params([(3,)], seed=5)[0]
    tc = torch.tensor(c.numpy().copy(), requires_grad=True)
    for step in range(5):
        if step == 2:
            opt.add_param_group({"params": [c], "lr": 0.3, "nesterov": True, "momentum": 0.5})
            topt.add_param_group({"params": [tc], "lr": 0.3, "nesterov": True, "momentum": 0.5})
        ps = [a, b] + ([c] if step >= 2 else [])
        _set_grads(ps, step)
        for p, tp in zip(ps, [ta, tb, tc]):
            tp.grad = torch.tensor(p.grad.numpy().copy())
        opt.step()
        topt.step()
    for p, tp in zip([a, b, c], [ta, tb, tc]):
        np.testing.assert_array_equal(p.numpy(), tp.detach().numpy())


def test_a_param_in_two_groups_is_rejected():
    a, b = _params([(3,), (3,)])
    with pytest.raises(ValueError, match="more than one parameter group"):
        st.optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        st.optim.SGD([], lr=0.1)


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_state_dict_resumes_bit_identically(name, kw):
    shapes = [(), (7,), (1003,), (2, 3, 4)]
    ps = _params(shapes, seed=1)
    opt = getattr(st.optim, name)(ps, **kw)
    for step in range(7):
        _set_grads(ps, 10 + step)
        opt.step()
    sd = opt.state_dict()
    saved = {i: {k: _copy(v) if isinstance(v, st.Tensor) else v for k, v in s.items()} for i, s in sd["state"].items()}
    sd = {"state": saved, "param_groups": sd["param_groups"]}
    qs = [_copy(p) for p in ps]
    opt2 = getattr(st.optim, name)(qs, **kw)
    opt2.load_state_dict(sd)
    for step in range(7, 14):
        _set_grads(ps, 10 + step)
        _set_grads(qs, 10 + step)
        opt.step()
        opt2.step()
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    # the loaded optimizer holds copies, not the dict's tensors
    for i, s in saved.items():
        for k, v in s.items():
            if isinstance(v, st.Tensor):
                assert opt2.state[qs[i]][k] is not v


def test_state_dict_layout_is_torchs():
    ps = _params([(3,), (4,)])
    opt = st.optim.Adam(ps, lr=0.1, amsgrad=True)
    _set_grads(ps, 0, skip={1})
    opt.step()
    sd = opt.state_dict()
    assert set(sd["state"]) == {0}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"].dtype == st.float32 and sd["state"][0]["step"].shape == ()
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][0]["amsgrad"] is True


def test_zero_grad_and_closure():
    ps = _params([(3,), (2,)])
    _set_grads(ps, 0)
    opt = st.optim.SGD(ps, lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in ps)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)
    calls = []

    def closure():
        calls.append(1)
        _set_grads(ps, 1)
        return 42.0

    before = ps[0].numpy().copy()
    assert opt.step(closure) == 42.0 and calls == [1]
    np.testing.assert_array_equal(ps[0].numpy(), before - np.float32(0.1) * ps[0].grad.numpy())


def test_adagrad_creates_state_in_constructor():
    ps = _params([(3,)])
    opt = st.optim.Adagrad(ps, initial_accumulator_value=0.25)
    s = opt.state[ps[0]]
    assert s["step"].item() == 0.0 and np.all(s["sum"].numpy() == 0.25)


def test_found_inf_skips_the_step_entirely():
    ps = _params([(5,), (7,)])
    opt = st.optim.Adam(ps, lr=0.1)
    _set_grads(ps, 0)
    opt.step()
    before = [p.numpy().copy() for p in ps]
    state = {k: v.numpy().copy() for k, v in opt.state[ps[0]].items()}
    opt.step(found_inf=st.full([], 1.0, dtype=st.float32))
    for p, b in zip(ps, before):
        np.testing.assert_array_equal(p.numpy(), b)
    for k, v in opt.state[ps[0]].items():
        np.testing.assert_array_equal(v.numpy(), state[k])
    opt.step(found_inf=st.full([], 0.0, dtype=st.float32))
    assert opt.state[ps[0]]["step"].item() == 2.0


@pytest.mark.parametrize("name,kw", CONFIGS[::3])
def test_grad_factor_equals_prescaled_grads(name, kw):
    """The fused factor gives the bits of multiplying the grads first (clipping, unscaling)."""
    ps = _params([(1003,), (5,)])
    qs = [_copy(p) for p in ps]
    o1, o2 = getattr(st.optim, name)(ps, **kw), getattr(st.optim, name)(qs, **kw)
    f = 0.37
    for step in range(4):
        _set_grads(ps, step)
        _set_grads(qs, step)
        for q in qs:
            q.grad = st.from_numpy(q.grad.numpy() * np.float32(f))
        o1.step(grad_factor=f)
        o2.step()
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_flat_arena_matches_tensor_list():
    """Params and grads as views into one buffer: stepping the views equals stepping the
    whole arena as one tensor."""
    sizes = [3, 1000, 7, 4097, 1]
    total = sum(sizes)
    rng = np.random.RandomState(0)
    p0, grads = rng.randn(total).astype(np.float32), [rng.randn(total).astype(np.float32) for _ in range(5)]
    arena, garena = st.from_numpy(p0.copy()), st.from_numpy(np.zeros(total, np.float32))
    offs = np.cumsum([0] + sizes)
    views = [arena[int(a):int(b)] for a, b in zip(offs[:-1], offs[1:])]
    for v, a, b in zip(views, offs[:-1], offs[1:]):
        v.grad = garena[int(a):int(b)]
    whole = st.from_numpy(p0.copy())
    o1, o2 = st.optim.AdamW(views, lr=0.01), st.optim.AdamW([whole], lr=0.01)
    for g in grads:
        garena.numpy()[:] = g
        whole.grad = st.from_numpy(g.copy())
        o1.step()
        o2.step()
    np.testing.assert_array_equal(arena.numpy(), whole.numpy())


def test_mixed_dtypes_in_one_group():
    a = _params([(9,)], dtype=np.float32)[0]
    b = _params([(9,)], dtype=np.float64)[0]
    opt = st.optim.Adam([a, b], lr=0.1)
    for step in range(3):
        _set_grads([a, b], step)
        opt.step()
    assert a.dtype == st.float32 and b.dtype == st.float64
    assert opt.state[b]["exp_avg"].dtype == st.float64


def test_many_small_tensors_in_parallel():
    n = 3000
    ps = _params([(10,)] * n, seed=2)
    qs = [_copy(p) for p in ps]
    threads = st.get_num_threads()
    try:
        st.set_num_threads(2)
        o1 = st.optim.Adam(ps, lr=0.1)
        _set_grads(ps, 3)
        o1.step()
        st.set_num_threads(1)
        o2 = st.optim.Adam(qs, lr=0.1)
        _set_grads(qs, 3)
        o2.step()
    finally:
        st.set_num_threads(threads)
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


BAD = [
    (st.optim.SGD, dict(lr=-0.1), "lr"),
    (st.optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum"),
    (st.optim.SGD, dict(lr=0.1, weight_decay=-1), "weight_decay"),
    (st.optim.SGD, dict(lr=0.1, nesterov=True), "nesterov"),
    (st.optim.SGD, dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (st.optim.Adam, dict(lr=-1e-3), "lr"),
    (st.optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (st.optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (st.optim.Adam, dict(eps=-1e-8), "eps"),
    (st.optim.AdamW, dict(weight_decay=-0.1), "weight_decay"),
    (st.optim.Adagrad, dict(lr_decay=-1), "lr_decay"),
    (st.optim.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (st.optim.RMSprop, dict(alpha=-0.5), "alpha"),
    (st.optim.RMSprop, dict(momentum=-0.5), "momentum"),
    (st.optim.NAdam, dict(momentum_decay=-1), "momentum_decay"),
    (st.optim.RAdam, dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    (st.optim.Adamax, dict(eps=-1.0), "eps"),
    (st.optim.Lion, dict(lr=-1.0), "lr"),
    (st.optim.Lion, dict(betas=(0.9,)), "betas"),
]


@pytest.mark.parametrize("cls,kw,arg", BAD)
def test_bad_hyperparameters_raise_value_error_naming_the_argument(cls, kw, arg):
    with pytest.raises(ValueError, match=arg):
        cls(_params([(3,)]), **kw)


def test_bad_hyperparameter_in_added_group():
    opt = st.optim.Adam(_params([(3,)]))
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": _params([(2,)], seed=1), "lr": -1.0})

