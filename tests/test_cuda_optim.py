"""The optimizers on CUDA against steepest's own CPU path: every rule of the registry (found by
enumerating st.optim, so a new rule is covered without editing this file) over several steps
on awkward sizes (empty, one element, odd, more than one chunk, more tensors than one launch
table holds), params and state compared bit for bit; mixed precision (bfloat16/float16 params,
float32 masters, bfloat16 state, stochastic rounding) bit for bit; and clipping's and
GradScaler's multi-tensor passes. Needs a GPU (skipped with the reason otherwise)."""
import numpy as np
import pytest
from gpu import needs_gpu

import steepest as st

pytestmark = needs_gpu

# Rules whose update goes through a reduction (per-tensor norms, Adafactor's RMS) or a GEMM
# (Muon's Newton-Schulz): the device sums in another order than the CPU's fixed one (chunk
# partials in double vs float leaves), so the scalars that scale the update differ in the last
# bits. Their elementwise parts are the same functors; they are compared with a tolerance.
REDUCING = {"Lamb", "Lars", "Adafactor", "Muon"}

SIZES = [0, 1, 3, 257, 4099, 70001]  # 70001 > two 32768-element chunks
SHAPES_2D = [(1, 1), (3, 5), (33, 65), (130, 257)]

# Extra configurations per rule (name -> kwargs), beyond the defaults, for the flags a rule's
# kernel branches on; a rule not listed runs with its defaults only.
CONFIGS = {
    "SGD": [dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2), dict(lr=0.05, momentum=0.9, dampening=0.1)],
    "Adam": [dict(lr=1e-2, weight_decay=1e-2, amsgrad=True)],
    "AdamW": [dict(lr=1e-2, amsgrad=True)],
    "Adagrad": [dict(lr=0.1, weight_decay=1e-2, lr_decay=1e-3)],
    "RMSprop": [dict(lr=1e-2, momentum=0.9, centered=True, weight_decay=1e-2)],
    "NAdam": [dict(lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True)],
    "RAdam": [dict(lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True)],
    "Adamax": [dict(lr=1e-2, weight_decay=1e-2)],
    "Lion": [dict(lr=1e-3, weight_decay=0.1)],
}


def rule_classes():
    out = {}
    for name in dir(st.optim):
        cls = getattr(st.optim, name)
        if isinstance(cls, type) and issubclass(cls, st.optim.Optimizer) and cls._rule is not None:
            out[name] = cls
    return out


def cases():
    out = []
    for name in sorted(rule_classes()):
        out.append((name, {}))
        out.extend((name, kw) for kw in CONFIGS.get(name, []))
    return out


def shapes_for(name):
    return SHAPES_2D if name == "Muon" else [(n,) for n in SIZES] + [(5, 7, 9)] + SHAPES_2D[1:3]


def to_cuda(t):
    return t.to("cuda")


def host(t):
    return t.detach().to("cpu")


def bits(t):
    """The values' bytes (NaN payloads included), as numpy, for bit equality."""
    a = host(t)
    if a.dtype in (st.bfloat16, st.float16):
        a = a.to(st.float32)  # exact widening: equal floats <=> equal half bits
    return a.numpy().tobytes()


def assert_same(a, b, what, exact):
    assert tuple(a.shape) == tuple(b.shape), what
    if exact:
        assert bits(a) == bits(b), what
    else:
        np.testing.assert_allclose(host(a).to(st.float64).numpy(), host(b).to(st.float64).numpy(),
                                   rtol=2e-5, atol=1e-6, err_msg=what)


def make_pair(shapes, dtype=st.float32, seed=0):
    rng = np.random.RandomState(seed)
    cpu, gpu = [], []
    for s in shapes:
        a = st.from_numpy(rng.randn(*s).astype(np.float32)).to(dtype)
        cpu.append(st.nn.Parameter(a.clone()))
        gpu.append(st.nn.Parameter(to_cuda(a)))
    return cpu, gpu


def set_grads(cpu, gpu, rng):
    for p, q in zip(cpu, gpu):
        g = st.from_numpy(rng.randn(*tuple(p.shape)).astype(np.float32)).to(p.dtype)
        p.grad = g
        q.grad = to_cuda(g)


