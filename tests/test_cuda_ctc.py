"""F.ctc_loss on CUDA tensors against steepest's own CPU result on the same inputs: values and
gradients, every reduction, padded and concatenated targets, float32 and float64, repeated
labels, impossible alignments with and without zero_infinity, targets and lengths on the
device, targets longer than one block of threads, and bad labels refused by name. The two
backends share the per-state math; tolerances cover CUDA's expf/logf against the C library's."""
from typing import Any

import numpy as np
import pytest
from gpu import needs_gpu

import steepest as st
import steepest.nn.functional as F

pytestmark = needs_gpu

DTYPES = {st.float32: np.float32, st.float64: np.float64}


def tol(dt: Any) -> dict:
    return dict(rtol=1e-5, atol=1e-5) if dt == st.float32 else dict(rtol=1e-12, atol=1e-12)


def log_probs(T: int, N: int, C: int, seed: int = 0) -> np.ndarray:
    """Normalized log-probabilities (T, N, C) of random logits, in float64."""
    x = np.random.default_rng(seed).normal(size=(T, N, C)) * 2
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def padded_targets(lengths: list, C: int, blank: int, S: int, seed: int = 1, repeat: bool = False) -> np.ndarray:
    """(N, S) labels other than blank, padding blank; `repeat` makes runs of equal labels."""
    r = np.random.default_rng(seed)
    labels = [c for c in range(C) if c != blank]
    out = np.full((len(lengths), S), blank, np.int64)
    for b, k in enumerate(lengths):
        row = r.choice(labels, size=k)
        if repeat and k > 1:
            row[1::2] = row[0::2][: len(row[1::2])]
        out[b, :k] = row
    return out


def cpu_and_cuda(lp: np.ndarray, tg: np.ndarray, il: list, tl: list, dt: Any, *, on_device_args: bool = False,
         **kw: Any) -> tuple:
    """(loss, grad) on the CPU and on CUDA, as float64 numpy arrays; the CUDA run's targets and
    lengths are CUDA tensors when on_device_args."""
    w = np.random.default_rng(3).uniform(0.5, 1.5, size=lp.shape[1])  # a gradient that is not all ones
    out = []
    for dev in ("cpu", "cuda"):
        x = st.tensor(lp, dtype=dt).to(dev).detach().requires_grad_()
        t = st.tensor(tg)
        ils: Any = list(il)
        tls: Any = list(tl)
        if dev == "cuda" and on_device_args:
            t = t.cuda()
            ils, tls = st.tensor(np.asarray(il, np.int64)).cuda(), st.tensor(np.asarray(tl, np.int64)).cuda()
        loss = F.ctc_loss(x, t, ils, tls, **kw)
        weights = st.tensor(w if loss.dim() == 1 else w[:1].reshape(()), dtype=dt).to(dev)
        (loss * weights).sum().backward()
        assert x.grad is not None and x.grad.device.type == dev
        out.append((loss.detach().cpu().numpy().astype(np.float64), x.grad.cpu().numpy().astype(np.float64)))
    return out[0], out[1]


def check_close(cpu: tuple, cuda: tuple, dt: Any) -> None:
    np.testing.assert_allclose(cuda[0], cpu[0], **tol(dt))
    np.testing.assert_allclose(cuda[1], cpu[1], **tol(dt))


@pytest.mark.parametrize("dt", [st.float32, st.float64])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("blank", [0, 4])
def test_cuda_ctc_matches_cpu(dt: Any, reduction: str, layout: str, blank: int) -> None:
    T, N, C = 30, 5, 6
    il, tl = [30, 25, 17, 1, 30], [8, 0, 5, 1, 12]
    tg = padded_targets(tl, C, blank, S=13, repeat=True)
    if layout == "concatenated":
        tg = np.concatenate([tg[b, :k] for b, k in enumerate(tl)]).astype(np.int64)
    cpu, cuda = cpu_and_cuda(log_probs(T, N, C), tg, il, tl, dt, blank=blank, reduction=reduction)
    assert np.isfinite(cpu[0]).all()
    check_close(cpu, cuda, dt)


@pytest.mark.parametrize("dt", [st.float32, st.float64])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_cuda_ctc_impossible_alignments(dt: Any, zero_infinity: bool) -> None:
    # Sequence 0 cannot fit its target (3 repeated labels need 5 frames), sequence 2 has no
    # frames at all; sequence 1 is ordinary.
    T, N, C = 6, 3, 4
    il, tl = [4, 6, 0], [3, 2, 1]
    tg = np.array([[2, 2, 2], [1, 3, 0], [1, 0, 0]], np.int64)
    cpu, cuda = cpu_and_cuda(log_probs(T, N, C, seed=5), tg, il, tl, dt, reduction="none", zero_infinity=zero_infinity)
    np.testing.assert_array_equal(np.isinf(cuda[0]), np.isinf(cpu[0]))
    np.testing.assert_array_equal(np.isnan(cuda[1]), np.isnan(cpu[1]))
    fin = np.isfinite(cpu[0])
    np.testing.assert_allclose(cuda[0][fin], cpu[0][fin], **tol(dt))
    ok = ~np.isnan(cpu[1])
    np.testing.assert_allclose(cuda[1][ok], cpu[1][ok], **tol(dt))


@pytest.mark.parametrize("dt", [st.float32, st.float64])
def test_cuda_ctc_long_targets_and_device_arguments(dt: Any) -> None:
    # 2 * 200 + 1 states: more than one block of threads per sequence.
    T, N, C = 420, 3, 9
    il, tl = [420, 410, 300], [200, 150, 3]
    tg = padded_targets(tl, C, 0, S=200, seed=4)
    cpu, cuda = cpu_and_cuda(log_probs(T, N, C, seed=2), tg, il, tl, dt, reduction="mean", on_device_args=True)
    check_close(cpu, cuda, dt)


def test_cuda_ctc_unbatched() -> None:
    lp = log_probs(12, 1, 5, seed=9)[:, 0]
    tg = np.array([1, 2, 2, 4], np.int64)
    cpu, cuda = cpu_and_cuda(lp, tg, [12], [4], st.float64, reduction="sum")
    check_close(cpu, cuda, st.float64)


@pytest.mark.parametrize("bad, err, msg", [(7, IndexError, "out of bounds for 5 classes"),
                                           (0, ValueError, "is the blank label")])
def test_cuda_ctc_bad_label_on_device_is_named(bad: int, err: type, msg: str) -> None:
    lp = st.tensor(log_probs(6, 2, 5), dtype=st.float32).cuda()
    tg = st.tensor(np.array([[1, 2], [3, bad]], np.int64)).cuda()
    with pytest.raises(err, match=msg) as info:
        F.ctc_loss(lp, tg, [6, 6], [2, 2])
    assert "sequence 1, position 1" in str(info.value)
