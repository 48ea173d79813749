# st.optim.lr_scheduler against torch.optim.lr_scheduler (the reference that defines the
# semantics): every class step by step, state_dict round trips, and the C++ closed forms.
import copy
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st_

import steepest as st
from steepest import _core
from steepest.optim import lr_scheduler as S

T = torch.optim.lr_scheduler
STEPS = 120


class StandIn:
    """The least an optimizer must offer a scheduler: param_groups."""

    def __init__(self, groups):
        self.param_groups = [dict(g) for g in groups]


def torch_optimizer(groups, kind):
    params = [{"params": [torch.zeros(1, requires_grad=True)], **g} for g in groups]
    if kind == "adam":
        return torch.optim.Adam(params, lr=groups[0]["lr"])
    return torch.optim.SGD(params, lr=groups[0]["lr"], momentum=groups[0].get("momentum", 0.0))


def groups_for(kind):
    if kind == "adam":
        return [{"lr": 0.1, "betas": (0.9, 0.999)}, {"lr": 0.03, "betas": (0.8, 0.99)}]
    return [{"lr": 0.1, "momentum": 0.9}, {"lr": 0.03, "momentum": 0.5}]


def hyper(opt):
    """Each group's lr and momentum (or beta1), as plain floats."""
    out = []
    for g in opt.param_groups:
        m = g["betas"][0] if "betas" in g else g.get("momentum")
        out.append((float(g["lr"]), None if m is None else float(m)))
    return out


def compare(make, kind="sgd", steps=STEPS, resume_at=None):
    """Drive torch's scheduler (with a real optimizer) and ours (with a stand-in) side by side;
    optionally rebuild ours from its state_dict at step `resume_at`. Exact equality."""
    groups = groups_for(kind)
    topt = torch_optimizer(groups, kind)
    tsched = make(T, topt)
    sopt = StandIn(groups)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # normal use of ours warns about nothing
        ssched = make(S, sopt)
    assert ssched.get_last_lr() == tsched.get_last_lr()
    assert hyper(sopt) == hyper(topt)
    for g in sopt.param_groups:
        assert "initial_lr" in g
    for step in range(1, steps + 1):
        topt.step()
        tsched.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ssched.step()
        assert ssched.get_last_lr() == tsched.get_last_lr(), f"step {step}"
        assert hyper(sopt) == hyper(topt), f"step {step}"
        assert getattr(ssched, "last_epoch", None) == getattr(tsched, "last_epoch", None)
        if step == resume_at:
            saved_state = copy.deepcopy(ssched.state_dict())
            saved_groups = copy.deepcopy(sopt.param_groups)
            sopt = StandIn(groups_for(kind))  # a fresh run: build, then load the checkpoint
            ssched = make(S, sopt)
            sopt.param_groups = saved_groups
            ssched.load_state_dict(saved_state)
    return ssched, tsched


