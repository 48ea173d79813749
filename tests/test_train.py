"""Tests of st.train: fit reaches a real accuracy on digits, resumes bit for bit, reports
non-finite values by step and parameter name, accumulates, clips, schedules, stops early,
logs JSONL, finds a learning rate, flags gradient norms and loss spikes, and plots."""
import gzip
import json
import math
import os
import sys
import warnings

import numpy as np
import pytest

import steepest as st
from steepest import nn
from steepest.nn import functional as F

# The copy of the UCI digits that ships inside the package (read here with numpy, not the loader).
DIGITS = os.path.join(os.path.dirname(st.__file__), "datasets", "data", "digits.csv.gz")


# ---------------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def digits():
    """(X_train, y_train, X_test, y_test): the 1797 UCI digits, pixels scaled to [0, 1], a fixed
    1437 / 360 split."""
    with gzip.open(DIGITS, "rt") as f:
        a = np.loadtxt(f, delimiter=",")
    X = (a[:, :64] / 16.0).astype(np.float32)
    y = a[:, 64].astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(X))
    tr, te = perm[:1437], perm[1437:]
    return X[tr], y[tr], X[te], y[te]


def loader(X, y, batch_size=32, shuffle=False, seed=None):
    gen = st.Generator().manual_seed(seed) if seed is not None else None
    return st.data.DataLoader(st.data.TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle, generator=gen)


def mlp(dropout=0.0, hidden=128):
    layers = [nn.Linear(64, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 10))
    return nn.Sequential(*layers)


def params_np(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def small_data(n=64, seed=0, d=64, classes=10):
    r = np.random.default_rng(seed)
    return r.random((n, d), dtype=np.float32), r.integers(0, classes, n).astype(np.int64)


class NanAt(nn.Module):
    """Multiplies its input by nan on its `at`-th forward call (1-based)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, 0

    def forward(self, x):
        self.calls += 1
        return x * float("nan") if self.calls == self.at else x


class NanGradAt(nn.Module):
    """The identity in the forward pass; on its `at`-th call the gradient through it is nan
    (where(true, x, x * nan) passes x, but backward adds 0 * nan)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, 0

    def forward(self, x):
        self.calls += 1
        if self.calls != self.at:
            return x
        return st.where(st.ones(list(x.shape), dtype=st.bool), x, x * float("nan"))


class Recorder:
    """A callback keeping what fit shows it."""

    def __init__(self):
        self.steps, self.epochs, self.params, self.grads = [], [], [], []

    def on_after_backward(self, state):
        self.grads.append((state.step, {n: np.linalg.norm(p.grad.numpy().astype(np.float64))
                                        for n, p in state.named_params if p.grad is not None}))

    def on_step_end(self, state):
        self.steps.append((state.step, state.skipped, state.loss))
        self.params.append(params_np(state.model))

    def on_epoch_end(self, state):
        self.epochs.append(dict(state.epoch_record))


# ------------------------------------------------------------------------- the main story
def test_fit_digits_reaches_95_percent(digits):
    Xtr, ytr, Xte, yte = digits
    st.manual_seed(0)
    model = mlp()
    opt = st.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    hist = st.train.fit(model, opt, loader(Xtr, ytr, 32, shuffle=True, seed=1), epochs=12,
                        val_data=loader(Xte, yte, 256), metrics={"accuracy": st.train.accuracy}, progress=False)
    # Accuracy by an independent numpy argmax over the test logits.
    model.eval()
    with st.no_grad():
        logits = model(st.tensor(Xte)).numpy()
    acc = float((logits.argmax(1) == yte).mean())
    assert acc >= 0.95, acc
    assert hist.epochs[-1]["val_accuracy"] == pytest.approx(acc, abs=1e-12)
    assert len(hist.epochs) == 12 and hist.epochs[-1]["steps"] == 12 * math.ceil(len(Xtr) / 32)
    assert hist.epochs[-1]["train_loss"] < hist.epochs[0]["train_loss"]
    assert hist.best["val_loss"] == min(e["val_loss"] for e in hist.epochs)
    assert not hist.stopped_early and hist.skipped_steps == 0


def test_evaluate_and_accuracy_match_numpy():
    X, y = small_data(50, seed=3)
    st.manual_seed(2)
    model = mlp(hidden=16)
    res = st.train.evaluate(model, loader(X, y, 7), F.cross_entropy, {"accuracy": st.train.accuracy})
    with st.no_grad():
        z = model(st.tensor(X)).numpy().astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert res["loss"] == pytest.approx(-logp[np.arange(50), y].mean(), rel=1e-5)
    assert res["accuracy"] == pytest.approx((z.argmax(1) == y).mean(), abs=1e-12)
    # binary scores and one-hot targets
    s = np.array([-1.0, 2.0, 0.5, -0.1], np.float32)
    assert st.train.accuracy(st.tensor(s), st.tensor(np.array([0, 1, 0, 0]))) == 0.75
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1]]
    scores = np.array([[3, 0, 0], [0, 0, 1], [0, 0, 1]], np.float32)
    assert st.train.accuracy(st.tensor(scores), st.tensor(onehot)) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="predictions but"):
        st.train.accuracy(st.tensor(scores), st.tensor(np.array([0, 1])))


