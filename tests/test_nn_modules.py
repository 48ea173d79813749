"""st.nn modules: registration, traversal, state_dict keys/order and load semantics, train/eval,
repr — each compared with torch building the same model — and layer forwards with weights
copied over from torch."""
import copy

import numpy as np
import pytest
import torch
import torch.nn as tnn
from hypothesis import given, settings, strategies as hst

import steepest as st
import steepest.nn as nn

RNG = np.random.default_rng(1)


def build(lib):
    """The same architecture in torch (lib=tnn) and steepest (lib=nn)."""
    return lib.Sequential(
        lib.Linear(3, 4), lib.ReLU(),
        lib.Sequential(lib.LayerNorm(4), lib.GELU(approximate="tanh"), lib.Dropout(0.1)),
        lib.ModuleList([lib.Linear(2, 2) for _ in range(3)] + [lib.Tanh(), lib.Linear(2, 3, bias=False)]),
        lib.ModuleDict({"emb": lib.Embedding(5, 3, padding_idx=0), "flat": lib.Flatten()}),
        lib.Softmax(dim=1), lib.LogSoftmax(dim=-1), lib.SiLU(), lib.Sigmoid(), lib.Identity(),
        lib.LayerNorm((2, 3), eps=1e-6, elementwise_affine=False),
        lib.CrossEntropyLoss(), lib.MSELoss(), lib.L1Loss(), lib.NLLLoss(), lib.BCEWithLogitsLoss(),
    )


def npy(t):
    """Values of a parameter (an alias that doesn't require grad, so numpy() is allowed)."""
    return st.Tensor(t).numpy()


