"""Mixed precision in st.optim: bfloat16/float16 params with float32 master weights (bit-equal to
the float32 path), bfloat16 moment state against a float64 reference that rounds the moments,
stochastic rounding (its Philox bits reimplemented here, unbiasedness, reproducibility, thread
and ISA independence), checkpoints and errors."""
import ml_dtypes
import numpy as np
import pytest

import steepest as st
from philox_ref import M32, philox

SIZES = [1, 7, 1003, 4097, 70001]

RULES = {
    "SGD": lambda ps, **kw: st.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-2, **kw),
    "SGD-nesterov": lambda ps, **kw: st.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, **kw),
    "Adam": lambda ps, **kw: st.optim.Adam(ps, lr=1e-2, weight_decay=1e-2, **kw),
    "AdamW": lambda ps, **kw: st.optim.AdamW(ps, lr=1e-2, amsgrad=True, **kw),
    "Lion": lambda ps, **kw: st.optim.Lion(ps, lr=1e-3, weight_decay=0.1, **kw),
}


def bf16(a):
    return np.asarray(a, np.float32).astype(ml_dtypes.bfloat16)


def lowp_params(dtype, seed=0, sizes=SIZES):
    rng = np.random.RandomState(seed)
    return [st.nn.Parameter(st.from_numpy(rng.randn(n).astype(np.float32)).to(dtype)) for n in sizes]


def set_grads(ps, rng, also=None):
    for i, p in enumerate(ps):
        g = st.from_numpy(rng.randn(*tuple(p.shape)).astype(np.float32)).to(p.dtype)
        p.grad = g
        if also is not None:
            also[i].grad = g.to(also[i].dtype)


def f32(t):
    return t.detach().to(st.float32).numpy()


def raw(t):
    """Bytes that identify a tensor's values (bfloat16 widens exactly to float32)."""
    t = t.detach()
    return (t.to(st.float32) if t.dtype == st.bfloat16 else t).numpy().tobytes()


def bf16_bits(t):
    return (f32(t).view(np.uint32) >> 16).astype(np.uint16)


@pytest.mark.parametrize("dtype", [st.bfloat16, st.float16])
@pytest.mark.parametrize("rule", list(RULES))
def test_master_weights_equal_float32_path(rule, dtype):
    """The master follows exactly the float32 optimizer fed the same (widened) grads, and the
    param is the master rounded to nearest even."""
    ps = lowp_params(dtype)
    ref = [st.nn.Parameter(p.detach().to(st.float32)) for p in ps]
    opt, ropt = RULES[rule](ps), RULES[rule](ref)
    rng = np.random.RandomState(1)
    for _ in range(20):
        set_grads(ps, rng, also=ref)
        opt.step()
        ropt.step()
    np_dt = ml_dtypes.bfloat16 if dtype == st.bfloat16 else np.float16
    for p, r in zip(ps, ref):
        master = opt.state[p]["master_param"]
        assert master.dtype == st.float32
        assert master.numpy().tobytes() == r.detach().numpy().tobytes()
        assert f32(p).tobytes() == r.detach().numpy().astype(np_dt).astype(np.float32).tobytes()
        for k, v in ropt.state[r].items():
            assert opt.state[p][k].dtype == v.dtype
            assert raw(opt.state[p][k]) == raw(v), k


def test_no_master_rounds_each_step():
    """master_weights=False: each step widens the bf16 param, updates in float32, rounds back."""
    ps = lowp_params(st.bfloat16, 2)
    opt = st.optim.AdamW(ps, lr=1e-2, master_weights=False)
    rng = np.random.RandomState(3)
    for _ in range(5):
        ref = [st.nn.Parameter(p.detach().to(st.float32)) for p in ps]
        ropt = st.optim.AdamW(ref, lr=1e-2)
        ropt.load_state_dict(opt.state_dict()) if opt.state else None
        set_grads(ps, rng, also=ref)
        opt.step()
        ropt.step()
        for p, r in zip(ps, ref):
            assert "master_param" not in opt.state[p]
            assert f32(p).tobytes() == bf16(r.detach().numpy()).astype(np.float32).tobytes()