# ------------------------------------------------------------------------------ checkpoints
def _resume_run(tmp_path, X, y, epochs, own_generator, name, callbacks=(), resume=False):
    st.manual_seed(123)
    model = mlp(dropout=0.3, hidden=32)
    opt = st.optim.AdamW(model.parameters(), lr=2e-3)
    sched = st.optim.lr_scheduler.warmup_cosine(opt, warmup_steps=5, total_steps=4 * 8)
    data = loader(X, y, 16, shuffle=True, seed=7 if own_generator else None)
    hist = st.train.fit(model, opt, data, epochs=epochs, val_data=loader(X[:40], y[:40], 20), scheduler=sched,
                        checkpoint=tmp_path / name, resume=resume, progress=False, log_every=3,
                        callbacks=callbacks)
    return model, opt, hist


class _Interrupt(Exception):
    pass


class _InterruptAt:
    def __init__(self, step):
        self.step = step

    def on_step_end(self, state):
        if state.step == self.step:
            raise _Interrupt


@pytest.mark.parametrize("own_generator", [True, False])
def test_resume_equals_uninterrupted_bit_for_bit(tmp_path, own_generator):
    X, y = small_data(128, seed=5)  # 8 batches of 16 per epoch
    full_model, full_opt, full_hist = _resume_run(tmp_path, X, y, 4, own_generator, "full.st")
    # Interrupted in the middle of epoch 2 (step 21 of 32): the checkpoint holds epochs 0 and 1.
    with pytest.raises(_Interrupt):
        _resume_run(tmp_path, X, y, 4, own_generator, "part.st", callbacks=(_InterruptAt(21),))
    assert st.load(tmp_path / "part.st")["epoch"] == 2
    # A fresh process would build everything anew; the seed differs to show nothing leaks through.
    st.manual_seed(999)
    model, opt, hist = _resume_run(tmp_path, X, y, 4, own_generator, "part.st", resume=True)
    a, b = params_np(full_model), params_np(model)
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    sa, sb = full_opt.state_dict()["state"], opt.state_dict()["state"]
    for i in sa:
        for k in sa[i]:
            assert np.array_equal(sa[i][k].numpy(), sb[i][k].numpy()), (i, k)
    assert [e["train_loss"] for e in hist.epochs] == [e["train_loss"] for e in full_hist.epochs]
    assert [e["val_loss"] for e in hist.epochs] == [e["val_loss"] for e in full_hist.epochs]
    assert opt.param_groups[0]["lr"] == full_opt.param_groups[0]["lr"]


def test_resume_random_streams_continue(tmp_path):
    X, y = small_data(64, seed=6)
    _resume_run(tmp_path, X, y, 2, True, "a.st")
    after_full = st.get_rng_state().numpy().copy()
    _resume_run(tmp_path, X, y, 1, True, "b.st")
    st.manual_seed(5)
    _resume_run(tmp_path, X, y, 2, True, "b.st", resume=True)
    assert np.array_equal(st.get_rng_state().numpy(), after_full)