# Each case builds the same schedule from either module (torch's or ours).
CASES = {
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 0.97 ** e),
    "lambda_per_group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (1 + e), lambda e: 0.99 ** e]),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.98 if e % 2 else 0.995),
    "step": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.5),
    "constant": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=40),
    "constant_default": lambda m, o: m.ConstantLR(o),
    "linear_up": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=50),
    "linear_down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=60),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.97),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=70, power=2.0),
    "polynomial_sqrt": lambda m, o: m.PolynomialLR(o, total_iters=90, power=0.5),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
    "cosine_long": lambda m, o: m.CosineAnnealingLR(o, T_max=100),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2, eta_min=1e-4),
    "warm_restarts_flat": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "cyclic": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=9),
    "cyclic_tri2": lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=5, step_size_down=11,
                                           mode="triangular2"),
    "cyclic_exp": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=6, mode="exp_range", gamma=0.99,
                                          base_momentum=0.7, max_momentum=0.95),
    "cyclic_custom": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, scale_fn=lambda x: 0.9 ** x,
                                             scale_mode="iterations"),
    "cyclic_no_momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=8, cycle_momentum=False),
    "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "one_cycle_linear3": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS + 10,
                                                   anneal_strategy="linear", three_phase=True),
    "one_cycle_epochs": lambda m, o: m.OneCycleLR(o, max_lr=0.3, epochs=6, steps_per_epoch=20, pct_start=0.25,
                                                  div_factor=10.0, final_div_factor=100.0,
                                                  base_momentum=0.8, max_momentum=0.9),
    "one_cycle_no_momentum": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False),
    "sequential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=20), m.CosineAnnealingLR(o, T_max=100)], milestones=[20]),
    "sequential3": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=10), m.ExponentialLR(o, gamma=0.95), m.StepLR(o, 9)],
        milestones=[10, 50]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=20),
                                                m.ExponentialLR(o, gamma=0.98)]),
    "chained_warmup_cosine": lambda m, o: m.ChainedScheduler([m.LinearLR(o, start_factor=0.05, total_iters=15),
                                                              m.CosineAnnealingLR(o, T_max=STEPS)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_step_by_step(name):
    compare(CASES[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_round_trip_midway(name):
    compare(CASES[name], resume_at=47)


@pytest.mark.parametrize("name", ["cyclic", "cyclic_exp", "one_cycle", "one_cycle_linear3"])
def test_momentum_cycling_moves_adam_beta1(name):
    ours, _ = compare(CASES[name], kind="adam")
    assert ours.use_beta1


def test_torch_test_vectors_from_the_spec():
    # docs/optimizers.md §8.2 (printed to 7 digits), on a stand-in optimizer with lr 0.1.
    def run(make, n, lr=0.1, **g):
        opt = StandIn([{"lr": lr, **g}])
        s = make(opt)
        out = [s.get_last_lr()[0]]
        for _ in range(n - 1):
            s.step()
            out.append(s.get_last_lr()[0])
        return out

    np.testing.assert_allclose(run(lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2, 0.01), 11),
                               [.1, .0775, .0325, .1, .0939711, .0775, .055, .0325, .0160289, .1, .0984667],
                               atol=5e-8)
    np.testing.assert_allclose(run(lambda o: S.OneCycleLR(o, max_lr=1, total_steps=10), 10, momentum=0.9),
                               [.04, .52, 1.0, .9504846, .8117457, .6112620, .3887420, .1882583, .0495194, 4e-6],
                               atol=5e-8)
    np.testing.assert_allclose(
        run(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=.1, total_iters=2), S.CosineAnnealingLR(o, 4)],
                                     [2]), 8),
        [.01, .055, .1, .0853553, .05, .0146447, 0, .0146447], atol=5e-8)
    np.testing.assert_allclose(
        run(lambda o: S.ChainedScheduler([S.ConstantLR(o, .1, 2), S.ExponentialLR(o, .9)]), 5, lr=1.0),
        [.1, .09, .81, .729, .6561], atol=5e-8)


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode,threshold", [("rel", 1e-4), ("rel", 0.05), ("abs", 0.0), ("abs", 0.1)])
@pytest.mark.parametrize("patience,cooldown,min_lr", [(0, 0, 0.0), (3, 2, 1e-3), (5, 0, [0.02, 1e-4]),
                                                       (2, 4, 0.0)])
def test_reduce_on_plateau_matches_torch(mode, threshold_mode, threshold, patience, cooldown, min_lr):
    rng = np.random.default_rng(patience * 7 + cooldown)
    # A noisy decreasing (or increasing) curve with plateaus, so both branches fire.
    trend = np.repeat(np.linspace(1.0, 0.2, 30), 5)[:150]
    metrics = trend + 0.03 * rng.standard_normal(trend.size)
    if mode == "max":
        metrics = -metrics
    kw = dict(mode=mode, factor=0.5, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
              cooldown=cooldown, min_lr=min_lr, eps=1e-6)
    groups = groups_for("sgd")
    topt = torch_optimizer(groups, "sgd")
    tsched = T.ReduceLROnPlateau(topt, **kw)
    sopt = StandIn(groups)
    ssched = S.ReduceLROnPlateau(sopt, **kw)
    reductions = 0
    for i, m in enumerate(metrics):
        before = ssched.get_last_lr()
        tsched.step(float(m))
        ssched.step(st.tensor(float(m), dtype=st.float64) if i % 2 else float(m))  # tensors and floats both work
        assert ssched.get_last_lr() == tsched.get_last_lr(), f"step {i}"
        assert (ssched.best, ssched.num_bad_epochs, ssched.cooldown_counter) == \
            (tsched.best, tsched.num_bad_epochs, tsched.cooldown_counter)
        reductions += ssched.get_last_lr() != before
        if i == 70:  # round trip through the state dict
            state = copy.deepcopy(ssched.state_dict())
            ssched = S.ReduceLROnPlateau(sopt)
            ssched.load_state_dict(state)
    assert reductions > 0