def compare_states(opt_c, opt_g, cpu, gpu, exact, name):
    for i, (p, q) in enumerate(zip(cpu, gpu)):
        assert_same(p, q, f"{name}: param {i}", exact)
        sc, sg = opt_c.state[p], opt_g.state[q]
        assert set(sc) == set(sg), name
        for k, v in sc.items():
            if isinstance(v, st.Tensor):
                assert sg[k].device.type == "cuda", f"{name}: state {k} of param {i} is not on the device"
                assert_same(v, sg[k], f"{name}: state {k} of param {i}", exact)
            else:
                assert v == sg[k], f"{name}: state {k} of param {i}"


def run_steps(name, kw, cpu, gpu, steps=3, seed=1):
    cls = rule_classes()[name]
    opt_c, opt_g = cls(cpu, **kw), cls(gpu, **kw)
    schedule_free = hasattr(opt_c, "train") and hasattr(opt_c, "eval")
    if schedule_free:
        opt_c.train()
        opt_g.train()
    rng = np.random.RandomState(seed)
    for _ in range(steps):
        set_grads(cpu, gpu, rng)
        if hasattr(opt_c, "update_hessian"):
            opt_c.update_hessian()
            opt_g.update_hessian()
        opt_c.step()
        opt_g.step()
    if schedule_free:  # the mode switch moves the params too (its own kernel)
        opt_c.eval()
        opt_g.eval()
    return opt_c, opt_g


def case_id(v):
    return v if isinstance(v, str) else "-".join(map(str, v)) or "defaults"


@pytest.mark.parametrize("name, kw", cases(), ids=case_id)
def test_every_rule_equals_the_cpu(name, kw):
    cpu, gpu = make_pair(shapes_for(name))
    opt_c, opt_g = run_steps(name, kw, cpu, gpu)
    compare_states(opt_c, opt_g, cpu, gpu, name not in REDUCING, name)


def test_many_small_tensors_span_several_launch_tables():
    """300 tensors (more than one kernel-argument table holds) plus large ones, AdamW."""
    shapes = [(int(n),) for n in np.random.RandomState(3).randint(1, 2000, size=300)] + [(70001,), (0,)]
    cpu, gpu = make_pair(shapes)
    opt_c, opt_g = run_steps("AdamW", dict(lr=1e-2, weight_decay=0.1), cpu, gpu, steps=2)
    compare_states(opt_c, opt_g, cpu, gpu, True, "AdamW")