def test_resume_of_finished_run_trains_no_more(tmp_path):
    X, y = small_data(64, seed=6)
    model, _, hist = _resume_run(tmp_path, X, y, 2, True, "c.st")
    before = params_np(model)
    model2, _, hist2 = _resume_run(tmp_path, X, y, 2, True, "c.st", resume=True)
    for k, v in before.items():
        assert np.array_equal(v, params_np(model2)[k])
    assert len(hist2.epochs) == 2 and hist2.epochs[-1]["train_loss"] == hist.epochs[-1]["train_loss"]


def test_resume_mismatch_is_explained(tmp_path):
    X, y = small_data(32)
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    st.train.fit(model, opt, loader(X, y, 16), checkpoint=tmp_path / "m.st", progress=False)
    sched = st.optim.lr_scheduler.StepLR(opt, 1)
    with pytest.raises(ValueError, match="without a scheduler"):
        st.train.fit(model, opt, loader(X, y, 16), scheduler=sched, checkpoint=tmp_path / "m.st", resume=True,
                     progress=False)
    st.save({"a": 1}, tmp_path / "other.st")
    with pytest.raises(ValueError, match="not a st.train checkpoint"):
        st.train.fit(model, opt, loader(X, y, 16), checkpoint=tmp_path / "other.st", resume=True, progress=False)


# ----------------------------------------------------------------------------- diagnostics
def test_nan_in_forward_raises_naming_step_and_parameter():
    X, y = small_data(128)
    st.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), NanAt(5), nn.Linear(16, 10))
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    before = None
    rec = Recorder()
    with pytest.raises(st.train.NonFiniteError) as ei:
        st.train.fit(model, opt, loader(X, y, 16), epochs=2, progress=False, callbacks=(rec,))
    e = ei.value
    assert isinstance(e, RuntimeError)
    assert e.step == 5 and e.param == "0.weight" and math.isnan(e.loss)
    assert "step 5" in str(e) and "'0.weight'" in str(e) and "loss is nan" in str(e)
    # the bad step was not taken: the weights are those after step 4, and finite
    before = rec.params[-1]
    assert [s for s, _, _ in rec.steps] == [1, 2, 3, 4]
    for k, v in params_np(model).items():
        assert np.array_equal(v, before[k]) and np.isfinite(v).all()


def test_nan_gradient_with_finite_loss_names_first_bad_parameter():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(16, 10)  # registered first, applied last: its grad stays finite
            self.gate = NanGradAt(3)
            self.body = nn.Linear(64, 16)

        def forward(self, x):
            return self.head(self.gate(F.relu(self.body(x))))

    X, y = small_data(64)
    st.manual_seed(0)
    model = Net()
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    with pytest.raises(st.train.NonFiniteError, match=r"step 3 .*loss [0-9.]+ is finite.*'body.weight'") as ei:
        st.train.fit(model, opt, loader(X, y, 8), progress=False)
    assert ei.value.param == "body.weight" and math.isfinite(ei.value.loss)


def test_nan_in_data_raises():
    X, y = small_data(64)
    X[40, 3] = np.nan  # batch 3 of 16 (step 3)
    st.manual_seed(0)
    model = mlp(hidden=8)
    with pytest.raises(st.train.NonFiniteError, match="step 3") as ei:
        st.train.fit(model, st.optim.SGD(model.parameters(), lr=0.1), loader(X, y, 16), progress=False)
    assert ei.value.param == "0.weight"


def test_on_nonfinite_skip_skips_the_step_and_continues():
    X, y = small_data(128)
    st.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), NanAt(5), nn.Linear(16, 10))
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    sched = st.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    rec = Recorder()
    with pytest.warns(RuntimeWarning, match="step 5.*'0.weight'.*skipped"):
        hist = st.train.fit(model, opt, loader(X, y, 16), epochs=2, scheduler=sched, on_nonfinite="skip",
                            progress=False, callbacks=(rec,))
    assert hist.skipped_steps == 1
    skips = [r for r in hist.records if r["type"] == "skipped_step"]
    assert len(skips) == 1 and skips[0]["step"] == 5 and skips[0]["param"] == "0.weight"
    assert [s for s, sk, _ in rec.steps if sk] == [5]
    assert len(rec.steps) == 16  # training went on through both epochs
    for k in rec.params[4]:  # step 5 left the weights as step 4 did
        assert np.array_equal(rec.params[4][k], rec.params[3][k])
        assert not np.array_equal(rec.params[5][k], rec.params[4][k])
    for v in params_np(model).values():
        assert np.isfinite(v).all()
    # neither the optimizer nor the scheduler stepped on the skipped step: 15 lr decays
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.9 ** 15, rel=1e-12)
    assert math.isfinite(hist.epochs[0]["train_loss"])