def test_bf16_state_against_float64_reference():
    """state_dtype=bfloat16: Adam's moments are rounded to bfloat16 after every step; a float64
    reference doing the same tracks the float32 master closely."""
    rng = np.random.RandomState(4)
    p0 = rng.randn(4097).astype(np.float32)
    p = st.nn.Parameter(st.from_numpy(p0.copy()).to(st.bfloat16))
    opt = st.optim.Adam([p], lr=1e-2, betas=(0.9, 0.99), eps=1e-8, state_dtype=st.bfloat16)
    x = bf16(p0).astype(np.float64)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, 21):
        g = bf16(rng.randn(4097)).astype(np.float64)
        p.grad = st.from_numpy(g.astype(np.float32)).to(st.bfloat16)
        opt.step()
        m = bf16(0.9 * m + 0.1 * g).astype(np.float64)
        v = bf16(0.99 * v + 0.01 * g * g).astype(np.float64)
        x = x - 1e-2 / (1 - 0.9**t) * m / (np.sqrt(v) / np.sqrt(1 - 0.99**t) + 1e-8)
    s = opt.state[p]
    assert s["exp_avg"].dtype == st.bfloat16 and s["exp_avg_sq"].dtype == st.bfloat16
    assert s["master_param"].dtype == st.float32
    np.testing.assert_allclose(s["master_param"].numpy(), x, rtol=0, atol=2e-3)
    # the rounding of the moments is per step: a few elements may sit one bf16 step apart
    close = np.isclose(f32(s["exp_avg"]), m, rtol=2**-7, atol=1e-6)
    assert close.mean() > 0.99


def test_bf16_state_for_float32_params():
    ps = [st.nn.Parameter(st.randn([1003]))]
    opt = st.optim.Lion(ps, lr=1e-3, state_dtype="bfloat16")
    ps[0].grad = st.randn([1003])
    opt.step()
    assert opt.state[ps[0]]["exp_avg"].dtype == st.bfloat16
    assert "master_param" not in opt.state[ps[0]]


# -- stochastic rounding -------------------------------------------------------------------------

def sr_reference(x32, seed, sr_step, param):
    """Documented rule: element e adds 16 bits from Philox(key=seed, counter=(e/8, step, param)),
    word (e%8)/2, half e%2 (low first), then truncates to bfloat16."""
    u = np.asarray(x32, np.float32).view(np.uint32).astype(np.uint64)
    out = np.empty(len(u), np.uint16)
    for e in range(len(u)):
        j = e >> 3
        w = philox((j & M32, j >> 32, sr_step, param), (seed & M32, seed >> 32))[(e & 7) >> 1]
        r = (w >> (16 * (e & 1))) & 0xFFFF
        out[e] = (int(u[e]) + r) >> 16
    return out


def test_stochastic_rounding_bits_follow_the_documented_rule():
    rng = np.random.RandomState(5)
    ps = [st.nn.Parameter(st.from_numpy(rng.randn(n).astype(np.float32)).to(st.bfloat16)) for n in (37, 11)]
    opt = st.optim.SGD(ps, lr=0.1, stochastic_rounding=True, sr_seed=0x1234_5678_9ABC, master_weights=True)
    for step in range(3):
        set_grads(ps, rng)
        opt.step()
        for i, p in enumerate(ps):
            master = opt.state[p]["master_param"].numpy()
            want = sr_reference(master, 0x1234_5678_9ABC, step, i)
            assert bf16_bits(p).tolist() == want.tolist()
    assert opt.param_groups[0]["sr_step"] == 3