def copy_from_torch(ours, theirs):
    ours.load_state_dict({k: st.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def test_repr_matches_torch_exactly():
    assert repr(build(nn)) == repr(build(tnn))
    assert repr(nn.Embedding(3, 2, scale_grad_by_freq=True)) == repr(tnn.Embedding(3, 2, scale_grad_by_freq=True))
    assert repr(nn.ReLU(inplace=True)) == repr(tnn.ReLU(inplace=True))
    assert repr(nn.Softmax()) == repr(tnn.Softmax())


def test_parameter_repr_and_sharing():
    base = st.zeros(2)
    p = nn.Parameter(base)
    assert repr(p) == "Parameter containing:\n" + repr(torch.zeros(2, requires_grad=True))
    assert p.requires_grad and not base.requires_grad
    with pytest.raises(RuntimeError, match="leaf Variable"):  # as torch: not while recording
        p.fill_(3.0)
    with st.no_grad():
        p.fill_(3.0)
    assert base.tolist() == [3.0, 3.0]  # shares data
    assert not nn.Parameter(base, requires_grad=False).requires_grad
    assert tuple(nn.Parameter().shape) == (0,)
    q = copy.deepcopy(p)
    with st.no_grad():
        q.fill_(1.0)
    assert isinstance(q, nn.Parameter) and p.tolist() == [3.0, 3.0]


def test_state_dict_keys_and_order_match_torch():
    ours, theirs = build(nn), build(tnn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    for (n, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert tuple(p.shape) == tuple(tp.shape), n


def test_buffers_persistent_and_weighted_losses():
    ours = nn.Sequential(nn.CrossEntropyLoss(weight=st.ones(3)), nn.BCEWithLogitsLoss(pos_weight=st.ones(2)))
    theirs = tnn.Sequential(tnn.CrossEntropyLoss(weight=torch.ones(3)), tnn.BCEWithLogitsLoss(pos_weight=torch.ones(2)))
    assert list(ours.state_dict()) == list(theirs.state_dict())

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running", st.zeros(2))
            self.register_buffer("scratch", st.ones(1), persistent=False)
            self.lin = nn.Linear(2, 2)

    m = M()
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["running", "lin.weight", "lin.bias"]
    m.running = st.ones(2)
    assert m.state_dict()["running"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="buffer 'running'"):
        m.running = 3
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("lin", st.zeros(1))


def test_parameter_dedup_and_registration_rules():
    lin = nn.Linear(2, 2)
    shared = nn.Sequential(lin, nn.ReLU(), lin)
    assert [n for n, _ in shared.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(shared.named_parameters(remove_duplicate=False))) == 4
    assert len(list(shared.modules())) == 3
    assert list(shared.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # as torch
    m = nn.Module()
    m.w = nn.Parameter(st.ones(1))
    assert "w" in dict(m.named_parameters()) and "w" not in m.__dict__
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = st.ones(1)
    m.w = None
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        m.nope
    del m.w
    with pytest.raises(AttributeError):
        m.w

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(st.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    assert [n for n, _ in nn.Sequential(nn.Linear(1, 1)).named_parameters(prefix="net")] == ["net.0.weight", "net.0.bias"]
    assert [n for n, _ in nn.Sequential(nn.Linear(1, 1)).named_parameters(recurse=False)] == []


def test_load_state_dict_copies_in_place_and_reports_keys():
    ours = build(nn)
    theirs = build(tnn)
    before = {n: p for n, p in ours.named_parameters()}
    copy_from_torch(ours, theirs)
    for n, p in ours.named_parameters():
        assert p is before[n]  # same objects, new values
        np.testing.assert_array_equal(npy(p), theirs.state_dict()[n].numpy())
    sd = ours.state_dict()
    sd["extra.weight"] = st.zeros(1)
    del sd["0.bias"]
    with pytest.raises(RuntimeError, match='Missing key.*"0.bias".*\n.*Unexpected key.*"extra.weight"'):
        ours.load_state_dict(sd)
    res = ours.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["extra.weight"]
    tres = theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in sd.items()}, strict=False)
    assert (res.missing_keys, res.unexpected_keys) == (tres.missing_keys, tres.unexpected_keys)
    assert res._fields == tres._fields == ("missing_keys", "unexpected_keys")


def test_load_state_dict_shape_mismatch_raises_and_copies_nothing():
    lin = nn.Linear(2, 3)
    w0 = npy(lin.weight).copy()
    bad = {"weight": st.zeros(3, 2), "bias": st.zeros(4)}
    with pytest.raises(RuntimeError, match=r"size mismatch for bias.*\(4\).*\(3\)"):
        lin.load_state_dict(bad, strict=False)
    np.testing.assert_array_equal(npy(lin.weight), w0)
    with pytest.raises(TypeError, match="dict-like"):
        lin.load_state_dict([("weight", st.zeros(3, 2))])


def test_state_dict_shares_storage_and_keep_vars():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not isinstance(sd["weight"], nn.Parameter) and not sd["weight"].requires_grad
    sd["weight"].fill_(5.0)
    assert (npy(lin.weight) == 5).all()
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight


def test_train_eval_propagate_and_dropout_follows():
    m = build(nn)
    assert all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")
    d = nn.Sequential(nn.Dropout(0.5))
    x = st.ones(1000)
    assert (npy(d(x)) != 1).any()
    d.eval()
    np.testing.assert_array_equal(npy(d(x)), 1)


def test_zero_grad_requires_grad_apply():
    lin = nn.Linear(2, 2)
    lin.weight.grad = st.ones(2, 2)
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    lin.zero_grad()
    assert lin.weight.grad is None
    lin.requires_grad_(False)
    assert not any(p.requires_grad for p in lin.parameters())
    seen = []
    build(nn).apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[0] == "Linear" and seen[-1] == "Sequential"  # children before parents
    assert nn.Linear(3, 4).num_parameters() == 16


def test_forward_matches_torch_with_copied_weights():
    torch.manual_seed(0)
    theirs = tnn.Sequential(tnn.Linear(6, 8), tnn.GELU(), tnn.LayerNorm(8), tnn.Linear(8, 8), tnn.SiLU(),
                            tnn.Linear(8, 5), tnn.Tanh(), tnn.Flatten(0), tnn.Identity())
    ours = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 8), nn.SiLU(),
                         nn.Linear(8, 5), nn.Tanh(), nn.Flatten(0), nn.Identity())
    copy_from_torch(ours, theirs)
    x = RNG.standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(npy(ours(st.tensor(x))), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    emb_t, emb = tnn.Embedding(7, 3, padding_idx=2), nn.Embedding(7, 3, padding_idx=2)
    copy_from_torch(emb, emb_t)
    idx = np.array([[1, 2], [6, 0]])
    np.testing.assert_array_equal(npy(emb(st.tensor(idx))), emb_t(torch.from_numpy(idx)).detach().numpy())
    ce_t, ce = tnn.CrossEntropyLoss(label_smoothing=0.1), nn.CrossEntropyLoss(label_smoothing=0.1)
    logits, t = RNG.standard_normal((4, 5)).astype(np.float32), np.array([0, 4, 2, 1])
    np.testing.assert_allclose(float(ce(st.tensor(logits), st.tensor(t))),
                               float(ce_t(torch.from_numpy(logits), torch.from_numpy(t))), rtol=1e-5)


def test_linear_default_init_bounds():
    st.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w, b = npy(lin.weight), npy(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound
    assert tuple(lin.weight.shape) == (300, 400) and lin.weight.requires_grad
    assert nn.Linear(2, 3, dtype=st.float64).weight.dtype == st.float64


def test_embedding_and_layernorm_init():
    st.manual_seed(0)
    e = nn.Embedding(1000, 64, padding_idx=-1)
    assert e.padding_idx == 999
    w = npy(e.weight)
    assert (w[999] == 0).all()
    assert abs(w[:999].mean()) < 0.01 and abs(w[:999].std() - 1) < 0.01
    ln = nn.LayerNorm((2, 3))
    assert (npy(ln.weight) == 1).all() and (npy(ln.bias) == 0).all()
    assert nn.LayerNorm(3, bias=False).bias is None
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert [k for k, _ in sub.named_children()] == [k for k, _ in tnn.Sequential(tnn.Linear(1, 2), tnn.ReLU(),
                                                                                 tnn.Linear(2, 1))[1:].named_children()]
    with pytest.raises(IndexError, match="out of range"):
        s[3]
    d = nn.Tanh()
    s.append(d)
    assert s[3] is d
    del s[0]
    assert list(s) == [b, c, d] and list(s._modules) == ["0", "1", "2"]
    s[0] = a
    assert s[0] is a
    s.insert(1, b)
    assert list(s) == [a, b, c, d]
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]
    assert (npy(named(st.ones(1, 2))) >= 0).all()


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    assert len(ml) == 4 and isinstance(ml[-1], nn.Sigmoid)
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    with pytest.raises(NotImplementedError, match="forward"):
        ml(st.ones(1))
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(nn.ReLU())
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    md.update([("c", nn.Tanh())])
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    assert isinstance(md.pop("b"), nn.ReLU) and list(md.keys()) == ["a", "c"]


def test_forward_hooks_and_get_submodule():
    m = build(nn)
    assert m.get_submodule("3.1") is m[3][1]
    assert m.get_parameter("4.emb.weight") is m[4]["emb"].weight
    lin = nn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda mod, args, out: calls.append(tuple(out.shape)) or out * 0)
    assert (npy(lin(st.ones(3, 2))) == 0).all() and calls == [(3, 2)]
    h.remove()
    assert (npy(lin(st.ones(3, 2))) != 0).any()


def test_constructor_errors():
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"


@settings(max_examples=25, deadline=None)
@given(fin=hst.integers(1, 9), fout=hst.integers(1, 9), wrong=hst.integers(1, 9))
def test_linear_rejects_wrong_input_width(fin, fout, wrong):
    lin = nn.Linear(fin, fout)
    if wrong == fin:
        assert tuple(lin(st.ones(2, wrong)).shape) == (2, fout)
    else:
        with pytest.raises(ValueError, match=f"in_features \\({fin}"):
            lin(st.ones(2, wrong))
