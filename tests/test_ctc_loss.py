"""F.ctc_loss and nn.CTCLoss against torch on the same inputs (values and gradients, every
reduction, padded and concatenated targets, unbatched input, lengths as tensors or lists,
zero_infinity with impossible alignments, repeated labels, any blank), against a float64
sum over every alignment written here, float64 finite differences (gradcheck), every bad
argument's error, and a small model trained a few steps under both libraries."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
import steepest.nn.functional as F
from steepest.autograd import gradcheck

DT = {np.float32: (st.float32, torch.float32), np.float64: (st.float64, torch.float64)}


def tol(dt):
    return dict(rtol=2e-5, atol=2e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-11)


def log_probs(T, N, C, dt, seed=0):
    """Normalized log-probabilities (T, N, C) of random logits, in float64 then cast."""
    x = np.random.default_rng(seed).normal(size=(T, N, C)) * 2
    x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    return x.astype(dt)


def targets_of(lengths, C, blank, seed=1, S=None):
    """Padded (N, S) labels in [0, C) other than blank (padding is blank, as users often do)."""
    r = np.random.default_rng(seed)
    S = max(lengths, default=0) if S is None else S
    labels = [c for c in range(C) if c != blank]
    out = np.full((len(lengths), S), blank, np.int64)
    for b, k in enumerate(lengths):
        out[b, :k] = r.choice(labels, size=k)
    return out


def concat(padded, lengths):
    return np.concatenate([padded[b, :k] for b, k in enumerate(lengths)]).astype(np.int64)


def run_both(lp, tg, il, tl, dt, *, tensors=False, weights=None, **kw):
    """Loss and d(loss . w)/d log_probs under both libraries, as float64 numpy arrays."""
    sdt, tdt = DT[dt]
    x = st.from_numpy(lp.copy()).requires_grad_()
    y = torch.tensor(lp, requires_grad=True)
    if tensors:
        s_il, s_tl = st.from_numpy(np.asarray(il, np.int64)), st.from_numpy(np.asarray(tl, np.int64))
        t_il, t_tl = torch.tensor(il, dtype=torch.int64), torch.tensor(tl, dtype=torch.int64)
    else:
        s_il, s_tl, t_il, t_tl = list(il), list(tl), list(il), list(tl)
    ls = F.ctc_loss(x, st.from_numpy(tg), s_il, s_tl, **kw)
    lt = TF.ctc_loss(y, torch.tensor(tg), t_il, t_tl, **kw)
    w = np.ones(tuple(lt.shape)) if weights is None else weights
    (ls * st.from_numpy(w.astype(dt))).sum().backward()
    (lt * torch.tensor(w.astype(dt))).sum().backward()
    assert ls.dtype == sdt and tuple(ls.shape) == tuple(lt.shape)
    return (ls.detach().numpy().astype(np.float64), lt.detach().numpy().astype(np.float64),
            x.grad.numpy().astype(np.float64), y.grad.numpy().astype(np.float64))


def assert_both_close(got, want, dt):
    np.testing.assert_allclose(got, want, **tol(dt), equal_nan=True)


# ---------------- against torch ----------------

@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("tensors", [False, True])
def test_matches_torch(dt, reduction, layout, tensors):
    T, C, blank = 12, 6, 0
    tl = [3, 0, 5, 1]
    il = [12, 7, 10, 4]
    padded = targets_of(tl, C, blank, S=6)
    tg = padded if layout == "padded" else concat(padded, tl)
    w = np.random.default_rng(3).uniform(0.5, 2, size=len(tl)) if reduction == "none" else None
    ls, lt, gs, gt = run_both(log_probs(T, len(tl), C, dt), tg, il, tl, dt, tensors=tensors, weights=w,
                              reduction=reduction)
    assert_both_close(ls, lt, dt)
    assert_both_close(gs, gt, dt)
    assert np.all(gs[7:, 1] == 0) and np.all(gs[4:, 3] == 0)  # past each input length


@pytest.mark.parametrize("blank", [0, 2, 4])
def test_blank_anywhere_and_repeated_labels(blank):
    C = 5
    labels = [c for c in range(C) if c != blank]
    a, b = labels[0], labels[1]
    # Repeats need a blank between them: [a, a, a] takes 5 frames, [a, b, a, b] takes 4.
    tg = np.array([[a, a, a, 0], [a, b, a, b], [b, b, a, a]], np.int64)
    tl, il = [3, 4, 4], [5, 4, 8]
    for reduction in ("none", "mean", "sum"):
        ls, lt, gs, gt = run_both(log_probs(8, 3, C, np.float64), tg, il, tl, np.float64, blank=blank,
                                  reduction=reduction)
        assert np.all(np.isfinite(ls))
        assert_both_close(ls, lt, np.float64)
        assert_both_close(gs, gt, np.float64)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("lengths", ["tensor0d", "list", "int", "tensor1d"])
def test_unbatched(reduction, lengths):
    T, C = 9, 4
    lp = log_probs(T, 1, C, np.float64)[:, 0]
    tg = np.array([1, 3, 3], np.int64)
    x = st.from_numpy(lp.copy()).requires_grad_()
    y = torch.tensor(lp, requires_grad=True)
    lt = TF.ctc_loss(y, torch.tensor(tg), torch.tensor(T), torch.tensor(3), reduction=reduction)
    il, tl = {"tensor0d": (st.tensor(T), st.tensor(3)), "list": ([T], [3]), "int": (T, 3),
              "tensor1d": (st.tensor([T]), st.tensor([3]))}[lengths]
    ls = F.ctc_loss(x, st.from_numpy(tg), il, tl, reduction=reduction)
    assert tuple(ls.shape) == tuple(lt.shape) == ()
    ls.backward()
    lt.backward()
    assert_both_close(ls.item(), lt.item(), np.float64)
    assert_both_close(x.grad.numpy(), y.grad.numpy(), np.float64)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignments(reduction, zero_infinity):
    # Sequence 0: target longer than its input; 1: repeats need more frames than it has;
    # 2: a possible one; 3: no input at all for a non-empty target; 4: empty input and target.
    tg = np.array([[1, 2, 3, 1], [2, 2, 2, 0], [1, 2, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]], np.int64)
    tl, il = [4, 3, 2, 1, 0], [3, 4, 6, 0, 0]
    w = np.arange(1.0, 6.0) if reduction == "none" else None
    ls, lt, gs, gt = run_both(log_probs(6, 5, 4, np.float64), tg, il, tl, np.float64, weights=w,
                              reduction=reduction, zero_infinity=zero_infinity)
    assert_both_close(ls, lt, np.float64)
    assert_both_close(gs, gt, np.float64)
    if zero_infinity:
        assert np.all(np.isfinite(ls)) and np.all(np.isfinite(gs))
        assert np.all(gs[:, [0, 1, 3, 4]] == 0)
    elif reduction == "none":
        assert np.isinf(ls[[0, 1, 3]]).all() and ls[4] == 0


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@settings(max_examples=25, deadline=None)
@given(data=hs.data())
def test_hypothesis_shapes(dt, data):
    T = data.draw(hs.integers(1, 14), label="T")
    N = data.draw(hs.integers(1, 5), label="N")
    C = data.draw(hs.integers(2, 7), label="C")
    blank = data.draw(hs.integers(0, C - 1), label="blank")
    il = data.draw(hs.lists(hs.integers(0, T), min_size=N, max_size=N), label="input_lengths")
    tl = data.draw(hs.lists(hs.integers(0, 6), min_size=N, max_size=N), label="target_lengths")
    S = max(tl) + data.draw(hs.integers(0, 2), label="extra columns")
    padded = targets_of(tl, C, blank, seed=data.draw(hs.integers(0, 99), label="seed"), S=S)
    layout = data.draw(hs.sampled_from(["padded", "concatenated"]), label="layout")
    reduction = data.draw(hs.sampled_from(["none", "mean", "sum"]), label="reduction")
    zi = data.draw(hs.booleans(), label="zero_infinity")
    tg = padded if layout == "padded" else concat(padded, tl)
    ls, lt, gs, gt = run_both(log_probs(T, N, C, dt, seed=T * 31 + N), tg, il, tl, dt, blank=blank,
                              reduction=reduction, zero_infinity=zi)
    assert_both_close(ls, lt, dt)
    assert_both_close(gs, gt, dt)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_long_sequences_over_threads(zero_infinity):
    # Enough work for the kernel to hand the sequences to several threads; one is impossible.
    T, C = 120, 12
    tl, il = [30, 0, 25, 40, 12, 33], [120, 50, 100, 120, 30, 20]
    w = np.random.default_rng(4).uniform(0.5, 2, size=len(tl))
    ls, lt, gs, gt = run_both(log_probs(T, len(tl), C, np.float64), targets_of(tl, C, 0), il, tl, np.float64,
                              weights=w, reduction="none", zero_infinity=zero_infinity)
    assert_both_close(ls, lt, np.float64)
    assert_both_close(gs, gt, np.float64)


# ---------------- against a sum over every alignment ----------------

def brute_force_nll(lp, target, blank):
    """-log of the summed probability of every frame labelling that collapses (merge repeats,
    drop blanks) to target: float64, exhaustive."""
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != blank] == list(target):
            total += math.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


@pytest.mark.parametrize("target,T,blank", [([1, 2], 4, 0), ([1, 1], 5, 0), ([2], 3, 1), ([], 3, 0),
                                            ([1, 0, 1], 6, 2), ([1, 1, 1], 4, 0)])
def test_matches_every_alignment(target, T, blank):
    lp = log_probs(T, 1, 3, np.float64, seed=len(target) + T)[:, 0]
    got = F.ctc_loss(st.from_numpy(lp.copy()), st.tensor(target if target else [0], dtype=st.int64)[:len(target)],
                     [T], [len(target)], blank=blank, reduction="none").item()
    want = brute_force_nll(lp, target, blank)
    assert (got == want == math.inf) or math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


# ---------------- finite differences ----------------

@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_gradcheck_through_log_softmax(reduction, layout):
    # torch's gradient is the logits' gradient of a log_softmax feeding the loss, so finite
    # differences are taken through one (it is unchanged by that log_softmax's backward).
    tl, il = [2, 3, 0], [5, 6, 3]
    padded = targets_of(tl, 4, 0, S=3)
    tg = st.from_numpy(padded if layout == "padded" else concat(padded, tl))
    x = st.from_numpy(np.random.default_rng(5).normal(size=(6, 3, 4))).requires_grad_()
    assert gradcheck(lambda a: F.ctc_loss(F.log_softmax(a, -1), tg, il, tl, reduction=reduction), (x,))


def test_gradcheck_zero_infinity():
    tg = st.tensor([[1, 2, 1], [2, 2, 0]])
    x = st.from_numpy(np.random.default_rng(6).normal(size=(4, 2, 3))).requires_grad_()
    f = lambda a: F.ctc_loss(F.log_softmax(a, -1), tg, [2, 4], [3, 1], zero_infinity=True, reduction="sum")  # noqa: E731
    assert gradcheck(f, (x,))
    f(x).backward()
    assert np.all(x.grad.numpy()[:, 0] == 0)


# ---------------- module ----------------

def test_module_matches_functional():
    lp = st.from_numpy(log_probs(7, 2, 5, np.float32))
    tg = st.tensor([[1, 4, 2], [3, 3, 0]])
    m = st.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    assert m(lp, tg, [7, 6], [3, 2]).item() == F.ctc_loss(lp, tg, [7, 6], [3, 2], reduction="sum",
                                                          zero_infinity=True).item()
    ref = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    want = ref(torch.tensor(lp.numpy()), torch.tensor(tg.numpy()), [7, 6], [3, 2]).item()
    assert math.isclose(m(lp, tg, [7, 6], [3, 2]).item(), want, rel_tol=2e-6)
    with pytest.raises(ValueError, match="reduction"):
        st.nn.CTCLoss(reduction="avg")


# ---------------- bad input ----------------

def call(lp=None, tg=None, il=(6, 6), tl=(2, 2), **kw):
    lp = st.from_numpy(log_probs(6, 2, 4, np.float32)) if lp is None else lp
    tg = st.tensor([[1, 2], [3, 1]]) if tg is None else tg
    return F.ctc_loss(lp, tg, il, tl, **kw)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(il=(6, 7)), ValueError, "input_lengths to have value at most 6"),
    (dict(il=(6, -1)), ValueError, "input_lengths to have value at least 0"),
    (dict(tl=(2, -1)), ValueError, "target_lengths to have value at least 0"),
    (dict(tl=(2, 3)), ValueError, "at least max\\(target_lengths\\) = 3 columns"),
    (dict(tl=(2, 5)), ValueError, "target_lengths\\[1\\] = 5 exceeds the 4 labels"),
    (dict(il=(6, 6, 6)), ValueError, "input_lengths must be of size batch_size \\(2\\)"),
    (dict(tl=(2,)), ValueError, "target_lengths must be of size batch_size \\(2\\)"),
    (dict(blank=4), ValueError, "blank must be in label range \\[0, 4\\)"),
    (dict(blank=-1), ValueError, "blank must be in label range"),
    (dict(tg=st.tensor([[1, 2], [3, 4]])), IndexError, "target label 4 \\(sequence 1, position 1\\) is out of bounds"),
    (dict(tg=st.tensor([[1, -2], [3, 1]])), IndexError, "target label -2 \\(sequence 0, position 1\\)"),
    (dict(tg=st.tensor([[1, 0], [3, 1]])), ValueError, "target label 0 \\(sequence 0, position 1\\) is the blank"),
    (dict(tg=st.tensor([[1, 2], [3, 1]]), blank=3), ValueError, "is the blank label"),
    (dict(tg=st.tensor([1, 2, 3])), ValueError, "sum\\(target_lengths\\) = 4 labels"),
    (dict(tg=st.tensor([[1, 2], [3, 1], [1, 1]])), ValueError, "batch_size \\(2\\) rows"),
    (dict(tg=st.tensor([[[1, 2], [3, 1]]])), ValueError, "expected targets of shape"),
    (dict(tg=st.tensor([[1.0, 2.0], [3.0, 1.0]])), TypeError, "targets to be an int64 or int32"),
    (dict(tg=st.tensor([[True, False], [True, True]])), TypeError, "targets to be an int64 or int32"),
    (dict(lp=st.zeros(6, 2, 4, dtype=st.int64)), TypeError, "log_probs to be a floating-point"),
    (dict(lp=st.zeros(6, 2, 4, dtype=st.bfloat16)), TypeError, "float32 or float64"),
    (dict(lp=st.zeros(6, 2, 4, 1)), ValueError, "expected log_probs of shape \\(T, N, C\\)"),
    (dict(lp=st.zeros(6)), ValueError, "expected log_probs of shape"),
    (dict(lp=st.zeros(0, 2, 4), il=(0, 0), tl=(0, 0)), ValueError, "log_probs tensor must not be empty"),
    (dict(lp=st.zeros(6, 0, 4), il=(), tl=(), tg=st.zeros(0, 2, dtype=st.int64)), ValueError, "must not be empty"),
    (dict(reduction="avg"), ValueError, "reduction"),
    (dict(il=st.tensor([6.0, 6.0]), tl=st.tensor([2, 2])), TypeError, "input_lengths must be integral"),
    (dict(il=st.tensor([6, 6]), tl=st.tensor([True, True])), TypeError, "target_lengths must be integral"),
    (dict(il=st.tensor([6, 6]), tl=(2, 2)), TypeError, "both be tensors or both be sequences"),
    (dict(il=(6.0, 6)), TypeError, "input_lengths must be a tensor or a sequence of ints"),
    (dict(tl="ab"), TypeError, "target_lengths must be a tensor or a sequence of ints"),
    (dict(tl=None), TypeError, "target_lengths must be a tensor or a sequence of ints"),
])
def test_bad_input(kw, exc, match):
    with pytest.raises(exc, match=match):
        call(**kw)


def test_bad_tensor_arguments():
    with pytest.raises(TypeError, match="argument 'log_probs' must be a Tensor"):
        F.ctc_loss(np.zeros((3, 1, 2)), st.tensor([[1]]), [3], [1])
    with pytest.raises(TypeError, match="argument 'targets' must be a Tensor"):
        F.ctc_loss(st.zeros(3, 1, 2), [[1]], [3], [1])
    with pytest.raises(TypeError, match="argument 'blank' must be an int, not float"):
        F.ctc_loss(st.zeros(3, 1, 2), st.tensor([[1]]), [3], [1], blank=0.0)


def test_labels_in_padding_are_not_read():
    # Columns past a sequence's target length may hold anything (here out-of-range values).
    lp = log_probs(6, 2, 4, np.float64)
    tg = np.array([[1, 2, -7], [3, 99, 99]], np.int64)
    ls = F.ctc_loss(st.from_numpy(lp.copy()), st.from_numpy(tg), [6, 5], [2, 1], reduction="none").numpy()
    lt = TF.ctc_loss(torch.tensor(lp), torch.tensor([[1, 2, 0], [3, 0, 0]]), [6, 5], [2, 1], reduction="none")
    assert_both_close(ls, lt.numpy(), np.float64)


def test_int32_targets_and_non_contiguous_inputs():
    lp = log_probs(8, 3, 5, np.float64)
    base = st.from_numpy(np.ascontiguousarray(lp.transpose(1, 0, 2)))  # (N, T, C)
    x = base.transpose(0, 1)  # a strided (T, N, C) view
    tg = st.tensor([[1, 2, 3, 4], [2, 2, 0, 0], [4, 0, 0, 0]], dtype=st.int32)
    got = F.ctc_loss(x, tg[:, :3], [8, 7, 3], [3, 2, 1], reduction="none").numpy()
    want = TF.ctc_loss(torch.tensor(lp), torch.tensor([[1, 2, 3], [2, 2, 0], [4, 0, 0]]), [8, 7, 3], [3, 2, 1],
                       reduction="none").numpy()
    assert_both_close(got, want, np.float64)


def test_autocast_runs_in_float32():
    # ctc_loss is on autocast's float32 list: 16-bit log-probabilities are widened first.
    lp = st.from_numpy(log_probs(7, 2, 5, np.float32)).to(st.bfloat16)
    tg = st.tensor([[1, 4, 2], [3, 3, 0]])
    with st.autocast("cpu", dtype=st.bfloat16):
        got = F.ctc_loss(lp, tg, [7, 6], [3, 2], reduction="none")
    assert got.dtype == st.float32
    want = F.ctc_loss(lp.float(), tg, [7, 6], [3, 2], reduction="none")
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# ---------------- end to end ----------------

def test_small_model_trains_like_torch():
    """A linear layer over per-frame features, log_softmax and CTC, trained by SGD from the
    same weights: the losses agree step by step and fall."""
    T, N, D, C = 10, 4, 6, 5
    r = np.random.default_rng(7)
    feats = r.normal(size=(T, N, D)).astype(np.float32)
    tg = np.array([[1, 2, 3], [4, 4, 0], [2, 0, 0], [3, 1, 4]], np.int64)
    il, tl = [10, 9, 8, 10], [3, 2, 1, 3]
    tm = torch.nn.Linear(D, C)
    sm = st.nn.Linear(D, C)
    sm.load_state_dict({k: st.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    topt = torch.optim.SGD(tm.parameters(), lr=0.5)
    sopt = st.optim.SGD(sm.parameters(), lr=0.5)
    tloss, sloss = torch.nn.CTCLoss(), st.nn.CTCLoss()
    xt, xs = torch.tensor(feats), st.from_numpy(feats)
    seen_t, seen_s = [], []
    for _ in range(8):
        topt.zero_grad()
        lt = tloss(tm(xt).log_softmax(-1), torch.tensor(tg), il, tl)
        lt.backward()
        topt.step()
        sopt.zero_grad()
        ls = sloss(F.log_softmax(sm(xs), -1), st.from_numpy(tg), il, tl)
        ls.backward()
        sopt.step()
        seen_t.append(lt.item())
        seen_s.append(ls.item())
    np.testing.assert_allclose(seen_s, seen_t, rtol=1e-4)
    assert seen_s[-1] < seen_s[0] * 0.8
