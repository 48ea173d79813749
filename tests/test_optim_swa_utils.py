"""st.optim.swa_utils against torch.optim.swa_utils: AveragedModel (SWA mean, avg_fn,
multi_avg_fn EMA, use_buffers) over a training run from the same weights, SWALR's lr sequence
(cos/linear, anneal_epochs, per-group swa_lr) beside another scheduler, update_bn on a
batch-norm layer written in this test against torch's BatchNorm1d; ExponentialMovingAverage
against a float64 numpy EMA (decay, warm-up, apply/restore, state_dict)."""
import numpy as np
import pytest
import torch

import steepest as st

swa = st.optim.swa_utils
tswa = torch.optim.swa_utils


def _weights():
    rng = np.random.RandomState(0)
    return {"0.weight": rng.randn(6, 4).astype(np.float32), "0.bias": rng.randn(6).astype(np.float32),
            "2.weight": rng.randn(2, 6).astype(np.float32), "2.bias": rng.randn(2).astype(np.float32)}


def _model(lib):
    m = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 2))
    m.load_state_dict({k: lib.tensor(v.copy()) for k, v in _weights().items()})
    m.register_buffer("count", lib.zeros(3))
    return m


def _train_and_average(lib, make_avg, steps=12):
    """SGD on a fixed problem; the average is updated after every step."""
    rng = np.random.RandomState(1)
    x = lib.tensor(rng.randn(16, 4).astype(np.float32))
    y = lib.tensor(rng.randn(16, 2).astype(np.float32))
    model = _model(lib)
    avg = make_avg(lib, model)
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        with lib.no_grad():
            model.count.add_(1.5)
        avg.update_parameters(model)
    with lib.no_grad():
        out = avg(x).numpy().copy()
    return avg, out


AVERAGES = {
    "swa": lambda lib, m: lib.optim.swa_utils.AveragedModel(m),
    "swa_multi": lambda lib, m: lib.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=lib.optim.swa_utils.get_swa_multi_avg_fn()),
    "ema_multi": lambda lib, m: lib.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.8)),
    "ema_fn": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, avg_fn=lib.optim.swa_utils.get_ema_avg_fn(0.7)),
    "swa_fn": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, avg_fn=lib.optim.swa_utils.get_swa_avg_fn()),
    "ema_buffers": lambda lib, m: lib.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.9), use_buffers=True),
    "custom": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, avg_fn=lambda a, c, n: 0.5 * a + 0.5 * c),
}


@pytest.mark.parametrize("kind", AVERAGES)
def test_averaged_model_matches_torch(kind):
    ours, our_out = _train_and_average(st, AVERAGES[kind])
    theirs, their_out = _train_and_average(torch, AVERAGES[kind])
    np.testing.assert_allclose(our_out, their_out, rtol=2e-6, atol=1e-6)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert int(ours_sd["n_averaged"].item()) == int(theirs_sd["n_averaged"]) == 12
    assert ours_sd["n_averaged"].dtype == st.int64
    for k in ours_sd:
        np.testing.assert_allclose(ours_sd[k].numpy(), theirs_sd[k].numpy(), rtol=2e-6, atol=1e-6, err_msg=k)


def test_swa_mean_is_the_float64_mean_of_the_snapshots():
    model = _model(st)
    avg = swa.AveragedModel(model)
    snaps = []
    rng = np.random.RandomState(3)
    for _ in range(7):
        with st.no_grad():
            for p in model.parameters():
                p.copy_(st.tensor(rng.randn(*p.shape).astype(np.float32)))
        snaps.append([p.detach().numpy().astype(np.float64) for p in model.parameters()])
        avg.update_parameters(model)
    for i, p in enumerate(avg.module.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), np.mean([s[i] for s in snaps], axis=0), rtol=1e-5, atol=1e-6)
    assert not any(p is q for p, q in zip(avg.parameters(), model.parameters()))


def test_averaged_model_refuses_two_averaging_functions():
    with pytest.raises(ValueError, match="avg_fn or multi_avg_fn"):
        swa.AveragedModel(_model(st), avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="decay"):
        swa.get_ema_multi_avg_fn(1.5)