def test_grad_norms_recorded_match_numpy_and_flag_explosions():
    X, y = small_data(40 * 8, seed=1)
    batches = [(st.tensor(X[i:i + 8]), st.tensor(y[i:i + 8])) for i in range(0, len(X), 8)]
    batches[29] = (st.tensor(X[232:240] * 1e4), batches[29][1])  # step 30: inputs blown up
    st.manual_seed(0)
    model = mlp(hidden=16)
    opt = st.optim.SGD(model.parameters(), lr=1e-3)
    rec = Recorder()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        hist = st.train.fit(model, opt, batches, log_every=1, clip_grad_norm=1.0, progress=False, callbacks=(rec,))
    steps = {r["step"]: r for r in hist.records if r["type"] == "step"}
    assert len(steps) == 40
    for step, norms in rec.grads:  # the recorded norms against float64 numpy norms of the same grads
        assert steps[step]["grad_norms"].keys() == norms.keys()
        for name, n in norms.items():
            assert steps[step]["grad_norms"][name] == pytest.approx(n, rel=1e-5)
        assert steps[step]["grad_norm"] == pytest.approx(math.sqrt(sum(v * v for v in norms.values())), rel=1e-5)
    flags = [r for r in hist.records if r["type"] == "grad_flag"]
    assert flags and {r["step"] for r in flags} == {30}
    assert any(r["param"] == "0.weight" and r["flag"] == "exploding" for r in flags)
    spikes = [r for r in hist.records if r["type"] == "loss_spike"]
    assert [r["step"] for r in spikes] == [30] and spikes[0]["loss"] > 3 * spikes[0]["running_avg"]
    msgs = [str(x.message) for x in w]
    assert any("step 30" in m and "exploding" in m for m in msgs)
    assert any("step 30" in m and "loss spike" in m for m in msgs)


