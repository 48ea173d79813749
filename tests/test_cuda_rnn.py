"""CUDA recurrent layers (nn.RNN tanh/relu, LSTM, GRU and their cells) against steepest's own
CPU path: the same module copied to the device, the same inputs; output, h_n, c_n and, through
autograd, every parameter's gradient and the input's and initial states' gradients. Layers 1
and 2, both directions, batch_first, hidden sizes over one 256-thread block, batch 1, packed
sequences (lengths on the host or on the device), unbatched input, no bias, and a small LSTM
language model trained a few steps on both devices.

Tolerances: the kernels use the CPU's gate formulas and sigmoid/tanh, so the only differences
are the products' summation order (cuBLAS vs the CPU BLAS) and the bias gradient's column-sum
order, carried through the recurrence: float32 rtol 5e-4 / atol 5e-5, float64 rtol 1e-9 /
atol 1e-10."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from gpu import needs_gpu

import steepest as st
import steepest.nn.functional as F
from steepest.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

pytestmark = needs_gpu
RNG = np.random.default_rng(4321)
DTYPES = {"float32": (st.float32, np.float32), "float64": (st.float64, np.float64)}


def tol(dt):
    return dict(rtol=5e-4, atol=5e-5) if dt == st.float32 else dict(rtol=1e-9, atol=1e-10)


def host(t):
    return t.detach().cpu().to(st.float64).numpy()


def close(got, want, dt, what=""):
    assert got.device.type == "cuda", what
    np.testing.assert_allclose(host(got), host(want), err_msg=what, **tol(dt))


def randn(shape, np_dt, scale=1.0):
    return st.from_numpy((RNG.standard_normal(shape) * scale).astype(np_dt))


def leaf(t, device):
    return t.detach().to(device).requires_grad_()


def make(kind, dt, **kw):
    st.manual_seed(7)
    if kind in ("tanh", "relu"):
        return st.nn.RNN(nonlinearity=kind, dtype=dt, **kw)
    return (st.nn.LSTM if kind == "lstm" else st.nn.GRU)(dtype=dt, **kw)


def pair(module):
    """The CPU module and its copy on the device (parameters moved, same values)."""
    return module, copy.deepcopy(module).to("cuda")


def run_both(kind, dt, np_dt, *, T, B, In, H, layers=1, bidir=False, batch_first=False, bias=True, with_state=True):
    cpu_m, cuda_m = pair(make(kind, dt, input_size=In, hidden_size=H, num_layers=layers, bidirectional=bidir,
                              batch_first=batch_first, bias=bias))
    D = 2 if bidir else 1
    x = randn((B, T, In) if batch_first else (T, B, In), np_dt)
    h0 = randn((layers * D, B, H), np_dt, 0.5)
    c0 = randn((layers * D, B, H), np_dt, 0.5)
    gout = randn((B, T, D * H) if batch_first else (T, B, D * H), np_dt)
    gh = randn((layers * D, B, H), np_dt)
    gc = randn((layers * D, B, H), np_dt)
    res = {}
    for name, m, device in (("cpu", cpu_m, "cpu"), ("cuda", cuda_m, "cuda")):
        xs, hs, cs = leaf(x, device), leaf(h0, device), leaf(c0, device)
        if kind == "lstm":
            out, (hn, cn) = m(xs, (hs, cs) if with_state else None)
        else:
            out, hn = m(xs, hs if with_state else None)
            cn = None
        loss = (out * gout.to(device)).sum() + (hn * gh.to(device)).sum()
        if cn is not None:
            loss = loss + (cn * gc.to(device)).sum()
        loss.backward()
        res[name] = dict(out=out, hn=hn, cn=cn, x=xs, h0=hs, c0=cs, params=dict(m.named_parameters()))
    a, b = res["cuda"], res["cpu"]
    for k in ("out", "hn", "cn"):
        if b[k] is not None:
            close(a[k], b[k], dt, k)
    close(a["x"].grad, b["x"].grad, dt, "input grad")
    if with_state:
        close(a["h0"].grad, b["h0"].grad, dt, "h0 grad")
        if kind == "lstm":
            close(a["c0"].grad, b["c0"].grad, dt, "c0 grad")
    for n, p in b["params"].items():
        close(a["params"][n].grad, p.grad, dt, n + " grad")


CONFIGS = [  # (layers, bidirectional, batch_first)
    (1, False, False), (2, True, False), (1, True, True), (2, False, True),
]


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"L{c[0]}{'bi' if c[1] else ''}{'bf' if c[2] else ''}")
@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
def test_layer_matches_cpu(kind, config, dtype):
    dt, np_dt = DTYPES[dtype]
    layers, bidir, bf = config
    run_both(kind, dt, np_dt, T=5, B=3, In=4, H=7, layers=layers, bidir=bidir, batch_first=bf)


@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("size", [(3, 5, 6, 300), (4, 1, 3, 1), (1, 2, 2, 5), (2, 70, 3, 9)],
                         ids=["H300", "B1H1", "T1", "B70"])
def test_awkward_sizes_match_cpu(kind, size):
    T, B, In, H = size
    run_both(kind, st.float32, np.float32, T=T, B=B, In=In, H=H)


@pytest.mark.parametrize("kind", ["relu", "lstm", "gru"])
def test_no_bias_and_zero_state_match_cpu(kind):
    run_both(kind, st.float64, np.float64, T=4, B=2, In=3, H=5, layers=2, bidir=True, bias=False, with_state=False)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("kind", ["tanh", "lstm", "gru"])
def test_packed_sequences_match_cpu(kind, dtype):
    dt, np_dt = DTYPES[dtype]
    T, B, In, H = 6, 4, 3, 5
    lengths = [2, 6, 1, 4]
    cpu_m, cuda_m = pair(make(kind, dt, input_size=In, hidden_size=H, num_layers=2, bidirectional=True))
    x = randn((T, B, In), np_dt)
    g = randn((T, B, 2 * H), np_dt)
    res = {}
    for device, m in (("cpu", cpu_m), ("cuda", cuda_m)):
        xs = leaf(x, device)
        packed = pack_padded_sequence(xs, lengths, enforce_sorted=False)
        assert packed.is_cuda == (device == "cuda")
        out, state = m(packed)
        hn = state[0] if kind == "lstm" else state
        padded, lens = pad_packed_sequence(out)
        assert lens.tolist() == lengths
        loss = (padded * g.to(device)).sum() + (hn * hn).sum()
        if kind == "lstm":
            loss = loss + state[1].sum()
        loss.backward()
        res[device] = (padded, hn, xs, dict(m.named_parameters()))
    a, b = res["cuda"], res["cpu"]
    close(a[0], b[0], dt, "padded output")
    close(a[1], b[1], dt, "h_n")
    close(a[2].grad, b[2].grad, dt, "input grad")
    for n, p in b[3].items():
        close(a[3][n].grad, p.grad, dt, n + " grad")


@pytest.mark.parametrize("kind", ["relu", "lstm", "gru"])
def test_lengths_on_device_equal_lengths_on_host(kind):
    """The op reads lengths on the host; a device tensor of lengths gives the same result."""
    m = make(kind, st.float32, input_size=3, hidden_size=4).to("cuda")
    x = randn((5, 3, 3), np.float32).to("cuda")
    params = [p.detach() for p in m.parameters()]
    lens = st.tensor([5, 2, 3], dtype=st.int64)
    got = st._core._nn_rnn(kind if kind != "relu" else "rnn_relu", x, None, None, params, True, 1, 0.0, False, False,
                           False, lengths=lens.to("cuda"))
    want = st._core._nn_rnn(kind if kind != "relu" else "rnn_relu", x, None, None, params, True, 1, 0.0, False,
                            False, False, lengths=lens)
    np.testing.assert_allclose(host(got[0]), host(want[0]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(host(got[1]), host(want[1]), rtol=1e-6, atol=1e-7)


def test_unbatched_input_matches_cpu():
    cpu_m, cuda_m = pair(make("gru", st.float32, input_size=3, hidden_size=6, num_layers=2))
    x = randn((5, 3), np.float32)
    outs = []
    for device, m in (("cpu", cpu_m), ("cuda", cuda_m)):
        xs = leaf(x, device)
        out, hn = m(xs)
        (out.sum() + hn.sum()).backward()
        outs.append((out, hn, xs.grad))
    for got, want, what in zip(outs[1], outs[0], ("out", "h_n", "input grad")):
        close(got, want, st.float32, what)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_cells_match_cpu(kind, dtype):
    dt, np_dt = DTYPES[dtype]
    st.manual_seed(3)
    cls = {"lstm": st.nn.LSTMCell, "gru": st.nn.GRUCell, "rnn": st.nn.RNNCell}[kind]
    cpu_m, cuda_m = pair(cls(4, 300, dtype=dt))
    x = randn((3, 4), np_dt)
    h = randn((3, 300), np_dt, 0.5)
    c = randn((3, 300), np_dt, 0.5)
    res = []
    for device, m in (("cpu", cpu_m), ("cuda", cuda_m)):
        xs, hs, cs = leaf(x, device), leaf(h, device), leaf(c, device)
        if kind == "lstm":
            h1, c1 = m(xs, (hs, cs))
            loss = (h1 * h1).sum() + c1.sum()
        else:
            h1, c1 = m(xs, hs), None
            loss = (h1 * h1).sum()
        loss.backward()
        res.append((h1, c1, xs.grad, hs.grad, cs.grad, dict(m.named_parameters())))
    a, b = res[1], res[0]
    close(a[0], b[0], dt, "h'")
    if kind == "lstm":
        close(a[1], b[1], dt, "c'")
        close(a[4], b[4], dt, "c grad")
    close(a[2], b[2], dt, "input grad")
    close(a[3], b[3], dt, "h grad")
    for n, p in b[5].items():
        close(a[5][n].grad, p.grad, dt, n + " grad")


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_16bit_layers_run_in_float32_like_the_cpu(dtype):
    """16-bit layers: 16-bit input projections (cuBLAS vs the CPU's 16-bit GEMM), the recurrence
    in float32, results rounded once to 16 bits; compared at 16-bit tolerance."""
    dt = getattr(st, dtype)
    cpu_m, cuda_m = pair(make("lstm", dt, input_size=5, hidden_size=6, num_layers=2))
    x = randn((4, 3, 5), np.float32).to(dt)
    res = []
    for device, m in (("cpu", cpu_m), ("cuda", cuda_m)):
        xs = leaf(x, device)
        out, (hn, cn) = m(xs)
        assert out.dtype == dt and hn.dtype == dt and cn.dtype == dt
        (out.float() * out.float()).sum().backward()
        res.append((out, hn, cn, xs.grad))
    for got, want, what in zip(res[1], res[0], ("out", "h_n", "c_n", "input grad")):
        assert got.device.type == "cuda", what
        np.testing.assert_allclose(host(got), host(want), rtol=5e-2, atol=2e-2, err_msg=what)


def test_mixed_devices_raise_torchs_message():
    m = make("lstm", st.float32, input_size=3, hidden_size=4).to("cuda")
    with pytest.raises(RuntimeError, match="same device"):
        m(randn((2, 1, 3), np.float32))  # input left on the host
    x = randn((2, 1, 3), np.float32).to("cuda")
    h0 = st.zeros(1, 1, 4)
    with pytest.raises(RuntimeError, match="same device"):
        m(x, (h0, h0))  # states left on the host


def test_dropout_between_layers_runs_on_the_device():
    m = make("gru", st.float32, input_size=3, hidden_size=8, num_layers=2, dropout=0.5).to("cuda")
    x = randn((6, 4, 3), np.float32).to("cuda")
    m.train()
    out, hn = m(x)
    (out.sum() + hn.sum()).backward()
    m.eval()
    with st.no_grad():
        ref, _ = m(x)
    assert out.device.type == "cuda"
    assert np.isfinite(host(out)).all()
    assert not np.allclose(host(out), host(ref))  # the mask changed the second layer's input
    for n, p in m.named_parameters():
        assert p.grad is not None and np.isfinite(host(p.grad)).all(), n


class _LM(st.nn.Module):
    def __init__(self, vocab, emb, hidden):
        super().__init__()
        self.emb = st.nn.Embedding(vocab, emb)
        self.rnn = st.nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.head = st.nn.Linear(hidden, vocab)

    def forward(self, tokens):
        out, _ = self.rnn(self.emb(tokens))
        return self.head(out)


def test_lstm_language_model_trains_alike_on_both_devices():
    st.manual_seed(11)
    vocab, B, T = 23, 4, 9
    cpu_m = _LM(vocab, 8, 16)
    cuda_m = copy.deepcopy(cpu_m).to("cuda")
    tokens = st.from_numpy(RNG.integers(0, vocab, size=(B, T + 1)).astype(np.int64))
    losses = {}
    for device, m in (("cpu", cpu_m), ("cuda", cuda_m)):
        opt = st.optim.SGD(m.parameters(), lr=0.5, momentum=0.9)  # linear in the gradients
        inp, tgt = tokens[:, :-1].to(device), tokens[:, 1:].to(device)
        seen = []
        for _ in range(4):
            opt.zero_grad()
            logits = m(inp)
            loss = F.cross_entropy(logits.reshape(B * T, vocab), tgt.reshape(B * T))
            loss.backward()
            st.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            seen.append(float(loss.detach().cpu().item()))
        losses[device] = seen
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-4)
    assert losses["cuda"][-1] < losses["cuda"][0]
    for (n, p), q in zip(cpu_m.named_parameters(), cuda_m.parameters()):
        np.testing.assert_allclose(host(q), host(p), rtol=1e-3, atol=1e-4, err_msg=n)