def test_stochastic_rounding_unbiased():
    """A value a third of the way between two bfloat16 neighbours rounds up a third of the time."""
    n = 200_000
    p = st.nn.Parameter(st.ones([n]).to(st.bfloat16))
    opt = st.optim.SGD([p], lr=1.0, stochastic_rounding=True, master_weights=False, sr_seed=7)
    ulp = 2.0**-7  # bfloat16 spacing just below 2
    p.grad = st.full([n], -ulp / 3).to(st.bfloat16)
    want = np.float32(1.0) + np.float32(bf16(-ulp / 3).astype(np.float32)) * np.float32(-1.0)
    opt.step()
    got = f32(p)
    assert set(np.unique(got).tolist()) <= {1.0, 1.0 + ulp}
    frac = (got > 1).mean()
    exact = (float(want) - 1.0) / ulp
    assert abs(frac - exact) < 4 * np.sqrt(exact * (1 - exact) / n)
    assert abs(got.astype(np.float64).mean() - float(want)) < 4 * ulp * np.sqrt(exact / n)


def _run_sr(threads, seed, isa=None):
    before = st.get_num_threads()
    st.set_num_threads(threads)
    try:
        ps = lowp_params(st.bfloat16, 6, sizes=[70001, 300000, 5])
        opt = st.optim.AdamW(ps, lr=1e-2, stochastic_rounding=True, sr_seed=seed, state_dtype=st.bfloat16)
        rng = np.random.RandomState(7)
        for _ in range(3):
            set_grads(ps, rng)
            opt.step()
        return [raw(p) for p in ps]
    finally:
        st.set_num_threads(before)


def test_stochastic_rounding_reproducible_and_thread_independent():
    a = _run_sr(1, 11)
    assert _run_sr(2, 11) == a
    assert _run_sr(1, 11) == a
    assert _run_sr(1, 12) != a


def test_mixed_simd_paths_match_scalar(isa):
    """Every ISA's mixed path (widen, update, round, stochastic round) gives the scalar bits."""
    before = st.current_isa()
    st.set_isa("scalar")
    ref = _run_sr(1, 3)
    st.set_isa(isa)
    got = _run_sr(1, 3)
    st.set_isa(before)
    assert got == ref
    for dtype in (st.bfloat16, st.float16):
        outs = []
        for which in ("scalar", isa):
            st.set_isa(which)
            ps = lowp_params(dtype, 8, sizes=[1, 7, 1003])
            opt = st.optim.Adam(ps, lr=1e-2, state_dtype=st.bfloat16)
            rng = np.random.RandomState(9)
            for _ in range(4):
                set_grads(ps, rng)
                opt.step()
            outs.append([raw(p) for p in ps])
        st.set_isa(before)
        assert outs[0] == outs[1]


def test_state_dict_resume_bit_identical():
    ps = lowp_params(st.bfloat16, 10, sizes=[7, 1003])
    opt = st.optim.AdamW(ps, lr=1e-2, state_dtype=st.bfloat16, stochastic_rounding=True, sr_seed=5)
    rng = np.random.RandomState(11)
    for _ in range(3):
        set_grads(ps, rng)
        opt.step()
    sd = opt.state_dict()
    qs = [st.nn.Parameter(p.detach().clone()) for p in ps]
    opt2 = st.optim.AdamW(qs, lr=1e-2, state_dtype=st.bfloat16, stochastic_rounding=True, sr_seed=5)
    opt2.load_state_dict(sd)
    assert opt2.state[qs[0]]["master_param"].dtype == st.float32
    assert opt2.state[qs[0]]["exp_avg"].dtype == st.bfloat16
    for _ in range(3):
        set_grads(ps, rng, also=qs)
        opt.step()
        opt2.step()
    for p, q in zip(ps, qs):
        assert raw(p) == raw(q)


def test_errors():
    p = st.nn.Parameter(st.ones([3]).to(st.bfloat16))
    with pytest.raises(ValueError, match="state_dtype"):
        st.optim.Adam([p], state_dtype=st.float16)
    with pytest.raises(ValueError, match="sr_seed"):
        st.optim.Adam([p], sr_seed=-1)
    p.grad = st.ones([3]).to(st.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        st.optim.Adagrad([p]).step()
