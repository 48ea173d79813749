"""Each st.optim update rule against an independent float64 numpy reference (optim_refs.py)
and against torch.optim in float32, over 24 steps on awkward shapes; the spec's test vectors;
every SIMD path bit-identical to the scalar one."""
import numpy as np
import pytest
import torch

import steepest as st
from optim_refs import CONFIGS, ref_step

SHAPES = [(), (1,), (7,), (1003,), (4097,), (3, 5, 7)]
STEPS = 24


def _grads(seed, dtype, steps=STEPS):
    rng = np.random.RandomState(seed)
    return [[np.asarray(rng.randn(*s), dtype=dtype) for s in SHAPES] for _ in range(steps)]


def _st_run(name, kw, dtype, steps=STEPS, seed=0):
    rng = np.random.RandomState(100 + seed)
    p0 = [np.asarray(rng.randn(*s), dtype=dtype) for s in SHAPES]
    ps = [st.from_numpy(p.copy()) for p in p0]
    opt = getattr(st.optim, name)(ps, **kw)
    for gs in _grads(seed, dtype, steps):
        for p, g in zip(ps, gs):
            p.grad = st.from_numpy(g.copy())
        opt.step()
    return p0, [p.numpy().copy() for p in ps], opt


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_against_float64_reference(name, kw):
    p0, got, _ = _st_run(name, kw, np.float64)
    grads = _grads(0, np.float64)
    for j, shape in enumerate(SHAPES):
        p, s = p0[j].copy(), {}
        for t in range(1, STEPS + 1):
            ref_step(name, kw, p, grads[t - 1][j], s, t)
        np.testing.assert_allclose(got[j], p, rtol=1e-10, atol=1e-12, err_msg=f"{name} {kw} shape {shape}")
        assert got[j].shape == shape


TORCH = [(n, kw) for n, kw in CONFIGS if hasattr(torch.optim, n)]


@pytest.mark.parametrize("name,kw", TORCH, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH)])
def test_against_torch_float32(name, kw):
    p0, got, _ = _st_run(name, kw, np.float32)
    tps = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    opt = getattr(torch.optim, name)(tps, **kw)
    for gs in _grads(0, np.float32):
        for p, g in zip(tps, gs):
            p.grad = torch.tensor(g.copy())
        opt.step()
    for j, p in enumerate(tps):
        # torch's CPU sqrt is not correctly rounded (docs/optimizers.md §0.1): about an ulp a step
        np.testing.assert_allclose(got[j], p.detach().numpy(), rtol=2e-5, atol=2e-6, err_msg=f"{name} {kw}")


@pytest.mark.parametrize("name,kw", [(n, kw) for n, kw in TORCH if n in ("SGD",)])
def test_sgd_bit_identical_to_torch(name, kw):
    """SGD uses no sqrt, so every bit matches torch's float32 result."""
    p0, got, _ = _st_run(name, kw, np.float32)
    tps = [torch.tensor(p.copy(), requires_grad=True) for p in p0]
    opt = getattr(torch.optim, name)(tps, **kw)
    for gs in _grads(0, np.float32):
        for p, g in zip(tps, gs):
            p.grad = torch.tensor(g.copy())
        opt.step()
    for j, p in enumerate(tps):
        np.testing.assert_array_equal(got[j], p.detach().numpy())


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_simd_paths_match_scalar(isa, name, kw, dtype):
    _, got, _ = _st_run(name, kw, dtype, steps=6, seed=3)
    st.set_isa("scalar")
    try:
        _, ref, _ = _st_run(name, kw, dtype, steps=6, seed=3)
    finally:
        st.set_isa(isa)
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b)


# the reference test vectors (torch 2.13 / reference code, float64) (torch 2.13 / reference code, float64): p0 = [1,-2,3],
# g_t = [0.1t, -0.2, 0.3(-1)^t]
VECTORS = [
    ("SGD", dict(lr=.1), 3, [0.94, -1.94, 3.03]),
    ("SGD", dict(lr=.1, momentum=.9, dampening=.1, weight_decay=.01), 3,
     [0.90643462109, -1.88305304218, 3.04097441187]),
    ("SGD", dict(lr=.1, momentum=.9, nesterov=True), 3, [0.85441, -1.83902, 3.07887]),
    ("Adam", dict(lr=.1), 3, [0.707681695545, -1.700000015, 3.12831617362]),
    ("Adam", dict(lr=.1, weight_decay=.1, amsgrad=True), 3, [0.701678276638, -1.70027385154, 2.86888537133]),
    ("AdamW", dict(lr=.1), 3, [0.704981112721, -1.69430591299, 3.11913053379]),
    ("Adagrad", dict(lr=.1, lr_decay=.1), 3, [0.751873126858, -1.787605043, 3.08383008775]),
    ("RMSprop", dict(lr=.01), 3, [0.730117415993, -1.77108706298, 3.08713676017]),
    ("RMSprop", dict(lr=.01, centered=True, momentum=.9), 3, [0.47458491201, -1.53268075681, 3.19579861785]),
    ("NAdam", dict(lr=.1), 3, [0.701880217738, -1.74276468619, 3.10096335068]),
    ("RAdam", dict(lr=.1), 3, [0.954035735094, -1.94, 3.03849485337]),
    ("RAdam", dict(lr=.1), 8, [0.886005265789, -1.89027018537, 3.04319682666]),
    ("Adamax", dict(lr=.1), 3, [0.754680536605, -1.700000015, 3.12831617362]),
    ("Lion", dict(lr=.1, weight_decay=.1), 3, [0.673289, -1.643588, 3.009907]),
]


@pytest.mark.parametrize("name,kw,steps,expected", VECTORS)
def test_spec_vectors(name, kw, steps, expected):
    p = st.from_numpy(np.array([1.0, -2.0, 3.0]))
    opt = getattr(st.optim, name)([p], **kw)
    for t in range(1, steps + 1):
        p.grad = st.from_numpy(np.array([0.1 * t, -0.2, 0.3 * (-1) ** t]))
        opt.step()
    # NAdam's mu_product is a float32 tensor in torch too, so its vector carries that rounding
    np.testing.assert_allclose(p.numpy(), expected, rtol=2e-6 if name != "Lion" else 1e-5, atol=1e-9)
