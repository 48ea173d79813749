"""st.amp.GradScaler (docs/optimizers.md §10) against torch.amp.GradScaler on the CPU and a float64
transcription of the update rule: skip/growth/backoff sequences, the fused unscale (the step
takes 1/scale), explicit unscale_, bit-identical skipped steps, errors, checkpoints."""
import math

import numpy as np
import pytest
import torch

import steepest as st

SHAPES = [(7,), (1003,), (3, 5)]


def _rule(found_seq, init_scale, growth, backoff, interval):
    """The update rule written out: float32 scale, int tracker."""
    scale, tracker, out = np.float32(init_scale), 0, []
    for found in found_seq:
        if found:
            scale, tracker = np.float32(float(scale) * backoff), 0
        else:
            tracker += 1
            if tracker == interval:
                grown = np.float32(float(scale) * growth)
                if np.isfinite(grown):
                    scale = grown
                tracker = 0
        out.append((float(scale), tracker))
    return out


def _params(seed=0):
    rng = np.random.RandomState(seed)
    init = [rng.randn(*s).astype(np.float32) for s in SHAPES]
    return [st.nn.Parameter(st.from_numpy(a.copy())) for a in init], \
        [torch.tensor(a.copy(), requires_grad=True) for a in init]


def _set_grads(ps, tps, rng, scale, bad):
    for i, (p, tp) in enumerate(zip(ps, tps)):
        g = (rng.randn(*tuple(p.shape)) * 1e-2 * scale).astype(np.float32)
        if bad and i == 1:
            g.flat[3] = np.inf if bad == "inf" else np.nan
        p.grad = st.from_numpy(g.copy())
        tp.grad = torch.tensor(g.copy())


def test_spec_vector():
    p = st.nn.Parameter(st.ones([3]))
    opt = st.optim.SGD([p], lr=0.1)
    sc = st.amp.GradScaler(init_scale=8.0, growth_interval=2)
    scales, trackers, steps = [], [], []
    for found in [False, False, False, True, False, False]:
        sc.scale(st.ones([1]))
        before = p.detach().numpy().copy()
        p.grad = st.from_numpy(np.array([np.inf if found else 1.0, 0, 0], np.float32))
        sc.step(opt)
        steps.append(not np.array_equal(before, p.detach().numpy()))
        sc.update()
        scales.append(sc.get_scale())
        trackers.append(sc._get_growth_tracker())
    assert scales == [8, 16, 16, 8, 8, 16]
    assert trackers == [1, 0, 1, 0, 1, 0]
    assert steps == [True, True, True, False, True, True]


@pytest.mark.parametrize("explicit_unscale", [False, True])
@pytest.mark.parametrize("make", [
    (lambda ps: st.optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    (lambda ps: st.optim.AdamW(ps, lr=1e-2), lambda ps: torch.optim.AdamW(ps, lr=1e-2)),
])
def test_sequence_matches_torch(make, explicit_unscale):
    ps, tps = _params()
    opt, topt = make[0](ps), make[1](tps)
    kw = dict(init_scale=2.0**10, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
    sc, tsc = st.amp.GradScaler(**kw), torch.amp.GradScaler("cpu", **kw)
    rng = np.random.RandomState(1)
    pattern = [None, None, "inf", None, None, None, "nan", "inf", None, None, None, None, None, None, "inf", None]
    found_seq = []
    for bad in pattern:
        sc.scale(st.ones([1]))
        tsc.scale(torch.ones(1))
        _set_grads(ps, tps, rng, sc.get_scale(), bad)
        if explicit_unscale:
            sc.unscale_(opt)
            tsc.unscale_(topt)
            for p, tp in zip(ps, tps):  # grads are unscaled in place, as torch's
                np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())
        sc.step(opt)
        tsc.step(topt)
        sc.update()
        tsc.update()
        found_seq.append(bad is not None)
        assert sc.get_scale() == tsc.get_scale()
        assert sc._get_growth_tracker() == tsc._get_growth_tracker()
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=2e-6, atol=1e-7)
    assert [s for s, _ in _rule(found_seq, 2.0**10, 4.0, 0.25, 3)][-1] == sc.get_scale()
    ref = _rule(found_seq, 2.0**10, 4.0, 0.25, 3)
    assert ref[-1] == (sc.get_scale(), sc._get_growth_tracker())