def test_grad_norm_monitor_thresholds_are_arguments():
    X, y = small_data(64)

    class Tiny(nn.Module):  # scales the first layer's output by 1e-9: its gradients vanish
        def forward(self, x):
            return x * 1e-9

    st.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), Tiny(), nn.Linear(16, 10))
    opt = st.optim.SGD(model.parameters(), lr=1e-3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        hist = st.train.fit(model, opt, loader(X, y, 16), log_every=2, progress=False)
    assert "step 2: gradient of '0.weight' is vanishing (norm" in str(w[0].message)
    assert len(w) == 6 and all(x.category is RuntimeWarning for x in w)
    flags = [r for r in hist.records if r["type"] == "grad_flag"]
    # 0.* sit behind the 1e-9 scale, 2.weight multiplies its 1e-9 outputs; 2.bias learns normally
    assert {r["param"] for r in flags} == {"0.weight", "0.bias", "2.weight"} and {r["step"] for r in flags} == {2, 4}
    # No flags with a vanishing threshold below those norms.
    mon = st.train.GradNormMonitor(vanishing=1e-30, exploding=1e30)
    hist = st.train.fit(model, opt, loader(X, y, 16), log_every=2, progress=False, grad_norms=mon)
    assert not [r for r in hist.records if r["type"] == "grad_flag"]
    # grad_norms=None: nothing tracked
    hist = st.train.fit(model, opt, loader(X, y, 16), log_every=2, progress=False, grad_norms=None)
    assert all("grad_norms" not in r for r in hist.records)
    with pytest.raises(ValueError, match="vanishing"):
        st.train.GradNormMonitor(vanishing=-1)


# --------------------------------------------------------------------- step mechanics
@pytest.mark.parametrize("n", [64, 40])  # 40: the epoch ends with one micro-batch of a group of 4
def test_accumulation_equals_one_big_batch(n):
    X, y = small_data(n, seed=2)
    st.manual_seed(4)
    a = mlp(hidden=16)
    b = mlp(hidden=16)
    b.load_state_dict(a.state_dict())
    opt_a = st.optim.SGD(a.parameters(), lr=0.5, momentum=0.9)
    opt_b = st.optim.SGD(b.parameters(), lr=0.5, momentum=0.9)
    ha = st.train.fit(a, opt_a, loader(X, y, 8), epochs=2, accumulate=4, progress=False)
    # The same samples as 32-sample batches (and 8 at the tail of n=40): one micro-batch per step.
    hb = st.train.fit(b, opt_b, loader(X, y, 32), epochs=2, progress=False)
    assert ha.epochs[-1]["steps"] == hb.epochs[-1]["steps"] == 2 * math.ceil(n / 32)
    pa, pb = params_np(a), params_np(b)
    for k in pa:
        np.testing.assert_allclose(pa[k], pb[k], rtol=2e-5, atol=1e-6)
    assert ha.epochs[0]["train_loss"] == pytest.approx(hb.epochs[0]["train_loss"], rel=1e-5)


def test_clip_grad_norm_is_applied():
    r = np.random.default_rng(0)
    X = r.standard_normal((16, 5)).astype(np.float32)
    Y = r.standard_normal((16, 3)).astype(np.float32)
    model = nn.Linear(5, 3)
    W0 = model.weight.detach().numpy().astype(np.float64).copy()
    b0 = model.bias.detach().numpy().astype(np.float64).copy()
    opt = st.optim.SGD(model.parameters(), lr=1.0)
    hist = st.train.fit(model, opt, [(st.tensor(X), st.tensor(Y))], loss_fn=F.mse_loss, clip_grad_norm=0.01,
                        log_every=1, progress=False)
    # float64 gradient of mean((X W^T + b - Y)^2)
    R = X.astype(np.float64) @ W0.T + b0 - Y
    gW, gb = 2 * R.T @ X / R.size, 2 * R.sum(0) / R.size
    norm = math.sqrt((gW ** 2).sum() + (gb ** 2).sum())
    assert norm > 0.01 * 10
    assert hist.records[0]["grad_norm"] == pytest.approx(norm, rel=1e-5)  # logged before clipping
    coef = 0.01 / (norm + 1e-6)
    np.testing.assert_allclose(model.weight.detach().numpy(), W0 - coef * gW, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.bias.detach().numpy(), b0 - coef * gb, rtol=1e-5, atol=1e-7)


def test_early_stopping_stops():
    X, y = small_data(32)
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.SGD(model.parameters(), lr=0.0)  # nothing changes: val_loss never improves
    es = st.train.EarlyStopping(monitor="val_loss", patience=2)
    hist = st.train.fit(model, opt, loader(X, y, 16), epochs=10, val_data=loader(X, y, 16), early_stopping=es,
                        progress=False)
    assert hist.stopped_early and len(hist.epochs) == 3  # epoch 0 sets the best, 1 and 2 use the patience
    assert [r for r in hist.records if r["type"] == "early_stop"][0]["best_epoch"] == 0
    assert hist.best["epoch"] == 0
    # Improving training does not stop (mode "max" on accuracy with a tolerance of 0 is never
    # exhausted by a rising value).
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.SGD(model.parameters(), lr=0.5)
    es = st.train.EarlyStopping(monitor="train_loss", patience=1, mode="min")
    hist = st.train.fit(model, opt, loader(X, y, 8), epochs=4, early_stopping=es, progress=False)
    losses = [e["train_loss"] for e in hist.epochs]
    assert all(b < a for a, b in zip(losses, losses[1:])) and not hist.stopped_early


@pytest.mark.parametrize("interval", ["step", "epoch"])
def test_scheduler_stepped_per_step_or_epoch(interval):
    X, y = small_data(48)
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    sched = st.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    hist = st.train.fit(model, opt, loader(X, y, 16), epochs=2, scheduler=sched, scheduler_interval=interval,
                        log_every=1, progress=False)
    n = 6 if interval == "step" else 2
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** n, rel=1e-12)
    steps = [r for r in hist.records if r["type"] == "step"]
    for r in steps:  # the lr each step used
        k = r["step"] - 1 if interval == "step" else r["epoch"]
        assert r["lr"] == pytest.approx(0.1 * 0.5 ** k, rel=1e-12)