def test_reduce_on_plateau_spec_vector():
    opt = StandIn([{"lr": 1.0}])
    s = S.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1)
    lrs = []
    for m in [1, 1, 1, 1, .5, .5, .5, .5]:
        s.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1, 1, .5, .5, .5, .5, .25, .25]


@pytest.mark.parametrize("make_torch,make_ours", [
    (lambda o: T.StepLR(o, 7, 0.3), lambda o: S.StepLR(o, 7, 0.3)),
    (lambda o: T.MultiStepLR(o, [3, 9, 9], 0.3), lambda o: S.MultiStepLR(o, [3, 9, 9], 0.3)),
    (lambda o: T.ExponentialLR(o, 0.9), lambda o: S.ExponentialLR(o, 0.9)),
    (lambda o: T.CosineAnnealingLR(o, 11, 0.01), lambda o: S.CosineAnnealingLR(o, 11, 0.01)),
    (lambda o: T.LinearLR(o, 0.2, 0.9, 13), lambda o: S.LinearLR(o, 0.2, 0.9, 13)),
    (lambda o: T.PolynomialLR(o, 13, 1.5), lambda o: S.PolynomialLR(o, 13, 1.5)),
    (lambda o: T.ConstantLR(o, 0.3, 6), lambda o: S.ConstantLR(o, 0.3, 6)),
    (lambda o: T.CosineAnnealingWarmRestarts(o, 3, 2), lambda o: S.CosineAnnealingWarmRestarts(o, 3, 2)),
])
def test_step_with_epoch_uses_the_closed_form_like_torch(make_torch, make_ours):
    groups = groups_for("sgd")
    topt, sopt = torch_optimizer(groups, "sgd"), StandIn(groups)
    ts, ss = make_torch(topt), make_ours(sopt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [5, 2, 17, 0, 40, 3]:
            ts.step(epoch)
            ss.step(epoch)
            assert ss.get_last_lr() == ts.get_last_lr()
    if isinstance(ss, S.CosineAnnealingWarmRestarts):  # its step(epoch) is not deprecated (as torch)
        for epoch in [2.5, 13.75, 0.1, 100.3]:  # fractional epochs
            ts.step(epoch)
            ss.step(epoch)
            assert ss.get_last_lr() == ts.get_last_lr()
    else:
        with pytest.warns(UserWarning, match="deprecated"):
            ss.step(4)


# --- the C++ closed forms against torch's closed forms, on random arguments ----------------

def torch_closed(sched, t):
    sched.last_epoch = t
    return sched._get_closed_form_lr()[0]


@settings(max_examples=60, deadline=None)
@given(base=st_.floats(1e-5, 10.0), t=st_.integers(0, 500), n=st_.integers(1, 60),
       gamma=st_.floats(0.05, 1.0), frac=st_.floats(0.01, 1.0))
def test_cpp_closed_forms_equal_torch(base, t, n, gamma, frac):
    opt = torch_optimizer([{"lr": base}], "sgd")
    assert _core.schedule_step(base, t, n, gamma) == torch_closed(T.StepLR(opt, n, gamma), t)
    ms = [n, 2 * n, 2 * n, 5]
    assert _core.schedule_multistep(base, t, ms, gamma) == torch_closed(T.MultiStepLR(opt, ms, gamma), t)
    assert _core.schedule_exponential(base, t, gamma) == torch_closed(T.ExponentialLR(opt, gamma), t)
    assert _core.schedule_linear(base, t, frac, gamma, n) == torch_closed(T.LinearLR(opt, frac, gamma, n), t)
    assert _core.schedule_polynomial(base, t, n, 2.5 * gamma) == torch_closed(T.PolynomialLR(opt, n, 2.5 * gamma), t)
    assert _core.schedule_cosine(base, t, n, base * frac / 2) == torch_closed(
        T.CosineAnnealingLR(opt, n, base * frac / 2), t)
    assert _core.schedule_constant(base, t, frac, n) == torch_closed(T.ConstantLR(opt, frac, n), t)


@settings(max_examples=40, deadline=None)
@given(t=st_.integers(0, 2000), T0=st_.integers(1, 20), mult=st_.integers(1, 3))
def test_cpp_warm_restarts_equals_torch_stepping(t, T0, mult):
    opt = torch_optimizer([{"lr": 0.5}], "sgd")
    sched = T.CosineAnnealingWarmRestarts(opt, T0, mult, eta_min=0.01)
    for _ in range(t):
        sched.step()
    assert _core.schedule_cosine_warm_restarts(0.5, t, T0, mult, 0.01) == sched.get_last_lr()[0]


# --- warmup helpers against formulas written here ------------------------------------------

def test_warmup_cosine_formula_and_torch_equivalent():
    W, total, peak, floor = 10, 110, 0.3, 0.003
    opt = StandIn([{"lr": peak}, {"lr": peak / 3}])
    s = S.warmup_cosine(opt, W, total, min_lr=floor)
    for t in range(150):
        for b, got in zip([peak, peak / 3], s.get_last_lr()):
            if t < W:
                want = b * t / W
            elif t >= total:
                want = floor
            else:
                want = floor + (b - floor) * 0.5 * (1 + math.cos(math.pi * (t - W) / (total - W)))
            assert got == pytest.approx(want, rel=1e-13, abs=1e-15), t
        s.step()
    # The usual torch spelling: LinearLR warmup then CosineAnnealingLR, switched by SequentialLR.
    topt = torch_optimizer([{"lr": peak}], "sgd")
    ts = T.SequentialLR(topt, [T.LambdaLR(topt, lambda e: e / W), T.CosineAnnealingLR(topt, total - W, floor)], [W])
    ours = S.warmup_cosine(StandIn([{"lr": peak}]), W, total, min_lr=floor)
    for t in range(total + 1):
        assert ours.get_last_lr()[0] == pytest.approx(ts.get_last_lr()[0], rel=1e-12, abs=1e-15), t
        ts.step()
        ours.step()


@pytest.mark.parametrize("warmup_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
def test_warmup_stable_decay_follows_hf_formula(warmup_type, decay_type):
    W, D, total, ratio = 8, 30, 100, 0.1
    S_ = total - W - D

    def hf_factor(s):  # HF transformers' get_wsd_schedule lambda, written out
        if s < W:
            p = s / max(1, W)
            f = {"linear": p, "cosine": 0.5 * (1 - math.cos(math.pi * p)), "1-sqrt": 1 - math.sqrt(1 - p)}[warmup_type]
            return f * (1 - ratio) + ratio
        if s < W + S_:
            return 1.0
        if s < W + S_ + D:
            p = (s - W - S_) / max(1, D)
            f = {"linear": 1 - p, "cosine": 0.5 * (1 + math.cos(math.pi * p)), "1-sqrt": 1 - math.sqrt(p)}[decay_type]
            return max(0.0, f * (1 - ratio) + ratio)
        return ratio

    opt = StandIn([{"lr": 0.02}])
    s = S.warmup_stable_decay(opt, W, D, total_steps=total, min_lr_ratio=ratio, warmup_type=warmup_type,
                              decay_type=decay_type)
    for t in range(total + 20):
        assert s.get_last_lr()[0] == pytest.approx(0.02 * hf_factor(t), rel=1e-12, abs=1e-16), t
        s.step()


def test_helpers_round_trip_and_compose():
    opt = StandIn([{"lr": 1.0}])
    s = S.warmup_stable_decay(opt, 5, 10, stable_steps=20)
    for _ in range(12):
        s.step()
    state = copy.deepcopy(s.state_dict())
    ref = [s.get_last_lr()]
    for _ in range(30):
        s.step()
        ref.append(s.get_last_lr())
    opt2 = StandIn([{"lr": 1.0}])
    s2 = S.warmup_stable_decay(opt2, 5, 10, stable_steps=20)
    s2.load_state_dict(state)
    got = [None]
    for _ in range(30):
        s2.step()
        got.append(s2.get_last_lr())
    assert got[1:] == ref[1:]


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("make,exc,match", [
    (lambda o: S.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: S.MultiStepLR(o, [3, -1]), ValueError, "milestone"),
    (lambda o: S.ConstantLR(o, factor=1.5), ValueError, "factor"),
    (lambda o: S.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: S.LinearLR(o, end_factor=2.0), ValueError, "end_factor"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=0), ValueError, "T_mult"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, mode="zigzag"), ValueError, "mode"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError, "step_size_up"),
    (lambda o: S.CyclicLR(o, 0.1, [1.0, 2.0]), ValueError, "one value per param group"),
    (lambda o: S.OneCycleLR(o, 1.0), ValueError, "total_steps"),
    (lambda o: S.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: S.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="cosine"), ValueError, "anneal_strategy"),
    (lambda o: S.LambdaLR(o, [lambda e: 1, lambda e: 2]), ValueError, "one value per param group"),
    (lambda o: S.LambdaLR(o, 3), TypeError, "callable"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], [1, 2]), ValueError, "milestone"),
    (lambda o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], []), ValueError, "ReduceLROnPlateau"),
    (lambda o: S.ChainedScheduler([]), ValueError, "at least one"),
    (lambda o: S.ChainedScheduler([S.StepLR(o, 2), S.StepLR(StandIn([{"lr": 1}]), 2)]), ValueError,
     "different optimizer"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: S.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "min_lr"),
    (lambda o: S.warmup_cosine(o, 20, 10), ValueError, "warmup_steps"),
    (lambda o: S.warmup_stable_decay(o, 5, 10), ValueError, "total_steps or stable_steps"),
    (lambda o: S.warmup_stable_decay(o, 5, 10, total_steps=12), ValueError, "exceed"),
    (lambda o: S.warmup_stable_decay(o, 5, 10, stable_steps=3, decay_type="sqrt"), ValueError, "decay_type"),
    (lambda o: S.StepLR(o, 3, last_epoch=4), KeyError, "initial_lr"),
])
def test_bad_arguments_raise_clear_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make(StandIn([{"lr": 0.1}]))


def test_not_an_optimizer_and_missing_momentum():
    with pytest.raises(TypeError, match="not an optimizer"):
        S.StepLR(object(), 3)
    with pytest.raises(ValueError, match="momentum"):
        S.OneCycleLR(StandIn([{"lr": 0.1}]), 1.0, total_steps=10)
    with pytest.raises(ValueError, match="momentum"):
        S.CyclicLR(StandIn([{"lr": 0.1}]), 0.1, 1.0)


def test_one_cycle_past_total_steps_raises():
    s = S.OneCycleLR(StandIn([{"lr": 0.1, "momentum": 0.9}]), 1.0, total_steps=3)
    for _ in range(3):
        s.step()  # one step past the last is allowed, as in torch
    with pytest.raises(ValueError, match="total_steps"):
        s.step()


def test_state_dict_is_a_copy():
    opt = StandIn([{"lr": 0.1}])
    s = S.MultiStepLR(opt, [2, 4])
    sd = s.state_dict()
    sd["base_lrs"].append(99.0)
    sd["milestones"][7] = 1
    assert s.base_lrs == [0.1] and 7 not in s.milestones
    assert "optimizer" not in sd
