"""Adan (the rule added through docs/adding-an-optimizer.md) against an independent float64
numpy transcription of the reference algorithm (sail-sg/Adan's single-tensor step), over many
steps on awkward shapes (hypothesis), in float64 (to rounding) and float32 (to float32
tolerance); SIMD paths bit-identical to the scalar one; bad arguments name themselves; the
registry describes it (signature, defaults, state names)."""
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

import steepest as st


def adan_reference(p0, grads, lr, betas, eps, wd, no_prox):
    """The reference step in float64, written from the paper's Algorithm 1 as the reference
    implementation orders it (prox decay after the update unless no_prox)."""
    b1, b2, b3 = betas
    p = np.array(p0, dtype=np.float64)
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    n = np.zeros_like(p)
    prev = None
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, dtype=np.float64)
        d = np.zeros_like(g) if prev is None else g - prev
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * d
        u = g + b2 * d
        n = b3 * n + (1 - b3) * u * u
        s = np.sqrt(n) / np.sqrt(1 - b3**t) + eps
        if no_prox:
            p = p * (1 - lr * wd)
        p = p - lr / (1 - b1**t) * m / s - lr * b2 / (1 - b2**t) * v / s
        if not no_prox:
            p = p / (1 + lr * wd)
        prev = g
    return p


def _run(shapes, steps, dtype, seed, **kw):
    rng = np.random.RandomState(seed)
    p0 = [np.asarray(rng.randn(*s), dtype=dtype) for s in shapes]
    grads = [[np.asarray(rng.randn(*s), dtype=dtype) for s in shapes] for _ in range(steps)]
    ps = [st.tensor(a, requires_grad=True) for a in p0]
    opt = st.optim.Adan(ps, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = st.tensor(g)
        opt.step()
    return p0, grads, ps, opt


SHAPES = hst.lists(hst.lists(hst.integers(0, 9), min_size=0, max_size=3).map(tuple), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None)
@given(shapes=SHAPES, seed=hst.integers(0, 2**16), no_prox=hst.booleans(), wd=hst.sampled_from([0.0, 0.02]))
def test_adan_matches_the_float64_reference(shapes, seed, no_prox, wd):
    kw = dict(lr=3e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=wd, no_prox=no_prox)
    p0, grads, ps, _ = _run(shapes, 12, np.float64, seed, **kw)
    for i, p in enumerate(ps):
        want = adan_reference(p0[i], [g[i] for g in grads], kw["lr"], kw["betas"], kw["eps"], wd, no_prox)
        np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-12, atol=1e-14)
    p0, grads, ps, _ = _run(shapes, 12, np.float32, seed, **kw)
    for i, p in enumerate(ps):
        want = adan_reference(p0[i], [g[i] for g in grads], kw["lr"], kw["betas"], kw["eps"], wd, no_prox)
        np.testing.assert_allclose(p.detach().numpy(), want, rtol=2e-5, atol=2e-6)


def test_adan_state_and_first_step():
    _, grads, ps, opt = _run([(5, 3)], 1, np.float32, 0)
    state = opt.state[ps[0]]
    assert list(state) == ["step", "exp_avg", "exp_avg_diff", "exp_avg_sq", "neg_pre_grad"]
    assert float(state["step"].item()) == 1.0
    np.testing.assert_array_equal(state["neg_pre_grad"].numpy(), -grads[0][0])
    np.testing.assert_array_equal(state["exp_avg_diff"].numpy(), np.zeros((5, 3), np.float32))


def test_adan_simd_paths_equal_the_scalar_path():
    results = {}
    for isa in st.supported_isas():
        st.set_isa(isa)
        try:
            _, _, ps, _ = _run([(1000,), (7, 13)], 5, np.float32, 3, weight_decay=0.01)
            results[isa] = [p.detach().numpy().copy() for p in ps]
        finally:
            st.set_isa(st.supported_isas()[0])
    for isa, got in results.items():
        for a, b in zip(got, results["scalar"]):
            np.testing.assert_array_equal(a, b, err_msg=isa)


def test_adan_signature_and_defaults_come_from_the_registry():
    sig = inspect.signature(st.optim.Adan)
    assert list(sig.parameters) == ["params", "lr", "betas", "eps", "weight_decay", "no_prox", "foreach"]
    assert sig.parameters["betas"].default == (0.98, 0.92, 0.99)
    opt = st.optim.Adan([st.zeros(2, requires_grad=True)])
    assert opt.defaults["lr"] == 1e-3 and opt.defaults["no_prox"] is False


@pytest.mark.parametrize("kw, name", [(dict(lr=-1.0), "lr"), (dict(eps=-1e-8), "eps"),
                                      (dict(weight_decay=-0.1), "weight_decay")])
def test_adan_bad_arguments_name_themselves(kw, name):
    with pytest.raises(ValueError, match=name):
        st.optim.Adan([st.zeros(2, requires_grad=True)], **kw)