def test_rule_long_random_sequence():
    """Many iterations with random inf/NaN: scale and tracker follow the rule exactly."""
    p = st.nn.Parameter(st.zeros([5]))
    opt = st.optim.Adam([p], lr=1e-3)
    sc = st.amp.GradScaler(init_scale=3.0, growth_factor=1.5, backoff_factor=0.3, growth_interval=4)
    rng = np.random.RandomState(3)
    found_seq = [bool(rng.rand() < 0.2) for _ in range(200)]
    got = []
    for found in found_seq:
        sc.scale(st.ones([1]))
        g = rng.randn(5).astype(np.float32)
        if found:
            g[rng.randint(5)] = [np.inf, -np.inf, np.nan][rng.randint(3)]
        p.grad = st.from_numpy(g)
        sc.step(opt)
        sc.update()
        got.append((sc.get_scale(), sc._get_growth_tracker()))
    assert got == _rule(found_seq, 3.0, 1.5, 0.3, 4)
    assert opt.state[p]["step"].item() == found_seq.count(False)


def test_growth_stops_at_inf():
    sc = st.amp.GradScaler(init_scale=3e38, growth_interval=1)
    p = st.nn.Parameter(st.zeros([2]))
    opt = st.optim.SGD([p], lr=0.1)
    sc.scale(st.ones([1]))
    p.grad = st.ones([2])
    sc.step(opt)
    sc.update()
    assert sc.get_scale() == float(np.float32(3e38)) and sc._get_growth_tracker() == 0


@pytest.mark.parametrize("make", [
    lambda ps: st.optim.Adam(ps, lr=1e-2, amsgrad=True),
    lambda ps: st.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: st.optim.Lion(ps, lr=1e-2),
    lambda ps: st.optim.AdamW([p.to(st.bfloat16) for p in ps], lr=1e-2),
])
def test_skipped_step_changes_nothing(make):
    ps, _ = _params(2)
    opt = make(ps)
    ps = [p for g in opt.param_groups for p in g["params"]]
    sc = st.amp.GradScaler(init_scale=4.0)
    rng = np.random.RandomState(0)
    for _ in range(3):  # build up state
        sc.scale(st.ones([1]))
        for p in ps:
            p.grad = st.from_numpy(rng.randn(*tuple(p.shape)).astype(np.float32)).to(p.dtype)
        sc.step(opt)
        sc.update()
    snap_p = [p.detach().clone() for p in ps]
    snap_s = {id(p): {k: v.clone() for k, v in opt.state[p].items()} for p in ps}
    for bad in (np.inf, np.nan):
        sc.scale(st.ones([1]))
        for p in ps:
            g = rng.randn(*tuple(p.shape)).astype(np.float32)
            g.flat[0] = bad
            p.grad = st.from_numpy(g).to(p.dtype)
        assert sc.step(opt) is None
        sc.update()
        for p, s in zip(ps, snap_p):
            assert p.detach().to(st.float32).numpy().tobytes() == s.to(st.float32).numpy().tobytes()
            for k, v in snap_s[id(p)].items():
                assert opt.state[p][k].to(st.float32).numpy().tobytes() == v.to(st.float32).numpy().tobytes(), k
    assert sc.get_scale() == 1.0  # 4 -> 2 -> 1


