"""Adafactor, Muon, SophiaG, ScheduleFreeAdamW, LAMB and LARS against the independent float64
numpy references of optim_refs2.py over 24 steps on awkward shapes, against torch.optim
(Adafactor, Muon) in float32, the spec's test vectors, SIMD paths bit-identical to the scalar
one, state_dict resume bit-identical, bad hyperparameters -> ValueError naming the argument."""
import numpy as np
import pytest
import torch

import steepest as st
from optim_refs2 import CONFIGS2, SHAPES, newton_schulz, reference

STEPS = 24
HESS_EVERY = 5  # SophiaG: update_hessian after steps 2, 7, 12, ... (iter % k == k-1 style)
BS = 64


def _shapes(name):
    return SHAPES.get(name, SHAPES["default"])


def _grads(name, seed, dtype, steps=STEPS):
    rng = np.random.RandomState(seed)
    return [[np.asarray(rng.randn(*s), dtype=dtype) for s in _shapes(name)] for _ in range(steps)]


def _hess(name, seed, dtype, steps=STEPS):
    rng = np.random.RandomState(seed + 7)
    return {t: [np.asarray(rng.randn(*s) * 0.3, dtype=dtype) for s in _shapes(name)]
            for t in range(1, steps + 1) if t % HESS_EVERY == 2}


def _p0(name, seed, dtype):
    rng = np.random.RandomState(100 + seed)
    return [np.asarray(rng.randn(*s), dtype=dtype) for s in _shapes(name)]


def _t(a):
    # st.from_numpy of an empty array reports a non-contiguous stride today: build those directly
    return st.from_numpy(a.copy()) if a.size else st.zeros(list(a.shape), dtype=getattr(st, str(a.dtype)))


def _step(name, opt, ps, grads, hess, t):
    for p, g in zip(ps, grads):
        p.grad = _t(g)
    if name == "SophiaG":
        opt.step(bs=BS)
        if t in hess:
            for p, h in zip(ps, hess[t]):
                p.grad = _t(h)
            opt.update_hessian()
    else:
        opt.step()


_LAST = {}


def _st_opt_state(p):
    return _LAST["opt"].state[p]


def _st_run(name, kw, dtype, steps=STEPS, seed=0):
    p0 = _p0(name, seed, dtype)
    ps = [st.from_numpy(p.copy()) for p in p0]
    opt = getattr(st.optim, name)(ps, **kw)
    if name == "ScheduleFreeAdamW":
        opt.train()
    hess = _hess(name, seed, dtype, steps)
    for t, gs in enumerate(_grads(name, seed, dtype, steps), start=1):
        _step(name, opt, ps, gs, hess, t)
    _LAST["opt"] = opt
    return p0, ps, opt


@pytest.mark.parametrize("name,kw", CONFIGS2, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS2)])
def test_against_float64_reference(name, kw):
    p0, ps, opt = _st_run(name, kw, np.float64)
    ref = [p.copy() for p in p0]
    x = reference(name, kw, ref, _grads(name, 0, np.float64), hess=_hess(name, 0, np.float64), bs=BS)
    for got, want, shape in zip(ps, ref, _shapes(name)):
        assert got.shape == shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-11, err_msg=f"{name} {kw} {shape}")
    if name == "ScheduleFreeAdamW":
        opt.eval()
        for got, want in zip(ps, x):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kw", [kw for n, kw in CONFIGS2 if n == "Adafactor"])
def test_adafactor_against_torch_float32(kw):
    p0, ps, _ = _st_run("Adafactor", kw, np.float32)
    tps = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    opt = torch.optim.Adafactor(tps, **kw)
    for gs in _grads("Adafactor", 0, np.float32):
        for p, g in zip(tps, gs):
            p.grad = torch.tensor(g.copy())
        opt.step()
    for got, p in zip(ps, tps):
        # reductions are summed in another order and torch's sqrt isn't correctly rounded
        np.testing.assert_allclose(got.numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6)
    # the same state layout and values: factored moments for >= 2-D params only
    for got, p in zip(ps, tps):
        mine, theirs = _st_opt_state(got), opt.state[p]
        assert set(mine) == set(theirs)
        for k in theirs:
            if k != "step":
                assert tuple(mine[k].shape) == tuple(theirs[k].shape)
                np.testing.assert_allclose(mine[k].numpy(), theirs[k].numpy(), rtol=1e-4, atol=1e-7)
            else:
                assert mine[k].item() == theirs[k].item() == STEPS


