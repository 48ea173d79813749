"""SophiaG's Gauss–Newton–Bartlett helper (labels drawn from the model's own softmax, seeded;
the Hessian EMA equal to torch's grads of the sampled cross-entropy), the weight-decay and
Muon/AdamW param-group recipes, and MuonWithAuxAdamW as one optimizer equal to Muon + AdamW."""
import numpy as np
import pytest
import torch

import steepest as st


def _linear_pair(i, o, seed):
    rng = np.random.RandomState(seed)
    w, b = rng.randn(o, i).astype(np.float32) * 0.5, rng.randn(o).astype(np.float32) * 0.5
    m = st.nn.Linear(i, o)
    with st.no_grad():
        m.weight.copy_(st.from_numpy(w))
        m.bias.copy_(st.from_numpy(b))
    t = torch.nn.Linear(i, o)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w))
        t.bias.copy_(torch.from_numpy(b))
    return m, t


@pytest.mark.parametrize("grad_clip", [None, 0.05])
def test_gnb_step_matches_torch_on_the_sampled_labels(grad_clip):
    m, t = _linear_pair(5, 4, 0)
    x = np.random.RandomState(1).randn(32, 5).astype(np.float32)
    opt = st.optim.SophiaG(m.parameters(), betas=(0.965, 0.9))
    gen = st.Generator()
    gen.manual_seed(7)
    for p in m.parameters():  # stale grads are cleared first
        p.grad = st.ones(list(p.shape))
    loss, labels = st.optim.sophia_gnb_step(m, opt, st.from_numpy(x), generator=gen, grad_clip=grad_clip)
    assert all(p.grad is None for p in m.parameters())
    y = torch.from_numpy(labels.numpy().astype(np.int64))
    tl = torch.nn.functional.cross_entropy(t(torch.from_numpy(x)), y, ignore_index=-1)
    tl.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6)
    grads = [t.weight.grad.numpy().astype(np.float64), t.bias.grad.numpy().astype(np.float64)]
    f = 1.0
    if grad_clip is not None:
        total = np.sqrt(sum((g ** 2).sum() for g in grads))
        f = min(grad_clip / (total + 1e-6), 1.0)
        assert f < 1
    for p, g in zip([m.weight, m.bias], grads):
        np.testing.assert_allclose(opt.state[p]["hessian"].numpy(), 0.1 * (g * f) ** 2, rtol=1e-5, atol=1e-12)
        assert opt.state[p]["step"].item() == 0  # the step counter belongs to step()


def test_gnb_labels_follow_the_models_softmax_and_the_seed():
    logits = np.array([1.0, -0.5, 0.3, 2.0], dtype=np.float32)
    m = st.nn.Linear(1, 4)
    with st.no_grad():
        m.weight.copy_(st.zeros([4, 1]))
        m.bias.copy_(st.from_numpy(logits))
    opt = st.optim.SophiaG(m.parameters())
    n = 20000
    x = st.zeros([n, 1])

    def draw(seed):
        g = st.Generator()
        g.manual_seed(seed)
        return st.optim.sophia_gnb_step(m, opt, x, generator=g).labels.numpy()

    a, b, c = draw(1), draw(1), draw(2)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    freq = np.bincount(a, minlength=4) / n
    assert np.all(np.abs(freq - probs) < 5 * np.sqrt(probs * (1 - probs) / n)), (freq, probs)


def test_gnb_sequence_logits_and_custom_loss():
    m = st.nn.Linear(3, 5)
    opt = st.optim.SophiaG(m.parameters())
    x = st.from_numpy(np.random.RandomState(0).randn(2, 6, 3).astype(np.float32))
    seen = {}

    def loss_fn(logits, labels):
        seen["shapes"] = (tuple(logits.shape), tuple(labels.shape))
        return st.nn.functional.cross_entropy(logits, labels, reduction="sum")

    res = st.optim.sophia_gnb_step(m, opt, x, loss_fn)
    assert seen["shapes"] == ((12, 5), (12,)) and tuple(res.labels.shape) == (2, 6)
    assert float(opt.state[m.weight]["hessian"].numpy().max()) > 0


