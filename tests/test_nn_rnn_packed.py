"""st.nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpad/unpack) against torch's, and RNN/LSTM/GRU over PackedSequences: outputs, final states
(each sequence's own last step, both directions) and gradients against torch, same weights."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
from steepest.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)


def to_st(t, grad=False):
    s = st.from_numpy(t.detach().numpy().copy())
    return s.requires_grad_(True) if grad else s


def close(a, b, tol):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=tol, atol=tol)


def test_pad_sequence_matches_torch():
    torch.manual_seed(0)
    seqs = [torch.randn(n, 3) for n in (4, 1, 6)]
    ss = [to_st(s) for s in seqs]
    for bf in (False, True):
        for side in ("right", "left"):
            close(torch.nn.utils.rnn.pad_sequence(seqs, batch_first=bf, padding_value=-2.0, padding_side=side),
                  pad_sequence(ss, batch_first=bf, padding_value=-2.0, padding_side=side), 0)
    tp = torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    sp = pack_sequence(ss, enforce_sorted=False)
    close(tp.data, sp.data, 0)
    assert sp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    with pytest.raises(RuntimeError, match="decreasing order"):
        pack_sequence(ss)
    with pytest.raises(ValueError, match="trailing shape"):
        pad_sequence([st.zeros(2, 3), st.zeros(2, 4)])
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence(ss, padding_side="middle")


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
def test_pack_and_pad_roundtrip_match_torch(enforce_sorted, batch_first):
    torch.manual_seed(1)
    lengths = [5, 3, 3, 1] if enforce_sorted else [2, 5, 1, 4]
    x = torch.randn(4, 5, 2) if batch_first else torch.randn(5, 4, 2)
    tp = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    xs = to_st(x, True)
    sp = pack_padded_sequence(xs, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    assert isinstance(sp, PackedSequence)
    assert sp.batch_sizes.tolist() == tp.batch_sizes.tolist()
    if not enforce_sorted:  # lengths here have no ties, so the orders are the same
        assert sp.sorted_indices.tolist() == tp.sorted_indices.tolist()
        assert sp.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    close(tp.data, sp.data, 0)
    tpad, tl = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=batch_first, padding_value=7.0, total_length=6)
    spad, sl = pad_packed_sequence(sp, batch_first=batch_first, padding_value=7.0, total_length=6)
    close(tpad, spad, 0)
    assert sl.tolist() == tl.tolist()
    (spad * spad).sum().backward()  # the gradient reaches only the packed positions
    g = 2 * x.numpy().copy()
    for b, n in enumerate(lengths):
        if batch_first:
            g[b, n:] = 0
        else:
            g[n:, b] = 0
    np.testing.assert_allclose(xs.grad.numpy(), g, rtol=1e-6)
    seqs = unpack_sequence(sp)
    assert [s.shape[0] for s in seqs] == lengths
    assert [s.shape[0] for s in unpad_sequence(spad, sl, batch_first=batch_first)] == lengths


def test_pack_errors():
    x = st.zeros(4, 2, 3)
    with pytest.raises(RuntimeError, match="decreasing order"):
        pack_padded_sequence(x, [2, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_padded_sequence(x, [2, 0])
    with pytest.raises(RuntimeError, match="larger than"):
        pack_padded_sequence(x, [5, 3])
    with pytest.raises(ValueError, match="expected 2 lengths"):
        pack_padded_sequence(x, [3])
    p = pack_padded_sequence(x, [4, 2])
    with pytest.raises(ValueError, match="total_length"):
        pad_packed_sequence(p, total_length=3)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
@settings(max_examples=6, deadline=None)
@given(lengths=hs.lists(hs.integers(1, 5), min_size=1, max_size=4), L=hs.integers(1, 2), bi=hs.booleans(),
       with_h=hs.booleans(), seed=hs.integers(0, 2**31 - 1))
def test_rnn_over_packed_sequences_matches_torch(cls, lengths, L, bi, with_h, seed):
    torch.manual_seed(seed)
    tm = getattr(torch.nn, cls)(3, 4, num_layers=L, bidirectional=bi).double()
    sm = getattr(st.nn, cls)(3, 4, num_layers=L, bidirectional=bi, dtype=st.float64)
    sm.load_state_dict({k: to_st(v) for k, v in tm.state_dict().items()})
    B, T = len(lengths), max(lengths)
    x = torch.randn(T, B, 3, dtype=torch.float64, requires_grad=True)
    xs = to_st(x, True)
    n = L * (2 if bi else 1)
    hx = [torch.randn(n, B, 4, dtype=torch.float64) for _ in range(2 if cls == "LSTM" else 1)] if with_h else None
    ht = None if hx is None else [h.clone().requires_grad_(True) for h in hx]
    hs_ = None if hx is None else [to_st(h, True) for h in hx]
    arg_t = None if ht is None else (tuple(ht) if cls == "LSTM" else ht[0])
    arg_s = None if hs_ is None else (tuple(hs_) if cls == "LSTM" else hs_[0])
    pt = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    ps = pack_padded_sequence(xs, lengths, enforce_sorted=False)
    ot, stt = tm(pt, arg_t)
    os_, sts = sm(ps, arg_s)
    assert isinstance(os_, PackedSequence)
    pad_t, _ = torch.nn.utils.rnn.pad_packed_sequence(ot)
    pad_s, _ = pad_packed_sequence(os_)
    close(pad_t, pad_s, 1e-10)
    stt = list(stt) if cls == "LSTM" else [stt]
    sts = list(sts) if cls == "LSTM" else [sts]
    for a, b in zip(stt, sts):
        close(a, b, 1e-10)
    w = torch.randn(pad_t.shape, dtype=torch.float64)
    ((pad_t * w).sum() + sum(s.sum() for s in stt)).backward()
    ((pad_s * to_st(w)).sum() + sum(s.sum() for s in sts)).backward()
    close(x.grad, xs.grad, 1e-10)
    if hx is not None:
        for a, b in zip(ht, hs_):
            close(a.grad, b.grad, 1e-10)
    for a, b in zip(tm.parameters(), sm.parameters()):
        close(a.grad, b.grad, 1e-10)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
@pytest.mark.parametrize("threads", [1, 2])
def test_packed_sequences_at_sizes_that_split_over_threads(cls, threads):
    """Batch 33, hidden 100, lengths 1..6: the step products are large enough for two threads
    to share the hidden units, and rows past their end pass through on every thread."""
    torch.manual_seed(4)
    tm = getattr(torch.nn, cls)(5, 100, bidirectional=True).double()
    sm = getattr(st.nn, cls)(5, 100, bidirectional=True, dtype=st.float64)
    sm.load_state_dict({k: to_st(v) for k, v in tm.state_dict().items()})
    lengths = [1 + (7 * i) % 6 for i in range(33)]
    x = torch.randn(6, 33, 5, dtype=torch.float64, requires_grad=True)
    xs = to_st(x, True)
    before = st.get_num_threads()
    st.set_num_threads(threads)
    try:
        ot, stt = tm(torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
        os_, sts = sm(pack_padded_sequence(xs, lengths, enforce_sorted=False))
        pad_t, pad_s = torch.nn.utils.rnn.pad_packed_sequence(ot)[0], pad_packed_sequence(os_)[0]
        stt = list(stt) if cls == "LSTM" else [stt]
        sts = list(sts) if cls == "LSTM" else [sts]
        close(pad_t, pad_s, 1e-10)
        for a, b in zip(stt, sts):
            close(a, b, 1e-10)
        w = torch.randn(pad_t.shape, dtype=torch.float64)
        ((pad_t * w).sum() + sum(s.sin().sum() for s in stt)).backward()
        ((pad_s * to_st(w)).sum() + sum(s.sin().sum() for s in sts)).backward()
    finally:
        st.set_num_threads(before)
    close(x.grad, xs.grad, 1e-10)
    for a, b in zip(tm.parameters(), sm.parameters()):
        close(a.grad, b.grad, 1e-10)


def test_lengths_checked_in_the_core():
    m = st.nn.GRU(2, 3)
    p = list(m.parameters())
    x = st.randn(4, 2, 2)
    for bad, msg in ((st.tensor([4, 5]), "outside"), (st.tensor([4, 0]), "outside"), (st.tensor([4]), "2 values"),
                     (st.tensor([4.0, 2.0]), "int64")):
        with pytest.raises(ValueError, match=msg):
            st._core._nn_rnn("gru", x, None, None, p, True, 1, 0.0, False, False, False, lengths=bad)