@pytest.mark.parametrize("kw", [dict(lr=0.02), dict(lr=0.02, nesterov=False, adjust_lr_fn="match_rms_adamw")])
def test_muon_against_torch(kw):
    """torch iterates Newton–Schulz in bfloat16, and so does steepest by default: Muon(params)
    agrees with torch.optim.Muon(params) out of the box to bfloat16 precision (an iterate may
    round one bf16 ulp differently: ~0.4% of an entry of O, times lr)."""
    p0, ps, opt = _st_run("Muon", dict(kw), np.float32, steps=20)
    assert opt.param_groups[0]["ns_dtype"] == "bfloat16"
    tps = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    opt = torch.optim.Muon(tps, **kw)
    for gs in _grads("Muon", 0, np.float32, 20):
        for p, g in zip(tps, gs):
            p.grad = torch.tensor(g.copy())
        opt.step()
    for got, p in zip(ps, tps):
        A, B = p.shape
        ratio = 0.2 * np.sqrt(max(A, B)) if kw.get("adjust_lr_fn") else np.sqrt(max(1, A / B))
        # measured: exact for the small shapes, <= 0.011 lr for 33x65 and 130x40 after 20 steps
        np.testing.assert_allclose(got.numpy(), p.detach().numpy(), rtol=0, atol=0.03 * kw["lr"] * ratio)
    # and in float32 the iteration is much closer to the float64 one than bf16 is
    G = np.random.RandomState(3).randn(40, 24)
    exact = newton_schulz(G)
    f32 = st.optim.newton_schulz(st.from_numpy(G.astype(np.float32)), ns_dtype="float32").numpy()
    bf = st.optim.newton_schulz(st.from_numpy(G.astype(np.float32))).numpy()
    assert np.abs(f32 - exact).max() < 1e-5 < np.abs(bf - exact).max()


@pytest.mark.parametrize("name,kw", CONFIGS2, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_simd_paths_match_scalar(isa, name, kw, dtype):
    _, got, _ = _st_run(name, kw, dtype, steps=8, seed=3)
    st.set_isa("scalar")
    try:
        _, ref, _ = _st_run(name, kw, dtype, steps=8, seed=3)
    finally:
        st.set_isa(isa)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _copy_sd(sd):
    state = {i: {k: st.from_numpy(v.numpy().copy()) if isinstance(v, st.Tensor) else v for k, v in s.items()}
             for i, s in sd["state"].items()}
    return {"state": state, "param_groups": sd["param_groups"]}


@pytest.mark.parametrize("name,kw", CONFIGS2, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS2)])
def test_state_dict_resumes_bit_identically(name, kw):
    grads = _grads(name, 5, np.float32, 14)
    hess = _hess(name, 5, np.float32, 14)
    p0 = _p0(name, 5, np.float32)
    ps = [st.from_numpy(p.copy()) for p in p0]
    opt = getattr(st.optim, name)(ps, **kw)
    if name == "ScheduleFreeAdamW":
        opt.train()
    for t in range(1, 8):
        _step(name, opt, ps, grads[t - 1], hess, t)
    if name == "ScheduleFreeAdamW":
        opt.eval()  # checkpoint in eval mode, as the reference recommends
    sd = _copy_sd(opt.state_dict())
    qs = [st.from_numpy(p.numpy().copy()) for p in ps]
    opt2 = getattr(st.optim, name)(qs, **kw)
    opt2.load_state_dict(sd)
    if name == "ScheduleFreeAdamW":
        opt.train()
        opt2.train()
    for t in range(8, 15):
        _step(name, opt, ps, grads[t - 1], hess, t)
        _step(name, opt2, qs, grads[t - 1], hess, t)
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


# the reference test vectors (torch 2.13 / reference code, float64): p0 = [1,-2,3], g_t = [0.1t, -0.2, 0.3(-1)^t]
def _g(t):
    return st.from_numpy(np.array([0.1 * t, -0.2, 0.3 * (-1) ** t]))


def test_sophia_vector():
    p = st.from_numpy(np.array([1.0, -2.0, 3.0]))
    opt = st.optim.SophiaG([p], lr=.1, rho=.04, weight_decay=.1)
    for t in range(1, 5):
        p.grad = _g(t)
        opt.step(bs=10)
        if t == 2:
            p.grad = st.from_numpy(np.array([.5, .05, -.2]))
            opt.update_hessian()
    np.testing.assert_allclose(p.numpy(), [0.56655611, -1.52715212, 2.87980793], rtol=1e-7)