def test_fused_step_unscales_in_kernel_and_keeps_grads():
    """Without unscale_(), step() divides by the scale inside the kernel: the same params as
    stepping on grads divided by the scale, and p.grad keeps its scaled values."""
    ps, _ = _params(4)
    qs = [st.nn.Parameter(p.detach().clone()) for p in ps]
    sc = st.amp.GradScaler(init_scale=2.0**12)
    opt, ref = st.optim.Adam(ps, lr=1e-2), st.optim.Adam(qs, lr=1e-2)
    rng = np.random.RandomState(5)
    for _ in range(5):
        sc.scale(st.ones([1]))
        inv = np.float32(1.0 / sc.get_scale())
        for p, q in zip(ps, qs):
            g = rng.randn(*tuple(p.shape)).astype(np.float32) * np.float32(sc.get_scale())
            p.grad = st.from_numpy(g.copy())
            q.grad = st.from_numpy(g * inv)
        sc.step(opt)
        ref.step()
        for p in ps:
            assert np.abs(p.grad.numpy()).max() > 10  # still scaled
        sc.update()
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_unscale_then_clip_then_step():
    ps, tps = _params(6)
    opt, topt = st.optim.SGD(ps, lr=0.5), torch.optim.SGD(tps, lr=0.5)
    sc, tsc = st.amp.GradScaler(init_scale=256.0), torch.amp.GradScaler("cpu", init_scale=256.0)
    rng = np.random.RandomState(7)
    for _ in range(4):
        sc.scale(st.ones([1]))
        tsc.scale(torch.ones(1))
        _set_grads(ps, tps, rng, 256.0 * 50, None)
        sc.unscale_(opt)
        tsc.unscale_(topt)
        n = st.nn.utils.clip_grad_norm_(ps, 0.1)
        tn = torch.nn.utils.clip_grad_norm_(tps, 0.1)
        np.testing.assert_allclose(n.item(), tn.item(), rtol=1e-5)
        sc.step(opt)
        tsc.step(topt)
        sc.update()
        tsc.update()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_errors_and_passthrough():
    with pytest.raises(ValueError, match="growth_factor"):
        st.amp.GradScaler(growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff_factor"):
        st.amp.GradScaler(backoff_factor=1.0)
    with pytest.raises(ValueError, match="growth_interval"):
        st.amp.GradScaler(growth_interval=0)
    p = st.nn.Parameter(st.ones([3]))
    opt = st.optim.SGD([p], lr=0.1)
    sc = st.amp.GradScaler()
    with pytest.raises(RuntimeError, match="_scale is None"):
        sc.unscale_(opt)
    sc.scale(st.ones([1]))
    p.grad = st.ones([3])
    sc.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        sc.unscale_(opt)
    sc.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        sc.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called since the last update"):
        sc.step(opt)
    with pytest.raises(RuntimeError, match="Closure"):
        sc.step(opt, closure=lambda: 0)
    sc.update()
    h = st.nn.Parameter(st.ones([3]).to(st.float16))
    h.grad = st.ones([3]).to(st.float16)
    with pytest.raises(ValueError, match="FP16"):
        sc.unscale_(st.optim.SGD([h], lr=0.1))
    off = st.amp.GradScaler(enabled=False)
    x = st.ones([2])
    assert off.scale(x) is x and off.get_scale() == 1.0 and off.state_dict() == {}
    p.grad = st.from_numpy(np.array([np.inf, 1, 1], np.float32))
    off.step(opt)  # disabled: a plain step, even on inf
    assert np.isnan(p.detach().numpy()[0]) or np.isinf(p.detach().numpy()[0])


def test_scale_outputs_and_new_scale():
    sc = st.amp.GradScaler(init_scale=8.0)
    out = sc.scale([st.ones([2]), (st.full([1], 2.0),)])
    assert out[0].numpy().tolist() == [8, 8] and out[1][0].numpy().tolist() == [16]
    sc.update(new_scale=3.0)
    assert sc.get_scale() == 3.0
    sc.update(new_scale=st.full([], 5.0))
    assert sc.get_scale() == 5.0
    with pytest.raises(ValueError, match="new_scale"):
        sc.update(new_scale="x")


def test_state_dict_round_trip_matches_torch_keys():
    sc = st.amp.GradScaler(init_scale=16.0, growth_interval=3)
    p = st.nn.Parameter(st.ones([2]))
    opt = st.optim.SGD([p], lr=0.1)
    for _ in range(2):
        sc.scale(st.ones([1]))
        p.grad = st.ones([2])
        sc.step(opt)
        sc.update()
    sd = sc.state_dict()
    tsd = torch.amp.GradScaler("cpu", init_scale=16.0, growth_interval=3).state_dict()
    assert set(sd) == set(tsd)
    assert sd["scale"] == 16.0 and sd["_growth_tracker"] == 2
    fresh = st.amp.GradScaler()
    fresh.load_state_dict(sd)
    fresh.scale(st.ones([1]))
    assert fresh.get_scale() == 16.0 and fresh._get_growth_tracker() == 2
    p.grad = st.ones([2])
    fresh.step(opt)
    fresh.update()
    assert fresh.get_scale() == 32.0 and fresh._get_growth_tracker() == 0
    with pytest.raises(RuntimeError, match="empty"):
        fresh.load_state_dict({})


def test_any_nonfinite_and_unscale_kernels(isa):
    """The fused check over many tensors and dtypes, on every ISA."""
    rng = np.random.RandomState(8)
    for dt in (st.float32, st.float64, st.bfloat16):
        ts = [st.from_numpy(rng.randn(n).astype(np.float32)).to(dt) for n in (1, 7, 1003, 70000)]
        assert not st._core._any_nonfinite(ts)
        before = [t.to(st.float64).numpy().copy() for t in ts]
        assert not st._core._unscale_(ts, 0.5)
        for b, t in zip(before, ts):
            np.testing.assert_array_equal(t.to(st.float64).numpy(), b * 0.5)
        for bad in (np.inf, -np.inf, np.nan):
            arr = rng.randn(70000).astype(np.float32)
            arr[69999] = bad
            assert st._core._any_nonfinite(ts + [st.from_numpy(arr).to(dt)])
            assert st._core._unscale_([st.from_numpy(arr).to(dt)], 2.0)