def test_reduce_on_plateau_gets_val_loss():
    seen = []

    class Spy(st.optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            seen.append(metrics)
            super().step(metrics, epoch)

    X, y = small_data(48)
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    hist = st.train.fit(model, opt, loader(X, y, 16), epochs=3, val_data=loader(X[:20], y[:20], 10),
                        scheduler=Spy(opt), progress=False)
    assert seen == [e["val_loss"] for e in hist.epochs]


def test_metrics_out_jsonl_parses(tmp_path):
    X, y = small_data(64)
    st.manual_seed(0)
    model = mlp(hidden=8)
    path = tmp_path / "m.jsonl"
    hist = st.train.fit(model, st.optim.Adam(model.parameters()), loader(X, y, 8), epochs=2,
                        val_data=loader(X, y, 32), metrics={"accuracy": st.train.accuracy}, metrics_out=path,
                        log_every=3, progress=False)
    lines = path.read_text().splitlines()
    recs = [json.loads(line) for line in lines]
    assert len(recs) == len(hist.records)
    assert [r["type"] for r in recs].count("epoch") == 2
    assert [r["step"] for r in recs if r["type"] == "step"] == [3, 6, 9, 12, 15]
    ep = [r for r in recs if r["type"] == "epoch"]
    assert ep[1]["val_accuracy"] == pytest.approx(hist.epochs[1]["val_accuracy"])
    assert {"loss", "lr", "samples_per_s", "grad_norm", "grad_norms"} <= set(recs[0])
    out = hist.to_json(tmp_path / "h.json")
    doc = json.loads(open(out).read())
    assert doc["best"] == json.loads(json.dumps(hist.best)) and len(doc["epochs"]) == 2


def test_max_steps_callbacks_and_stop_training():
    X, y = small_data(64)
    st.manual_seed(0)
    model = mlp(hidden=8)
    rec = Recorder()
    hist = st.train.fit(model, st.optim.SGD(model.parameters(), lr=0.1), loader(X, y, 8), epochs=5, max_steps=11,
                        progress=False, callbacks=(rec,))
    assert [s for s, _, _ in rec.steps] == list(range(1, 12))
    assert [e["steps"] for e in hist.epochs] == [8, 11] and len(rec.epochs) == 2

    class StopAfterFirst:
        def on_epoch_end(self, state):
            state.stop_training = True

    hist = st.train.fit(model, st.optim.SGD(model.parameters(), lr=0.1), loader(X, y, 8), epochs=5, progress=False,
                        callbacks=(StopAfterFirst(),))
    assert len(hist.epochs) == 1 and hist.stopped_early


def test_progress_bar_is_silent_without_a_terminal(capfd):
    X, y = small_data(32)
    st.manual_seed(0)
    model = mlp(hidden=8)
    st.train.fit(model, st.optim.SGD(model.parameters(), lr=0.1), loader(X, y, 8), epochs=2, progress=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# ------------------------------------------------------------------------------- lr_find
def test_lr_find_on_digits(digits):
    Xtr, ytr, _, _ = digits
    st.manual_seed(0)
    model = mlp()
    opt = st.optim.AdamW(model.parameters(), lr=1e-3)
    data = loader(Xtr, ytr, 32, shuffle=True, seed=3)
    before = params_np(model)
    rng_before = st.get_rng_state().numpy().copy()
    gen_before = data.generator.get_state().numpy().copy()
    res = st.train.lr_find(model, opt, data, F.cross_entropy, num_iter=100)
    assert res.diverged and len(res.lrs) < 100
    assert 1e-4 <= res.suggestion <= 1.0, res.suggestion
    # an exponential sweep: constant ratio between rates, from start_lr
    ratios = np.array(res.lrs[1:]) / np.array(res.lrs[:-1])
    np.testing.assert_allclose(ratios, (10 / 1e-7) ** (1 / 99), rtol=1e-9)
    assert res.lrs[0] == pytest.approx(1e-7)
    # The suggestion follows the documented rule, checked with a plain finite-difference slope.
    m = int(np.argmin(res.smoothed))
    x = np.log10(res.lrs[:m + 1])
    s = np.asarray(res.smoothed[:m + 1])
    slope = np.empty_like(s)
    slope[1:-1] = (s[2:] - s[:-2]) / (x[2:] - x[:-2])
    slope[0], slope[-1] = (s[1] - s[0]) / (x[1] - x[0]), (s[-1] - s[-2]) / (x[-1] - x[-2])
    assert res.suggestion == res.lrs[int(np.argmin(slope))]
    # everything restored
    for k, v in params_np(model).items():
        assert np.array_equal(v, before[k])
    assert opt.state_dict()["state"] == {} and opt.param_groups[0]["lr"] == 1e-3
    assert np.array_equal(st.get_rng_state().numpy(), rng_before)
    assert np.array_equal(data.generator.get_state().numpy(), gen_before)
    assert "suggestion" in repr(res)


def test_lr_find_restores_optimizer_state():
    X, y = small_data(64)
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.Adam(model.parameters(), lr=1e-3)
    st.train.fit(model, opt, loader(X, y, 16), progress=False)
    sd = {i: {k: v.numpy().copy() for k, v in s.items()} for i, s in opt.state_dict()["state"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 20 points may be too few for a suggestion
        st.train.lr_find(model, opt, loader(X, y, 16), num_iter=20)
    for i, s in opt.state_dict()["state"].items():
        for k, v in s.items():
            assert np.array_equal(v.numpy(), sd[i][k])


# --------------------------------------------------------------------------------- plots
PNG = b"\x89PNG\r\n\x1a\n"


def test_plots_are_png(tmp_path):
    """With matplotlib when it is installed, else with the built-in writer."""
    X, y = small_data(64)
    st.manual_seed(0)
    model = mlp(hidden=8)
    opt = st.optim.Adam(model.parameters())
    hist = st.train.fit(model, opt, loader(X, y, 8), epochs=2, val_data=loader(X, y, 32),
                        metrics={"accuracy": st.train.accuracy}, log_every=2, progress=False)
    fresh = mlp(hidden=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random labels: maybe no clear descent, still a curve to draw
        res = st.train.lr_find(fresh, st.optim.Adam(fresh.parameters()), loader(X, y, 8), num_iter=60)
    paths = [hist.plot(tmp_path / "h.png"), st.train.plot_history(hist, tmp_path / "h2.png"),
             st.train.plot_grad_norms(hist, tmp_path / "g.png"), res.plot(tmp_path / "lr.png")]
    for p in paths:
        with open(p, "rb") as f:
            assert f.read(8) == PNG
        assert os.path.getsize(p) > 1000
    hist = st.train.fit(model, opt, loader(X, y, 8), grad_norms=None, progress=False)
    with pytest.raises(ValueError, match="no gradient norms"):
        st.train.plot_grad_norms(hist, tmp_path / "none.png")


def _png_size(path):
    """(width, height) from a PNG's IHDR, after checking the signature and every chunk's CRC."""
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == PNG
    pos, chunks = 8, []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        pos += 12 + n
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    w, h, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    assert (depth, color) == (8, 2) and len(raw) == h * (1 + 3 * w)
    return w, h, raw


def test_plot_without_matplotlib_draws_png(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    hist = st.train.History()
    for s in range(1, 21):
        hist.records.append({"type": "step", "step": s, "loss": 2.0 / s, "lr": 0.1})
    hist.records.append({"type": "epoch", "epoch": 0, "steps": 20, "train_loss": 0.3, "val_loss": 0.4,
                         "val_accuracy": 0.9, "lr": 0.1})
    w, h, raw = _png_size(hist.plot(tmp_path / "x.png"))
    assert w == 700 and h > 500  # three panels: loss, learning rate, the metric
    px = np.frombuffer(raw, np.uint8).reshape(h, 1 + 3 * w)[:, 1:].reshape(h, w, 3)
    assert (px != 255).any(axis=2).mean() > 0.01  # curves, axes and labels were drawn
    blue = (px[:, :, 0] < 80) & (px[:, :, 2] > 150)  # the first series' colour
    assert blue.sum() > 200


# ------------------------------------------------------------------------- bad arguments
def _bad_fit_cases():
    return [
        (dict(epochs=0), ValueError, "epochs must be a positive integer"),
        (dict(epochs=1.5), ValueError, "epochs"),
        (dict(accumulate=0), ValueError, "accumulate"),
        (dict(log_every=0), ValueError, "log_every"),
        (dict(max_steps=-1), ValueError, "max_steps"),
        (dict(scheduler_interval="batch"), ValueError, "scheduler_interval must be 'step' or 'epoch'"),
        (dict(on_nonfinite="ignore"), ValueError, "on_nonfinite must be 'raise' or 'skip'"),
        (dict(clip_grad_norm=0), ValueError, "clip_grad_norm must be a positive number"),
        (dict(grad_norms="all"), ValueError, "grad_norms must be"),
        (dict(resume=True), ValueError, "resume=True needs checkpoint"),
        (dict(metrics={"accuracy": st.train.accuracy}), ValueError, "metrics are evaluated on val_data"),
        (dict(metrics={"accuracy": 3}), TypeError, "metrics must map names"),
        (dict(early_stopping=st.train.EarlyStopping()), ValueError, "needs val_data"),
        (dict(early_stopping=st.train.EarlyStopping("val_f1"), val_data=[]), ValueError, "not an epoch value"),
        (dict(early_stopping="val_loss"), TypeError, "EarlyStopping"),
        (dict(loss_fn=3), TypeError, "loss_fn must be callable"),
        (dict(callbacks=(object(),)), TypeError, "has none of the methods"),
        (dict(seed="a"), TypeError, "seed"),
    ]


@pytest.mark.parametrize("kwargs,exc,match", _bad_fit_cases())
def test_fit_bad_arguments(kwargs, exc, match):
    X, y = small_data(16)
    model = mlp(hidden=4)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(exc, match=match):
        st.train.fit(model, opt, loader(X, y, 8), progress=False, **kwargs)


def test_fit_bad_data():
    X, y = small_data(16)
    model = mlp(hidden=4)
    opt = st.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="train_data must be a DataLoader"):
        st.train.fit(model, opt, 5, progress=False)
    with pytest.raises(TypeError, match="is an iterator"):
        st.train.fit(model, opt, iter(loader(X, y, 8)), progress=False)
    with pytest.raises(TypeError, match=r"\(inputs, targets\) pair, got a tuple of length 3"):
        st.train.fit(model, opt, [(st.tensor(X), st.tensor(y), st.tensor(y))], progress=False)
    with pytest.raises(ValueError, match="loss_fn must return a scalar"):
        st.train.fit(model, opt, loader(X, y, 8), loss_fn=lambda o, t: o, progress=False)
    with pytest.raises(TypeError, match="optimizer must be"):
        st.train.fit(model, "sgd", loader(X, y, 8), progress=False)
    other = st.optim.SGD(mlp(hidden=4).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="different optimizer"):
        st.train.fit(model, opt, loader(X, y, 8), scheduler=st.optim.lr_scheduler.StepLR(other, 1), progress=False)


@pytest.mark.parametrize("kwargs,match", [
    (dict(start_lr=0), "start_lr must be a positive"),
    (dict(end_lr=1e-8), "end_lr .* must be greater"),
    (dict(num_iter=1), "num_iter must be an integer >= 2"),
    (dict(smooth=1.5), "smooth must be in"),
    (dict(diverge_factor=1.0), "diverge_factor must be > 1"),
])
def test_lr_find_bad_arguments(kwargs, match):
    X, y = small_data(16)
    model = mlp(hidden=4)
    with pytest.raises(ValueError, match=match):
        st.train.lr_find(model, st.optim.SGD(model.parameters(), lr=0.1), loader(X, y, 8), **kwargs)


def test_early_stopping_bad_arguments():
    with pytest.raises(ValueError, match="patience"):
        st.train.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        st.train.EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="min_delta"):
        st.train.EarlyStopping(min_delta=-1)


def test_progress_bar_on_a_terminal_shows_loss_lr_and_rate(monkeypatch):
    import io

    class FakeTTY(io.StringIO):
        def isatty(self):
            return True

    err = FakeTTY()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", err)  # tqdm.write's epoch summaries
    X, y = small_data(64)
    st.manual_seed(0)
    model = mlp(hidden=8)
    st.train.fit(model, st.optim.SGD(model.parameters(), lr=0.1), loader(X, y, 8), epochs=2,
                 val_data=loader(X, y, 32), progress=True)
    text = err.getvalue()
    for part in ("epoch 1/2", "epoch 2/2", "8/8", "loss=", "lr=0.1", "samples/s=", "val_loss"):
        assert part in text, (part, text[-500:])
