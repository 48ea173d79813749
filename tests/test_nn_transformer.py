"""nn.MultiheadAttention and the Transformer layers against torch with the same weights
(loaded from torch's state_dict): outputs, attention weights and gradients in float64 and
float32, every mask kind (bool/float attn_mask, key_padding_mask, is_causal), batch_first,
norm_first, activations, unbatched inputs; state_dict keys; bad input raising a named error."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch's notes on its mask and nested paths


def to_st(t, grad=False):
    s = st.from_numpy(t.detach().numpy().copy())
    return s.requires_grad_(True) if grad else s


def load(tm, sm):
    assert list(tm.state_dict()) == list(sm.state_dict())
    sm.load_state_dict({k: to_st(v) for k, v in tm.state_dict().items()})


def close(a, b, tol):
    assert a is not None and b is not None
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=tol, atol=tol)


def opt_st(t):
    return None if t is None else to_st(t)


@settings(max_examples=25, deadline=None)
@given(L=hs.integers(1, 5), S=hs.integers(1, 6), N=hs.integers(1, 3), heads=hs.sampled_from([1, 2, 4]),
       hd=hs.integers(1, 3), kv=hs.booleans(), bias=hs.booleans(), bf=hs.booleans(), nw=hs.booleans(),
       avg=hs.booleans(), mask=hs.sampled_from(["none", "bool", "float", "3d"]), kpm=hs.sampled_from([None, "bool",
                                                                                                      "float"]),
       extra=hs.sampled_from(["", "bias_kv", "zero_attn"]), seed=hs.integers(0, 2**31 - 1))
def test_mha_matches_torch(L, S, N, heads, hd, kv, bias, bf, nw, avg, mask, kpm, extra, seed):
    torch.manual_seed(seed)
    E = heads * hd
    kw = dict(bias=bias, batch_first=bf, add_bias_kv=extra == "bias_kv", add_zero_attn=extra == "zero_attn")
    if kv:
        kw.update(kdim=E + 1, vdim=2)
    tm = torch.nn.MultiheadAttention(E, heads, **kw).double()
    sm = st.nn.MultiheadAttention(E, heads, **kw, dtype=st.float64)
    load(tm, sm)
    kd, vd = (E + 1, 2) if kv else (E, E)
    shp = (lambda n, s, d: (n, s, d)) if bf else (lambda n, s, d: (s, n, d))
    q = torch.randn(shp(N, L, E), dtype=torch.float64, requires_grad=True)
    k = torch.randn(shp(N, S, kd), dtype=torch.float64, requires_grad=True)
    v = torch.randn(shp(N, S, vd), dtype=torch.float64, requires_grad=True)
    am = None
    if mask == "bool":
        am = torch.rand(L, S) > 0.6
        am[:, 0] = False  # every query keeps a key
    elif mask == "float":
        am = torch.randn(L, S, dtype=torch.float64)
    elif mask == "3d":
        am = torch.randn(N * heads, L, S, dtype=torch.float64)
    pm = None
    if kpm == "bool":
        pm = torch.rand(N, S) > 0.6
        pm[:, 0] = False
    elif kpm == "float":
        pm = torch.randn(N, S, dtype=torch.float64)
    qs, ks, vs = to_st(q, True), to_st(k, True), to_st(v, True)
    to, tw = tm(q, k, v, key_padding_mask=pm, need_weights=nw, attn_mask=am, average_attn_weights=avg)
    so, sw = sm(qs, ks, vs, key_padding_mask=opt_st(pm), need_weights=nw, attn_mask=opt_st(am),
                average_attn_weights=avg)
    close(to, so, 1e-10)
    if nw:
        close(tw, sw, 1e-10)
    else:
        assert tw is None and sw is None
    g = torch.randn(to.shape, dtype=torch.float64)
    (to * g).sum().backward()
    (so * to_st(g)).sum().backward()
    for a, b in [(q, qs), (k, ks), (v, vs)]:
        close(a.grad, b.grad, 1e-10)
    for (n1, a), (n2, b) in zip(tm.named_parameters(), sm.named_parameters()):
        assert n1 == n2
        close(a.grad, b.grad, 1e-10)


def test_mha_unbatched_and_causal():
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2).double()
    sm = st.nn.MultiheadAttention(8, 2, dtype=st.float64)
    load(tm, sm)
    x = torch.randn(5, 8, dtype=torch.float64)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    smask = st.nn.Transformer.generate_square_subsequent_mask(5, dtype=st.float64)
    close(causal, smask, 0)
    to, tw = tm(x, x, x, attn_mask=causal)
    so, sw = sm(to_st(x), to_st(x), to_st(x), attn_mask=smask)
    close(to, so, 1e-12)
    close(tw, sw, 1e-12)
    to, _ = tm(x, x, x, attn_mask=causal, is_causal=True, need_weights=False)
    for m in (smask, None):  # steepest also accepts the hint alone
        so, _ = sm(to_st(x), to_st(x), to_st(x), attn_mask=m, is_causal=True, need_weights=False)
        close(to, so, 1e-12)


def test_mha_defaults_and_init():
    m = st.nn.MultiheadAttention(16, 4)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 48))  # xavier_uniform_ over the (48, 16) matrix
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    assert m.head_dim == 4 and m.batch_first is False and m.dropout == 0.0
    t = torch.nn.MultiheadAttention(16, 4, kdim=3, vdim=5)
    s = st.nn.MultiheadAttention(16, 4, kdim=3, vdim=5)
    assert list(t.state_dict()) == list(s.state_dict())
    assert s.in_proj_weight is None


def test_mha_errors():
    m = st.nn.MultiheadAttention(8, 2)
    x = st.randn(3, 2, 8)
    with pytest.raises(ValueError, match="divisible"):
        st.nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="embedding dimension"):
        m(st.randn(3, 2, 6), st.randn(3, 2, 6), st.randn(3, 2, 6))
    with pytest.raises(ValueError, match="2D attn_mask"):
        m(x, x, x, attn_mask=st.zeros(3, 4))
    with pytest.raises(ValueError, match="3D attn_mask"):
        m(x, x, x, attn_mask=st.zeros(3, 3, 3))
    with pytest.raises(ValueError, match="key_padding_mask of shape"):
        m(x, x, x, key_padding_mask=st.zeros(2, 4, dtype=st.bool))
    with pytest.raises(TypeError, match="bool and floating"):
        m(x, x, x, attn_mask=st.zeros(3, 3, dtype=st.int64))
    with pytest.raises(ValueError, match="all be 3-D"):
        m(x, st.randn(3, 8), x)
    with pytest.raises(ValueError, match="batch size"):
        m(x, st.randn(3, 1, 8), st.randn(3, 1, 8))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_decoder_layers(norm_first, activation, batch_first):
    torch.manual_seed(1)
    act_t = torch.nn.functional.silu if activation == "callable" else activation
    act_s = st.nn.functional.silu if activation == "callable" else activation
    common = dict(d_model=8, nhead=2, dim_feedforward=12, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    te = torch.nn.TransformerEncoderLayer(**common, activation=act_t).double()
    se = st.nn.TransformerEncoderLayer(**common, activation=act_s, dtype=st.float64)
    load(te, se)
    td = torch.nn.TransformerDecoderLayer(**common, activation=act_t).double()
    sd = st.nn.TransformerDecoderLayer(**common, activation=act_s, dtype=st.float64)
    load(td, sd)
    shp = (lambda n, s: (n, s, 8)) if batch_first else (lambda n, s: (s, n, 8))
    src = torch.randn(shp(3, 5), dtype=torch.float64, requires_grad=True)
    tgt = torch.randn(shp(3, 4), dtype=torch.float64, requires_grad=True)
    kpm = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    ss, sg = to_st(src, True), to_st(tgt, True)
    for train in (False, True):  # dropout=0: train mode computes the same
        te.train(train), se.train(train), td.train(train), sd.train(train)
        mt = te(src, src_key_padding_mask=kpm)
        ms = se(ss, src_key_padding_mask=to_st(kpm))
        close(mt, ms, 1e-10)
        ot = td(tgt, mt, tgt_mask=causal, memory_key_padding_mask=kpm, tgt_is_causal=True)
        os_ = sd(sg, ms, tgt_mask=to_st(causal), memory_key_padding_mask=to_st(kpm), tgt_is_causal=True)
        close(ot, os_, 1e-10)
    (ot.sin().sum()).backward()
    (os_.sin().sum()).backward()
    close(src.grad, ss.grad, 1e-10)
    close(tgt.grad, sg.grad, 1e-10)
    for mod_t, mod_s in ((te, se), (td, sd)):
        for (n1, a), (n2, b) in zip(mod_t.named_parameters(), mod_s.named_parameters()):
            assert n1 == n2
            close(a.grad, b.grad, 1e-10)


def test_transformer_model_float32():
    torch.manual_seed(2)
    tm = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                              dropout=0.0, batch_first=True)
    sm = st.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                           dropout=0.0, batch_first=True)
    load(tm, sm)
    tm.eval(), sm.eval()
    src, tgt = torch.randn(2, 7, 16), torch.randn(2, 5, 16)
    mask = tm.generate_square_subsequent_mask(5)
    spm = torch.tensor([[False] * 7, [False] * 5 + [True] * 2])
    with torch.no_grad():
        ot = tm(src, tgt, tgt_mask=mask, src_key_padding_mask=spm, memory_key_padding_mask=spm)
    os_ = sm(to_st(src), to_st(tgt), tgt_mask=to_st(mask), src_key_padding_mask=to_st(spm),
             memory_key_padding_mask=to_st(spm))
    close(ot, os_, 2e-5)
    # xavier_uniform_ on every matrix, as torch
    for n, p in sm.named_parameters():
        if p.dim() > 1:
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= np.sqrt(6 / (fan_in + fan_out)) + 1e-7, n


def test_encoder_stack_and_unbatched():
    torch.manual_seed(3)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).double()
    sl = st.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=st.float64)
    load(tl, sl)
    te = torch.nn.TransformerEncoder(tl, 3, norm=torch.nn.LayerNorm(8).double(), enable_nested_tensor=False)
    se = st.nn.TransformerEncoder(sl, 3, norm=st.nn.LayerNorm(8, dtype=st.float64))
    load(te, se)
    x = torch.randn(6, 8, dtype=torch.float64)  # unbatched (S, E)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
    close(te(x, mask=mask, is_causal=True), se(to_st(x), mask=to_st(mask), is_causal=True), 1e-10)
    td = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0).double(), 2)
    sd = st.nn.TransformerDecoder(st.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=st.float64), 2)
    load(td, sd)
    m = torch.randn(6, 8, dtype=torch.float64)
    close(td(x[:4], m), sd(to_st(x[:4]), to_st(m)), 1e-10)


def test_transformer_errors_and_activation():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        st.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    t = st.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(RuntimeError, match="batch number"):
        t(st.randn(3, 2, 8), st.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match="d_model"):
        t(st.randn(3, 2, 6), st.randn(3, 2, 6))