class _Net(st.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = st.nn.Embedding(10, 6)
        self.hidden = st.nn.Linear(6, 6)
        self.norm = st.nn.LayerNorm(6)
        self.hidden2 = st.nn.Linear(6, 6, bias=False)
        self.head = st.nn.Linear(6, 3)

    def forward(self, idx):
        return self.head(self.norm(self.hidden2(self.hidden(self.emb(idx)).relu())))


def test_param_groups_weight_decay():
    net = _Net()
    decay, rest = st.optim.param_groups_weight_decay(net, 0.05)
    ids = lambda ps: {id(p) for p in ps}  # noqa: E731
    assert decay["weight_decay"] == 0.05 and rest["weight_decay"] == 0.0
    assert ids(decay["params"]) == ids([net.hidden.weight, net.hidden2.weight, net.head.weight])
    assert ids(rest["params"]) == ids([net.emb.weight, net.hidden.bias, net.norm.weight, net.norm.bias,
                                       net.head.bias])
    decay, rest = st.optim.param_groups_weight_decay(net, 0.05, no_decay=("head",))
    assert ids(decay["params"]) == ids([net.hidden.weight, net.hidden2.weight])
    opt = st.optim.AdamW(st.optim.param_groups_weight_decay(net, 0.05))
    assert [g["weight_decay"] for g in opt.param_groups] == [0.05, 0.0]


def test_muon_param_groups_split():
    net = _Net()
    groups = st.optim.muon_param_groups(net)
    ids = lambda ps: {id(p) for p in ps}  # noqa: E731
    assert [g["use_muon"] for g in groups] == [True, False]
    assert ids(groups[0]["params"]) == ids([net.hidden.weight, net.hidden2.weight])
    assert len(groups[1]["params"]) == len(list(net.parameters())) - 2
    # without a name hint the last Linear is the head; head=None keeps it on Muon
    seq = st.nn.Sequential(st.nn.Linear(4, 4), st.nn.Linear(4, 2))
    g = st.optim.muon_param_groups(seq)
    assert ids(g[0]["params"]) == ids([seq[0].weight])
    g = st.optim.muon_param_groups(seq, head=None)
    assert ids(g[0]["params"]) == ids([seq[0].weight, seq[1].weight])


def _set_grads(ps, seed):
    rng = np.random.RandomState(seed)
    for p in ps:
        p.grad = st.from_numpy(rng.randn(*p.shape).astype(np.float32))


def test_muon_with_aux_adamw_equals_muon_plus_adamw_and_resumes():
    st.manual_seed(0)
    net = _Net()
    ps = list(net.parameters())
    clones = [st.from_numpy(p.detach().numpy().copy()) for p in ps]
    opt = st.optim.MuonWithAuxAdamW(net, lr=0.02, weight_decay=0.01, adamw_lr=1e-3)
    muon_idx = [i for i, p in enumerate(ps) if id(p) in {id(net.hidden.weight), id(net.hidden2.weight)}]
    rest_idx = [i for i in range(len(ps)) if i not in muon_idx]
    m = st.optim.Muon([clones[i] for i in muon_idx], lr=0.02, weight_decay=0.01, momentum=0.95, nesterov=True)
    a = st.optim.AdamW([clones[i] for i in rest_idx], lr=1e-3, betas=(0.9, 0.95), eps=1e-10, weight_decay=0.0)
    for step in range(6):
        _set_grads(ps, step)
        _set_grads(clones, step)
        opt.step()
        m.step()
        a.step()
        if step == 2:
            sd = opt.state_dict()
            sd = {"state": {i: {k: st.from_numpy(v.numpy().copy()) for k, v in s.items()}
                            for i, s in sd["state"].items()}, "param_groups": sd["param_groups"]}
            resumed_params = [st.from_numpy(p.detach().numpy().copy()) for p in ps]
            opt2 = st.optim.MuonWithAuxAdamW([{"params": [resumed_params[i] for i in g], "use_muon": u}
                                              for g, u in ((muon_idx, True), (rest_idx, False))])
            opt2.load_state_dict(sd)
        if step > 2:
            _set_grads([resumed_params[i] for i in range(len(ps))], step)
            opt2.step()
    for p, c in zip(ps, clones):
        np.testing.assert_array_equal(p.detach().numpy(), c.numpy())
    for i, p in enumerate(ps):
        np.testing.assert_array_equal(resumed_params[i].numpy(), p.detach().numpy())
    assert set(opt.state[net.hidden.weight]) == {"momentum_buffer"}
    assert set(opt.state[net.head.weight]) == {"step", "exp_avg", "exp_avg_sq"}
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


def test_muon_with_aux_adamw_needs_use_muon():
    with pytest.raises(ValueError, match="use_muon"):
        st.optim.MuonWithAuxAdamW([{"params": [st.zeros([3, 3])]}])
    with pytest.raises(ValueError, match=r"shape \[3\]"):
        st.optim.MuonWithAuxAdamW([{"params": [st.zeros([3])], "use_muon": True}])