def test_schedule_free_vector():
    p = st.from_numpy(np.array([1.0, -2.0, 3.0]))
    opt = st.optim.ScheduleFreeAdamW([p], lr=.1, warmup_steps=2, weight_decay=.1)
    with pytest.raises(RuntimeError, match="train"):
        p.grad = _g(1)
        opt.step()
    opt.train()
    for t in range(1, 5):
        p.grad = _g(t)
        opt.step()
    np.testing.assert_allclose(p.numpy(), [0.664408471282, -1.70706070702, 2.91109047881], rtol=1e-10)
    opt.eval()
    np.testing.assert_allclose(p.numpy(), [0.681740548588, -1.72068458536, 2.91834070675], rtol=1e-10)
    opt.eval()  # a second eval() changes nothing
    np.testing.assert_allclose(p.numpy(), [0.681740548588, -1.72068458536, 2.91834070675], rtol=1e-10)
    assert opt.param_groups[0]["k"] == 4 and opt.param_groups[0]["lr_max"] == 0.1


def test_adafactor_vector():
    p = st.from_numpy(np.array([[1, -2, 3], [.5, .25, -1]]))
    opt = st.optim.Adafactor([p])
    for t in range(1, 4):
        p.grad = st.from_numpy(np.array([[.1 * t, -.2, .3 * (-1) ** t], [.05, -.1 * t, .2]]))
        opt.step()
    np.testing.assert_allclose(p.numpy(), [[0.941045830599, -1.95840925542, 3.01494815031],
                                           [0.473605563533, 0.307355363814, -1.04481126505]], rtol=1e-10)
    assert opt.state[p]["row_var"].shape == (2, 1) and opt.state[p]["col_var"].shape == (1, 3)


def test_muon_vectors():
    G = np.array([[1, .5], [.2, -1], [.3, .4]])
    np.testing.assert_allclose(st.optim.newton_schulz(st.from_numpy(G), ns_dtype="float32").numpy(),
                               [[0.817671, 0.467696], [0.103768, -0.81586], [0.258884, 0.34699]], atol=1e-6)
    bf = st.optim.newton_schulz(st.from_numpy(G.astype(np.float32)), ns_dtype="bfloat16").numpy()
    np.testing.assert_allclose(bf, [[0.8203, 0.4629], [0.1089, -0.8125], [0.2598, 0.3457]], atol=1e-4)
    p = st.zeros([3, 2])
    opt = st.optim.Muon([p], lr=.1, weight_decay=0, ns_dtype="bfloat16")
    p.grad = st.from_numpy(G.astype(np.float32))
    opt.step()
    np.testing.assert_allclose(p.numpy(), [[-0.100467, -0.056692], [-0.013336, 0.099511], [-0.031815, -0.04234]],
                               atol=1e-6)


def test_muon_rejects_non_2d_params_naming_the_shape():
    with pytest.raises(ValueError, match=r"\[3, 4, 5\]"):
        st.optim.Muon([st.zeros([3, 4]), st.zeros([3, 4, 5])])
    opt = st.optim.Muon([st.zeros([3, 4])])
    with pytest.raises(ValueError, match=r"shape \[7\]"):
        opt.add_param_group({"params": [st.zeros([7])]})


def test_sophia_skips_params_without_grad_and_creates_state_in_update_hessian():
    a, b = st.zeros([4]), st.zeros([3])
    opt = st.optim.SophiaG([a, b])
    a.grad = st.from_numpy(np.ones(4, np.float32))
    opt.update_hessian()
    assert set(opt.state[a]) == {"step", "exp_avg", "hessian"} and b not in opt.state
    np.testing.assert_allclose(opt.state[a]["hessian"].numpy(), 0.01, rtol=1e-6)
    assert opt.state[a]["step"].item() == 0