def test_float64_params():
    cpu, gpu = make_pair([(1,), (4099,), (3, 5)], dtype=st.float64)
    opt_c, opt_g = run_steps("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=1e-2), cpu, gpu)
    compare_states(opt_c, opt_g, cpu, gpu, True, "Adam float64")


LOW_PRECISION = sorted(n for n, c in rule_classes().items() if st.optim.RULES[c._rule]["low_precision"])


@pytest.mark.parametrize("name", LOW_PRECISION)
@pytest.mark.parametrize("dtype", [st.bfloat16, st.float16])
@pytest.mark.parametrize("mixed", [dict(master_weights=True), dict(state_dtype=st.bfloat16),
                                   dict(master_weights=True, state_dtype=st.bfloat16),
                                   dict(master_weights=True, stochastic_rounding=True, sr_seed=11),
                                   dict(stochastic_rounding=True, sr_seed=5)],
                         ids=["master", "bf16-state", "master-bf16-state", "master-sr", "sr"])
def test_mixed_precision_equals_the_cpu(name, dtype, mixed):
    """Low-precision params with each storage mode, the CPU's rounding (nearest even, or the
    same Philox bits for stochastic rounding): params, masters and state bit for bit."""
    if mixed.get("stochastic_rounding") and dtype != st.bfloat16:
        pytest.skip("stochastic rounding applies to bfloat16 params")
    cpu, gpu = make_pair([(1,), (7,), (4099,), (70001,)], dtype=dtype)
    extra = dict(momentum=0.9) if name == "SGD" else {}  # a state slot to store in the mode's dtype
    opt_c, opt_g = run_steps(name, dict(lr=1e-2, **extra, **mixed), cpu, gpu, steps=3)
    compare_states(opt_c, opt_g, cpu, gpu, True, f"{name} {dtype} {mixed}")


def test_clip_grad_norm_matches_the_cpu():
    for norm_type in (1.0, 2.0, float("inf")):
        cpu, gpu = make_pair([(0,), (1,), (4099,), (70001,), (33, 65)])
        set_grads(cpu, gpu, np.random.RandomState(4))
        tc = st.nn.utils.clip_grad_norm_(cpu, max_norm=0.5, norm_type=norm_type)
        tg = st.nn.utils.clip_grad_norm_(gpu, max_norm=0.5, norm_type=norm_type)
        # The sums differ in order (device chunk partials in double, CPU float leaves).
        np.testing.assert_allclose(float(host(tg).item()), float(tc.item()), rtol=1e-6)
        for p, q in zip(cpu, gpu):
            np.testing.assert_allclose(host(q.grad).numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_of_half_grads_and_nan():
    _, gpu = make_pair([(4099,), (5,)], dtype=st.bfloat16)
    cpu = [st.nn.Parameter(host(q)) for q in gpu]
    set_grads(cpu, gpu, np.random.RandomState(5))
    tc = st.nn.utils.clip_grad_norm_(cpu, max_norm=1e9)
    tg = st.nn.utils.clip_grad_norm_(gpu, max_norm=1e9)
    np.testing.assert_allclose(float(host(tg).to(st.float32).item()), float(tc.to(st.float32).item()), rtol=1e-3)
    g = np.ones(9, np.float32)
    g[4] = np.nan
    p = st.nn.Parameter(to_cuda(st.zeros(9)))
    p.grad = to_cuda(st.from_numpy(g))
    assert np.isnan(float(host(st.nn.utils.clip_grad_norm_([p], max_norm=1.0)).item()))


def test_unscale_and_nonfinite_check_match_the_cpu():
    """GradScaler's pass: inf/NaN found in any dtype and position; the unscale is the CPU's x * inv
    in the element's precision (bit for bit)."""
    from steepest import _core
    for dtype in (st.float32, st.float64, st.bfloat16, st.float16):
        for bad in (None, 0, 70000):
            cpu, gpu = make_pair([(70001,), (3,)], dtype=dtype)
            set_grads(cpu, gpu, np.random.RandomState(6))
            if bad is not None:
                g = host(cpu[0].grad).to(st.float32).numpy()
                g[bad] = np.inf
                cpu[0].grad = st.from_numpy(g).to(dtype)
                gpu[0].grad = to_cuda(cpu[0].grad)
            gc = [p.grad for p in cpu]
            gg = [q.grad for q in gpu]
            assert _core._any_nonfinite(gg) == (bad is not None)
            assert _core._unscale_(gg, 1.0 / 1024) == _core._unscale_(gc, 1.0 / 1024) == (bad is not None)
            for a, b in zip(gc, gg):
                assert bits(a) == bits(b)


def test_grad_scaler_step_on_cuda_equals_the_cpu():
    """scale -> unscale_ -> clip -> step -> update on the device, the CPU path alongside."""
    cpu, gpu = make_pair([(4099,), (33, 65)])
    sc, sg = st.amp.GradScaler(init_scale=2.0**10), st.amp.GradScaler("cuda", init_scale=2.0**10)
    oc, og = st.optim.AdamW(cpu, lr=1e-2), st.optim.AdamW(gpu, lr=1e-2)
    rng = np.random.RandomState(7)
    for step in range(3):
        set_grads(cpu, gpu, rng)
        if step == 1:  # an overflowing step is skipped on both
            g = np.full(tuple(cpu[0].shape), np.inf, np.float32)
            cpu[0].grad = st.from_numpy(g)
            gpu[0].grad = to_cuda(cpu[0].grad)
        sc.scale(st.ones([]))  # the scale is kept on the host: this only starts the scaler
        sg.scale(st.ones([]))
        sc.unscale_(oc)
        sg.unscale_(og)
        sc.step(oc)
        sg.step(og)
        sc.update()
        sg.update()
        assert sc.get_scale() == sg.get_scale()
    compare_states(oc, og, cpu, gpu, True, "AdamW + GradScaler")
