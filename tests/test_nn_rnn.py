"""nn.RNN / LSTM / GRU and their cells against torch with the same weights: outputs, final
states and every gradient (float64, and float32 to its rounding), across layers, directions,
batch_first, unbatched inputs and initial states; float64 finite differences (gradcheck);
parameter names, shapes and state_dict keys; bad input raising a named error."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
from steepest.autograd import gradcheck


def to_st(t, grad=False):
    s = st.from_numpy(t.detach().numpy().copy())
    return s.requires_grad_(True) if grad else s


def pair(cls, *args, dtype=torch.float64, **kw):
    """A torch module and the steepest one loaded from its state_dict."""
    tm = getattr(torch.nn, cls)(*args, **kw).to(dtype)
    sm = getattr(st.nn, cls)(*args, **kw, dtype=st.float64 if dtype == torch.float64 else st.float32)
    sm.load_state_dict({k: to_st(v) for k, v in tm.state_dict().items()})
    return tm, sm


def close(a, b, tol):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=tol, atol=tol)


def flat_states(h):
    return list(h) if isinstance(h, tuple) else [h]


def run_both(cls, tm, sm, x, hx, tol):
    """Forward with x (and hx), a loss of every output, backward; compares all."""
    xt = x.clone().requires_grad_(True)
    xs = to_st(x, True)
    hts = None if hx is None else tuple(h.clone().requires_grad_(True) for h in hx)
    hss = None if hx is None else tuple(to_st(h, True) for h in hx)
    arg_t = hts if cls == "LSTM" or hts is None else hts[0]
    arg_s = hss if cls == "LSTM" or hss is None else hss[0]
    ot, ht = tm(xt, arg_t)
    os_, hs_ = sm(xs, arg_s)
    close(ot, os_, tol)
    for a, b in zip(flat_states(ht), flat_states(hs_)):
        close(a, b, tol)
    wt = torch.linspace(-1, 1, ot.numel(), dtype=ot.dtype).reshape(ot.shape)
    lt = (ot * wt).sum() + sum((h.sin()).sum() for h in flat_states(ht))
    ls = (os_ * to_st(wt)).sum() + sum((h.sin()).sum() for h in flat_states(hs_))
    lt.backward()
    ls.backward()
    close(xt.grad, xs.grad, tol)
    if hx is not None:
        for a, b in zip(hts, hss):
            close(a.grad, b.grad, tol)
    tp, sp = dict(tm.named_parameters()), dict(sm.named_parameters())
    assert list(tp) == list(sp)
    for k in tp:
        close(tp[k].grad, sp[k].grad, tol)


MODES = [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("cls,kw", MODES)
@settings(max_examples=8, deadline=None)
@given(T=hs.integers(1, 5), B=hs.integers(1, 4), In=hs.integers(1, 6), H=hs.integers(1, 6),
       L=hs.integers(1, 3), bi=hs.booleans(), bf=hs.booleans(), bias=hs.booleans(), with_h=hs.booleans(),
       seed=hs.integers(0, 2**31 - 1))
def test_matches_torch_float64(cls, kw, T, B, In, H, L, bi, bf, bias, with_h, seed):
    torch.manual_seed(seed)
    tm, sm = pair(cls, In, H, num_layers=L, bidirectional=bi, batch_first=bf, bias=bias, **kw)
    x = torch.randn(B, T, In, dtype=torch.float64) if bf else torch.randn(T, B, In, dtype=torch.float64)
    n = L * (2 if bi else 1)
    hx = None
    if with_h:
        hx = tuple(torch.randn(n, B, H, dtype=torch.float64) for _ in range(2 if cls == "LSTM" else 1))
    run_both(cls, tm, sm, x, hx, 1e-10)


@pytest.mark.parametrize("cls,kw", MODES)
@pytest.mark.parametrize("bi", [False, True])
def test_unbatched_input(cls, kw, bi):
    torch.manual_seed(1)
    tm, sm = pair(cls, 3, 4, num_layers=2, bidirectional=bi, **kw)
    x = torch.randn(6, 3, dtype=torch.float64)
    hx = tuple(torch.randn(2 * (2 if bi else 1), 4, dtype=torch.float64) for _ in range(2 if cls == "LSTM" else 1))
    run_both(cls, tm, sm, x, None, 1e-10)
    run_both(cls, tm, sm, x, hx, 1e-10)


@pytest.mark.parametrize("cls,kw", MODES)
def test_float32_lstm_sized(cls, kw):
    torch.manual_seed(2)
    tm, sm = pair(cls, 32, 48, num_layers=2, bidirectional=True, dtype=torch.float32, **kw)
    x = torch.randn(9, 5, 32)
    run_both(cls, tm, sm, x, None, 2e-4)


@pytest.mark.parametrize("cls,kw", MODES)
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 2e-4)])
@pytest.mark.parametrize("threads", [1, 2])
def test_blocked_step_product_sizes(cls, kw, dtype, tol, threads):
    """Batch 33 and hidden 120: row tiles with a short last one, a part-filled last panel of
    the packed hidden weights, and with two threads the panels shared out (the step products
    are large enough to split)."""
    torch.manual_seed(3)
    tm, sm = pair(cls, 7, 120, num_layers=2, bidirectional=True, dtype=dtype, **kw)
    x = torch.randn(4, 33, 7, dtype=dtype)
    before = st.get_num_threads()
    st.set_num_threads(threads)
    try:
        run_both(cls, tm, sm, x, None, tol)
    finally:
        st.set_num_threads(before)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_deterministic_same_bits_on_one_and_two_threads(cls):
    """Under deterministic algorithms the step products (packed weights, split by panels of
    columns) and the cells (split by hidden units or rows) give the same bits on any split."""
    before = st.get_num_threads()
    st.use_deterministic_algorithms(True)
    res = []
    try:
        for threads in (1, 2):
            st.set_num_threads(threads)
            st.manual_seed(0)
            m = getattr(st.nn, cls)(16, 120, num_layers=2, bidirectional=True)
            out, _ = m(st.randn(6, 33, 16))
            (out * out).mean().backward()
            res.append([out.detach().numpy().copy()] + [p.grad.numpy().copy() for p in m.parameters()])
    finally:
        st.use_deterministic_algorithms(False)
        st.set_num_threads(before)
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


def test_parameter_names_shapes_and_state_dict_keys():
    for cls, kw in [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "relu"})]:
        tm = getattr(torch.nn, cls)(5, 7, num_layers=3, bidirectional=True, **kw)
        sm = getattr(st.nn, cls)(5, 7, num_layers=3, bidirectional=True, **kw)
        assert list(tm.state_dict()) == list(sm.state_dict())
        for (kt, vt), (ks, vs) in zip(tm.named_parameters(), sm.named_parameters()):
            assert kt == ks and tuple(vt.shape) == tuple(vs.shape)
        # torch's initialisation: every parameter from U(-1/sqrt(H), 1/sqrt(H))
        a = np.concatenate([p.detach().numpy().ravel() for p in sm.parameters()])
        assert np.abs(a).max() <= 1 / np.sqrt(7)
        assert abs(a.std() - 1 / np.sqrt(7) / np.sqrt(3)) < 0.02
        assert len(sm.all_weights) == 6 and len(sm.all_weights[0]) == 4
        sm.flatten_parameters()
    for cls in ["RNNCell", "LSTMCell", "GRUCell"]:
        tm, sm = getattr(torch.nn, cls)(5, 7, bias=False), getattr(st.nn, cls)(5, 7, bias=False)
        assert list(tm.state_dict()) == list(sm.state_dict())
        assert [tuple(p.shape) for p in tm.parameters()] == [tuple(p.shape) for p in sm.parameters()]


def test_repr_and_defaults():
    m = st.nn.LSTM(10, 20, 2, batch_first=True)
    assert repr(m) == repr(torch.nn.LSTM(10, 20, 2, batch_first=True))
    assert repr(st.nn.RNN(3, 4, nonlinearity="relu")) == repr(torch.nn.RNN(3, 4, nonlinearity="relu"))
    assert m.num_layers == 2 and m.hidden_size == 20 and m.batch_first and not m.bidirectional


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
def test_cells_match_torch(cls, batched, with_h):
    torch.manual_seed(3)
    for kw in ([{}, {"nonlinearity": "relu"}] if cls == "RNNCell" else [{}]):
        tm, sm = pair(cls, 4, 5, **kw)
        x = torch.randn(3, 4, dtype=torch.float64) if batched else torch.randn(4, dtype=torch.float64)
        hshape = (3, 5) if batched else (5,)
        hx = None
        if with_h:
            hx = tuple(torch.randn(hshape, dtype=torch.float64) for _ in range(2 if cls == "LSTMCell" else 1))
        xt, xs = x.clone().requires_grad_(True), to_st(x, True)
        ht = None if hx is None else tuple(h.clone().requires_grad_(True) for h in hx)
        hs_ = None if hx is None else tuple(to_st(h, True) for h in hx)
        at = ht if cls == "LSTMCell" or ht is None else ht[0]
        as_ = hs_ if cls == "LSTMCell" or hs_ is None else hs_[0]
        ot, os_ = flat_states(tm(xt, at)), flat_states(sm(xs, as_))
        assert len(ot) == len(os_)
        for a, b in zip(ot, os_):
            close(a, b, 1e-12)
        sum((o * o).sum() for o in ot).backward()
        sum((o * o).sum() for o in os_).backward()
        close(xt.grad, xs.grad, 1e-12)
        if hx is not None:
            for a, b in zip(ht, hs_):
                close(a.grad, b.grad, 1e-12)
        for a, b in zip(tm.parameters(), sm.parameters()):
            close(a.grad, b.grad, 1e-12)


@pytest.mark.parametrize("cls,kw", MODES)
def test_gradcheck(cls, kw):
    st.manual_seed(0)
    m = getattr(st.nn, cls)(2, 3, num_layers=2, bidirectional=True, dtype=st.float64, **kw)
    params = list(m.parameters())
    x = st.randn(3, 2, 2, dtype=st.float64).requires_grad_(True)
    h0 = st.randn(4, 2, 3, dtype=st.float64).requires_grad_(True)
    c0 = st.randn(4, 2, 3, dtype=st.float64).requires_grad_(True)
    names = m._flat_weights_names

    def fn(x, h0, c0, *ps):
        for n, p in zip(names, ps):
            object.__setattr__(m, "_p_" + n, p)
        out, h, c = st._core._nn_rnn(m.mode.lower(), x, h0, c0 if cls == "LSTM" else None, list(ps), True, 2, 0.0,
                                     False, True, False)
        return (out, h) if c is None else (out, h, c)

    assert gradcheck(fn, (x, h0, c0, *params), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck(cls):
    st.manual_seed(1)
    m = getattr(st.nn, cls)(3, 2, dtype=st.float64)
    x = st.randn(2, 3, dtype=st.float64).requires_grad_(True)
    h = st.randn(2, 2, dtype=st.float64).requires_grad_(True)
    c = st.randn(2, 2, dtype=st.float64).requires_grad_(True)
    mode = {"RNNCell": "rnn_tanh", "LSTMCell": "lstm", "GRUCell": "gru"}[cls]

    def fn(x, h, c, wi, wh, bi, bh):
        h1, c1 = st._core._nn_rnn_cell(mode, x, h, c if cls == "LSTMCell" else None, wi, wh, bi, bh)
        return (h1,) if c1 is None else (h1, c1)

    assert gradcheck(fn, (x, h, c, *m.parameters()), eps=1e-6, atol=1e-6)


def test_only_some_outputs_used():
    # Gradients reach the inputs when only h_n (or only c_n) feeds the loss.
    torch.manual_seed(4)
    tm, sm = pair("LSTM", 3, 4, num_layers=2)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    for pick in (lambda o, h: h[1].sum(), lambda o, h: h[0][-1].sum(), lambda o, h: o[-1].sum()):
        xt, xs = x.clone().requires_grad_(True), to_st(x, True)
        pick(*tm(xt)).backward()
        pick(*sm(xs)).backward()
        close(xt.grad, xs.grad, 1e-12)


def test_dropout_between_layers():
    torch.manual_seed(5)
    tm, sm = pair("LSTM", 3, 4, num_layers=2, dropout=0.0)
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    sm.train()
    close(tm(x)[0], sm(to_st(x))[0], 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = st.nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype=st.float64)
    xs = to_st(x)
    d.train()
    a, b = d(xs)[0], d(xs)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # fresh masks each call
    d.eval()
    assert np.allclose(d(xs)[0].detach().numpy(), d(xs)[0].detach().numpy())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        st.nn.LSTM(3, 4, dropout=0.3)


def test_bad_input_errors():
    m = st.nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="input_size"):
        m(st.randn(5, 2, 7))
    with pytest.raises(ValueError, match="2-D .unbatched. or 3-D"):
        m(st.randn(5, 2, 3, 1))
    with pytest.raises(ValueError, match="h0 of shape"):
        m(st.randn(5, 2, 3), (st.zeros(1, 2, 4), st.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="c0 of shape"):
        m(st.randn(5, 2, 3), (st.zeros(2, 2, 4), st.zeros(2, 3, 4)))
    with pytest.raises(ValueError, match="unbatched"):
        m(st.randn(5, 3), (st.zeros(2, 1, 4), st.zeros(2, 1, 4)))
    with pytest.raises(ValueError, match="sequence length"):
        m(st.randn(0, 2, 3))
    with pytest.raises(TypeError, match="floating-point"):
        m(st.ones(5, 2, 3, dtype=st.int64))
    with pytest.raises(TypeError, match="same dtype"):
        m(st.randn(5, 2, 3, dtype=st.float64))
    with pytest.raises(TypeError, match="tuple"):
        m(st.randn(5, 2, 3), st.zeros(2, 2, 4))
    with pytest.raises(NotImplementedError, match="proj_size"):
        st.nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        st.nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size"):
        st.nn.GRU(3, 0)
    with pytest.raises(ValueError, match="dropout"):
        st.nn.GRU(3, 4, dropout=1.5)
    c = st.nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match="input_size"):
        c(st.randn(2, 5))
    with pytest.raises(ValueError, match="hx of shape"):
        c(st.randn(2, 3), st.zeros(3, 4))
    with pytest.raises(ValueError, match="unknown mode"):
        st._core._nn_rnn("lstmx", st.randn(2, 1, 3), None, None, list(m.parameters()), True, 2, 0.0, False,
                         False, False)
    with pytest.raises(ValueError, match="weight tensors"):
        st._core._nn_rnn("lstm", st.randn(2, 1, 3), None, None, list(m.parameters())[:3], True, 2, 0.0, False,
                         False, False)


def test_trains_a_sequence_task():
    # A one-layer LSTM learns to output the running sum sign of its inputs.
    st.manual_seed(0)
    m, head = st.nn.LSTM(1, 16, batch_first=True), st.nn.Linear(16, 1)
    opt = st.optim.Adam(list(m.parameters()) + list(head.parameters()), lr=0.02)
    g = np.random.default_rng(0)
    losses = []
    for _ in range(150):
        x = g.standard_normal((16, 10, 1)).astype(np.float32)
        y = (np.cumsum(x, axis=1) > 0).astype(np.float32)
        out, _ = m(st.from_numpy(x))
        loss = st.nn.functional.binary_cross_entropy_with_logits(head(out), st.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.25 < np.mean(losses[:10])