def _lrs(lib, strategy, anneal_epochs, swa_lr, epochs=14, swa_start=5):
    w = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    opt = lib.optim.SGD([{"params": [w[0]]}, {"params": [w[1]], "lr": 0.3}], lr=1.0, momentum=0.9)
    main = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    sched = lib.optim.swa_utils.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    out = []
    for epoch in range(epochs):
        opt.step()
        if epoch >= swa_start:
            sched.step()
        else:
            main.step()
        out.append([g["lr"] for g in opt.param_groups])
    return out, sched


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3, 10])
@pytest.mark.parametrize("swa_lr", [0.05, [0.05, 0.01]])
def test_swalr_matches_torch(strategy, anneal_epochs, swa_lr):
    ours, sched = _lrs(st, strategy, anneal_epochs, swa_lr)
    theirs, tsched = _lrs(torch, strategy, anneal_epochs, swa_lr)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    sd = sched.state_dict()
    assert sd["anneal_epochs"] == anneal_epochs and sd["_step_count"] == tsched.state_dict()["_step_count"]


def test_swalr_state_dict_resumes():
    full, _ = _lrs(st, "cos", 4, 0.05, epochs=12, swa_start=0)
    w = st.zeros(2, requires_grad=True)
    opt = st.optim.SGD([w], lr=1.0)
    sched = swa.SWALR(opt, swa_lr=0.05, anneal_epochs=4)
    for _ in range(5):
        sched.step()
    sd = sched.state_dict()
    opt2 = st.optim.SGD([w], lr=1.0)
    sched2 = swa.SWALR(opt2, swa_lr=0.05, anneal_epochs=4)
    sched2.load_state_dict(sd)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    sched.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_swalr_bad_arguments():
    opt = st.optim.SGD([st.zeros(2, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa.SWALR(opt, swa_lr=0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr"):
        swa.SWALR(opt, swa_lr=[0.1, 0.2])


class TinyBatchNorm(st.nn.Module):
    """Batch norm over dim 0 written for this test with torch's running-statistics rules:
    unbiased batch variance into running_var, momentum None = cumulative average."""

    def __init__(self, n, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.weight = st.nn.Parameter(st.ones(n))
        self.bias = st.nn.Parameter(st.zeros(n))
        self.register_buffer("running_mean", st.zeros(n))
        self.register_buffer("running_var", st.ones(n))
        self.register_buffer("num_batches_tracked", st.tensor(0, dtype=st.int64))

    def reset_running_stats(self):
        self.running_mean.zero_()
        self.running_var.fill_(1.0)
        self.num_batches_tracked.zero_()

    def forward(self, x):
        if self.training:
            self.num_batches_tracked.add_(1)
            f = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
            mean, var = x.mean(0), x.var(0, unbiased=False)
            n = x.shape[0]
            with st.no_grad():
                self.running_mean.mul_(1 - f).add_(mean.detach() * f)
                self.running_var.mul_(1 - f).add_(var.detach() * (n / (n - 1)) * f)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / (var + 1e-5).sqrt() * self.weight + self.bias


def _bn_model(lib, real_bn=False):
    if lib is torch:
        bn = torch.nn.BatchNorm1d(6)
    elif real_bn:
        bn = st.nn.BatchNorm1d(6)
    else:
        bn = TinyBatchNorm(6)
    m = lib.nn.Sequential(lib.nn.Linear(4, 6), bn, lib.nn.ReLU(), lib.nn.Linear(6, 2))
    sd = {k: lib.tensor(v.copy()) for k, v in _weights().items()}
    sd = {"0.weight": sd["0.weight"], "0.bias": sd["0.bias"], "3.weight": sd["2.weight"], "3.bias": sd["2.bias"]}
    m.load_state_dict(sd, strict=False)
    return m


@pytest.mark.parametrize("real_bn", [False, True], ids=["test-module", "nn.BatchNorm1d"])
def test_update_bn_matches_torch(real_bn):
    if real_bn and not hasattr(st.nn, "BatchNorm1d"):
        pytest.skip("st.nn.BatchNorm1d is not in this build")
    rng = np.random.RandomState(4)
    batches = [rng.randn(8, 4).astype(np.float32) * 2 + 1 for _ in range(5)]
    got = {}
    for lib in (st, torch):
        model = _bn_model(lib, real_bn)
        model.eval()
        data = [(lib.tensor(b), lib.zeros(8)) for b in batches]   # (input, target) pairs, as a loader yields
        with lib.no_grad():
            model(lib.tensor(batches[0]))
        lib.optim.swa_utils.update_bn(data, model)
        bn = model[1]
        assert not model.training and bn.momentum == 0.1          # mode and momentum restored
        got[lib.__name__] = (bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                             int(bn.num_batches_tracked.item()))
    (m1, v1, n1), (m2, v2, n2) = got["steepest"], got["torch"]
    assert n1 == n2 == 5
    np.testing.assert_allclose(m1, m2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v1, v2, rtol=1e-5, atol=1e-6)
    # momentum None over equal batches: the plain mean of the batch statistics (float64)
    h = [b @ _weights()["0.weight"].T.astype(np.float64) + _weights()["0.bias"] for b in batches]
    np.testing.assert_allclose(m1, np.mean([x.mean(0) for x in h], axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(v1, np.mean([x.var(0, ddof=1) for x in h], axis=0), rtol=1e-5, atol=1e-5)


def test_update_bn_without_batch_norm_does_nothing():
    class Untouchable:
        def __iter__(self):
            raise AssertionError("update_bn read the loader of a model without batch norm")

    model = _model(st)
    swa.update_bn(Untouchable(), model)
    assert model.training


def _ema_reference(snaps, decay, warmup):
    avg = snaps[0].copy()
    for n, s in enumerate(snaps[1:]):
        d = min(decay, (1 + n) / (10 + n)) if warmup else decay
        avg = d * avg + (1 - d) * s
    return avg


@pytest.mark.parametrize("warmup", [False, True])
def test_exponential_moving_average(warmup):
    rng = np.random.RandomState(5)
    p = st.nn.Parameter(st.tensor(rng.randn(3, 4).astype(np.float32)))
    q = st.nn.Parameter(st.tensor(rng.randn(5).astype(np.float32)))
    ema = swa.ExponentialMovingAverage([p, q], decay=0.9, warmup=warmup)
    snaps = [[p.detach().numpy().astype(np.float64).copy(), q.detach().numpy().astype(np.float64).copy()]]
    for _ in range(30):
        with st.no_grad():
            p.add_(st.tensor(rng.randn(3, 4).astype(np.float32)))
            q.mul_(0.9)
        ema.update()
        snaps.append([p.detach().numpy().astype(np.float64).copy(), q.detach().numpy().astype(np.float64).copy()])
    live = [p.detach().numpy().copy(), q.detach().numpy().copy()]
    with ema.average_parameters():
        for i, t in enumerate((p, q)):
            np.testing.assert_allclose(t.detach().numpy(), _ema_reference([s[i] for s in snaps], 0.9, warmup),
                                       rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(p.detach().numpy(), live[0])
    np.testing.assert_array_equal(q.detach().numpy(), live[1])
    sd = ema.state_dict()
    other = swa.ExponentialMovingAverage([p, q], decay=0.5)
    other.load_state_dict(sd)
    assert other.decay == 0.9 and other.num_updates == 30 and other.current_decay() == ema.current_decay()
    np.testing.assert_array_equal(other.shadow[0].numpy(), ema.shadow[0].numpy())
    ema.apply()
    with pytest.raises(RuntimeError, match="already applied"):
        ema.apply()
    ema.restore()
    with pytest.raises(RuntimeError, match="nothing to restore"):
        ema.restore()
    with pytest.raises(ValueError, match="2 params tracked"):
        other.load_state_dict({"decay": 0.9, "num_updates": 1, "shadow": [st.zeros(3, 4)]})