BAD = [
    ("Adafactor", dict(lr=-1), "lr"), ("Adafactor", dict(beta2_decay=0.1), "beta2_decay"),
    ("Adafactor", dict(eps=(-1, 1e-3)), r"eps\[0\]"), ("Adafactor", dict(eps=(None, -1)), r"eps\[1\]"),
    ("Adafactor", dict(d=0.5), "d"), ("Adafactor", dict(weight_decay=-1), "weight_decay"),
    ("Muon", dict(lr=-1), "lr"), ("Muon", dict(momentum=-0.1), "momentum"),
    ("Muon", dict(weight_decay=-1), "weight_decay"), ("Muon", dict(adjust_lr_fn="foo"), "adjust_lr_fn"),
    ("Muon", dict(ns_steps=100), "ns_steps"), ("Muon", dict(ns_dtype="float16"), "ns_dtype"),
    ("Muon", dict(ns_coefficients=(1, 2)), "ns_coefficients"),
    ("SophiaG", dict(lr=-1), "lr"), ("SophiaG", dict(betas=(1.0, 0.9)), r"betas\[0\]"),
    ("SophiaG", dict(betas=(0.9, -0.1)), r"betas\[1\]"), ("SophiaG", dict(rho=-1), "rho"),
    ("SophiaG", dict(weight_decay=-1), "weight_decay"),
    ("ScheduleFreeAdamW", dict(lr=-1), "lr"), ("ScheduleFreeAdamW", dict(eps=-1), "eps"),
    ("ScheduleFreeAdamW", dict(betas=(0.9, 1.0)), r"betas\[1\]"), ("ScheduleFreeAdamW", dict(betas=(0.0, 0.9)), "betas"),
    ("ScheduleFreeAdamW", dict(warmup_steps=-1), "warmup_steps"),
    ("ScheduleFreeAdamW", dict(weight_decay=-1), "weight_decay"),
    ("Lamb", dict(lr=-1), "lr"), ("Lamb", dict(eps=-1), "eps"), ("Lamb", dict(betas=(0.9, 1.5)), r"betas\[1\]"),
    ("Lamb", dict(weight_decay=-1), "weight_decay"), ("Lamb", dict(max_grad_norm=0), "max_grad_norm"),
    ("Lars", dict(lr=-1), "lr"), ("Lars", dict(momentum=-1), "momentum"), ("Lars", dict(weight_decay=-1), "weight_decay"),
    ("Lars", dict(nesterov=True), "nesterov"), ("Lars", dict(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    ("Lars", dict(trust_coeff=-1), "trust_coeff"), ("Lars", dict(eps=-1), "eps"),
]


@pytest.mark.parametrize("name,kw,arg", BAD)
def test_bad_hyperparameters_name_the_argument(name, kw, arg):
    with pytest.raises(ValueError, match=arg):
        getattr(st.optim, name)([st.zeros([3, 2])], **kw)


def test_sophia_bad_bs():
    p = st.zeros([3])
    p.grad = st.zeros([3])
    with pytest.raises(ValueError, match="bs"):
        st.optim.SophiaG([p]).step(bs=-1)


@pytest.mark.parametrize("name,kw", [("SophiaG", dict(lr=0.01)), ("ScheduleFreeAdamW", dict(lr=0.01)),
                                     ("Lamb", dict(lr=0.01)), ("Lars", dict(lr=0.1, momentum=0.9)),
                                     ("Muon", dict(lr=0.02)), ("Adafactor", dict())])
def test_found_inf_skips_and_grad_factor_scales(name, kw):
    shapes = [(4, 3), (5, 2)]
    rng = np.random.RandomState(0)
    p0 = [rng.randn(*s).astype(np.float32) for s in shapes]
    g = [rng.randn(*s).astype(np.float32) for s in shapes]
    a = [st.from_numpy(x.copy()) for x in p0]
    b = [st.from_numpy(x.copy()) for x in p0]
    oa, ob = getattr(st.optim, name)(a, **kw), getattr(st.optim, name)(b, **kw)
    if name == "ScheduleFreeAdamW":
        oa.train()
        ob.train()
    for p, x in zip(a, g):
        p.grad = st.from_numpy(x * 4)
    oa.step(found_inf=1.0)
    for p, x in zip(a, p0):
        np.testing.assert_array_equal(p.numpy(), x)
    assert not oa.state
    oa.step(grad_factor=0.25)
    for p, x in zip(b, g):
        p.grad = st.from_numpy(x)
    ob.step()
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


from hypothesis import given, settings, strategies as hs  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(data=hs.data())
def test_random_shapes_against_reference(data):
    """Any shape (empty tensors included where the rule defines them) follows the reference."""
    i = data.draw(hs.integers(0, len(CONFIGS2) - 1), label="config")
    name, kw = CONFIGS2[i]
    if name == "Muon":
        shapes = data.draw(hs.lists(hs.tuples(hs.integers(1, 40), hs.integers(1, 40)), min_size=1, max_size=3))
    else:
        lo = 1 if name == "Adafactor" else 0  # torch's Adafactor divides by numel
        shapes = data.draw(hs.lists(hs.lists(hs.integers(lo, 9), max_size=3).map(tuple), min_size=1, max_size=3))
    seed = data.draw(hs.integers(0, 1000), label="seed")
    rng = np.random.RandomState(seed)
    p0 = [np.asarray(rng.randn(*s)) for s in shapes]
    grads = [[np.asarray(rng.randn(*s)) for s in shapes] for _ in range(5)]
    hess = {2: [np.asarray(rng.randn(*s)) for s in shapes]}
    ps = [_t(p) for p in p0]
    opt = getattr(st.optim, name)(ps, **kw)
    if name == "ScheduleFreeAdamW":
        opt.train()
    for t, gs in enumerate(grads, start=1):
        _step(name, opt, ps, gs, hess if name == "SophiaG" else {}, t)
    ref = [p.copy() for p in p0]
    reference(name, kw, ref, grads, hess=hess, bs=BS)
    for got, want in zip(ps, ref):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-11, err_msg=f"{name} {kw} {shapes}")
