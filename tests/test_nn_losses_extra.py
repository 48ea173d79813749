"""smooth_l1 / huber / binary_cross_entropy / kl_div / cosine_embedding / margin_ranking /
triplet_margin losses (functional and modules) and normalize / cosine_similarity /
pairwise_distance / bilinear against torch: every reduction, gradients of every input,
gradcheck in float64, edge values (bce at 0 and 1, kl_div's zero targets) and errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as hs
from nn_ref import check_against_torch, pair, same

import steepest as st
import steepest.nn.functional as F
from steepest.autograd import gradcheck

SET = settings(max_examples=12, deadline=None)
RED = ["none", "mean", "sum"]


def rng(seed=0):
    return np.random.default_rng(seed)


@SET
@given(shape=hs.lists(hs.integers(1, 5), max_size=3), red=hs.sampled_from(RED),
       beta=hs.sampled_from([0.0, 0.5, 1.0, 2.0]),
       dt=hs.sampled_from([np.float32, np.float64]), seed=hs.integers(0, 99))
def test_smooth_l1_and_huber(shape, red, beta, dt, seed):
    r = rng(seed)
    x, y = (r.standard_normal(shape) * 2).astype(dt), (r.standard_normal(shape) * 2).astype(dt)
    check_against_torch(lambda a, b: F.smooth_l1_loss(a, b, reduction=red, beta=beta),
                        lambda a, b: TF.smooth_l1_loss(a, b, reduction=red, beta=beta), [x, y], dt, scale=4)
    delta = beta or 1.0
    check_against_torch(lambda a, b: F.huber_loss(a, b, reduction=red, delta=delta),
                        lambda a, b: TF.huber_loss(a, b, reduction=red, delta=delta), [x, y], dt, scale=4)
    w = r.random(shape).astype(dt)
    check_against_torch(lambda a, b, c: F.huber_loss(a, b, reduction=red, delta=delta, weight=c),
                        lambda a, b, c: TF.huber_loss(a, b, reduction=red, delta=delta, weight=c), [x, y, w], dt,
                        scale=4)


@SET
@given(shape=hs.lists(hs.integers(1, 5), min_size=1, max_size=3), red=hs.sampled_from(RED), weighted=hs.booleans(),
       dt=hs.sampled_from([np.float32, np.float64]), seed=hs.integers(0, 99))
def test_binary_cross_entropy(shape, red, weighted, dt, seed):
    r = rng(seed)
    p = r.uniform(0.02, 0.98, shape).astype(dt)
    y = r.random(shape).astype(dt)
    w = r.random(shape).astype(dt) if weighted else None  # a constant: torch has no gradient for it
    ws, wt = (st.from_numpy(w), torch.from_numpy(w)) if weighted else (None, None)
    check_against_torch(lambda a, b: F.binary_cross_entropy(a, b, ws, reduction=red),
                        lambda a, b: TF.binary_cross_entropy(a, b, wt, reduction=red), [p, y], dt, scale=20)


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    out = F.binary_cross_entropy(st.from_numpy(p), st.from_numpy(y), reduction="none").numpy()
    np.testing.assert_allclose(out, [0.0, 0.0, 100.0, 100.0, np.log(2)], rtol=1e-12)
    same(out, TF.binary_cross_entropy(torch.from_numpy(p), torch.from_numpy(y), reduction="none"))


@SET
@given(shape=hs.lists(hs.integers(1, 4), min_size=1, max_size=3), red=hs.sampled_from(RED + ["batchmean"]),
       log_target=hs.booleans(), dt=hs.sampled_from([np.float32, np.float64]), seed=hs.integers(0, 99))
def test_kl_div(shape, red, log_target, dt, seed):
    r = rng(seed)
    x = np.log(r.dirichlet(np.ones(shape[-1]), size=shape[:-1])).astype(dt)
    t = r.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(dt)
    if log_target:
        t = np.log(t).astype(dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reduction='mean' warns, in both libraries
        check_against_torch(lambda a, b: F.kl_div(a, b, reduction=red, log_target=log_target),
                            lambda a, b: TF.kl_div(a, b, reduction=red, log_target=log_target), [x, t], dt, scale=20)
        if not log_target:  # zero targets add 0 (torch's xlogy); the input's gradient stays finite
            t[..., 0] = 0.0
            ts, tt = st.from_numpy(t), torch.from_numpy(t)
            check_against_torch(lambda a: F.kl_div(a, ts, reduction=red), lambda a: TF.kl_div(a, tt, reduction=red),
                                [x], dt, scale=20)


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(st.zeros(2, 3), st.ones(2, 3))


@SET
@given(n=hs.integers(0, 5), d=hs.integers(1, 6), red=hs.sampled_from(RED), margin=hs.sampled_from([0.0, 0.3, -0.2]),
       batched=hs.booleans(), seed=hs.integers(0, 99))
def test_cosine_embedding_and_margin_ranking(n, d, red, margin, batched, seed):
    r = rng(seed)
    shape = (n, d) if batched else (d,)
    a, b = r.standard_normal(shape), r.standard_normal(shape)
    y = r.choice([-1.0, 1.0], size=shape[:-1])
    check_against_torch(lambda p, q: F.cosine_embedding_loss(p, q, st.from_numpy(y), margin, reduction=red),
                        lambda p, q: TF.cosine_embedding_loss(p, q, torch.from_numpy(y), margin, reduction=red),
                        [a, b], scale=10)
    y2 = r.choice([-1.0, 1.0], size=shape)
    check_against_torch(lambda p, q: F.margin_ranking_loss(p, q, st.from_numpy(y2), margin, reduction=red),
                        lambda p, q: TF.margin_ranking_loss(p, q, torch.from_numpy(y2), margin, reduction=red),
                        [a, b], scale=10)


@SET
@given(n=hs.integers(1, 5), d=hs.integers(1, 6), red=hs.sampled_from(RED), p=hs.sampled_from([1.0, 2.0, 3.0]),
       swap=hs.booleans(), seed=hs.integers(0, 99))
def test_triplet_margin(n, d, red, p, swap, seed):
    r = rng(seed)
    arrays = [r.standard_normal((n, d)) for _ in range(3)]
    check_against_torch(lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=0.7, p=p, swap=swap, reduction=red),
                        lambda a, b, c: TF.triplet_margin_loss(a, b, c, margin=0.7, p=p, swap=swap, reduction=red),
                        arrays, scale=10)


@SET
@given(shape=hs.lists(hs.integers(1, 4), min_size=1, max_size=3), p=hs.sampled_from([1.0, 2.0, 3.0, float("inf")]),
       data=hs.data(), seed=hs.integers(0, 99))
def test_normalize_cosine_pairwise(shape, p, data, seed):
    r = rng(seed)
    dim = data.draw(hs.integers(-len(shape), len(shape) - 1))
    x, y = r.standard_normal(shape), r.standard_normal(shape)
    check_against_torch(lambda t: F.normalize(t, p, dim), lambda t: TF.normalize(t, p, dim), [x], scale=10)
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim), lambda a, b: TF.cosine_similarity(a, b, dim),
                        [x, y], scale=10)
    check_against_torch(lambda a, b: F.pairwise_distance(a, b, p), lambda a, b: TF.pairwise_distance(a, b, p),
                        [x, y], scale=10)
    check_against_torch(lambda a, b: F.pairwise_distance(a, b, p, keepdim=True),
                        lambda a, b: TF.pairwise_distance(a, b, p, keepdim=True), [x, y], scale=10)


def test_normalize_zero_vector_has_zero_gradient():
    s, t = pair(np.zeros((2, 3)))
    F.normalize(s, dim=1).sum().backward()
    TF.normalize(t, dim=1).sum().backward()
    same(s.grad, t.grad)
    assert np.isfinite(s.grad.numpy()).all()


def test_cosine_similarity_broadcasts():
    r = rng(1)
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim=-1),
                        lambda a, b: TF.cosine_similarity(a, b, dim=-1), [r.standard_normal((4, 1, 3)),
                                                                          r.standard_normal((5, 3))], scale=10)


@pytest.mark.parametrize("lead", [(), (4,), (2, 3)])
def test_bilinear(lead):
    r = rng(2)
    x1, x2 = r.standard_normal(lead + (3,)), r.standard_normal(lead + (5,))
    w, b = r.standard_normal((2, 3, 5)), r.standard_normal(2)
    check_against_torch(F.bilinear, TF.bilinear, [x1, x2, w, b], scale=10)
    check_against_torch(F.bilinear, TF.bilinear, [x1, x2, w], scale=10)


def test_bilinear_module():
    st.manual_seed(0)
    m = st.nn.Bilinear(3, 4, 2)
    assert tuple(m.weight.shape) == (2, 3, 4) and tuple(m.bias.shape) == (2,)
    bound = 1 / np.sqrt(3)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    t = torch.nn.Bilinear(3, 4, 2, dtype=torch.float32)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(m.weight.detach().numpy()))
        t.bias.copy_(torch.from_numpy(m.bias.detach().numpy()))
    x1, x2 = rng(3).standard_normal((5, 3)).astype(np.float32), rng(4).standard_normal((5, 4)).astype(np.float32)
    check_against_torch(m, t, [x1, x2], np.float32, scale=10)
    assert repr(m) == repr(t)


def test_gradcheck():
    r = rng(5)

    def leaf(*shape):
        return st.from_numpy(r.standard_normal(shape)).requires_grad_()

    a, b, c = leaf(3, 4), leaf(3, 4), leaf(3, 4)
    assert gradcheck(lambda x, y: F.smooth_l1_loss(x, y, beta=0.7, reduction="sum"), (a, b))
    assert gradcheck(lambda x, y: F.huber_loss(x, y, delta=0.8, reduction="none"), (a, b))
    p = st.from_numpy(r.uniform(0.1, 0.9, (3, 4))).requires_grad_()
    t = st.from_numpy(r.random((3, 4))).requires_grad_()
    assert gradcheck(lambda x, y: F.binary_cross_entropy(x, y), (p, t))
    lp = st.from_numpy(np.log(r.dirichlet(np.ones(4), 3))).requires_grad_()
    q = st.from_numpy(r.dirichlet(np.ones(4), 3)).requires_grad_()
    assert gradcheck(lambda x, y: F.kl_div(x, y, reduction="batchmean"), (lp, q))
    y = st.from_numpy(np.array([1.0, -1.0, 1.0]))
    assert gradcheck(lambda x, z: F.cosine_embedding_loss(x, z, y, margin=-0.5), (a, b))
    assert gradcheck(lambda x, z, w: F.triplet_margin_loss(x, z, w, margin=3.0), (a, b, c))
    assert gradcheck(lambda x, z: F.cosine_similarity(x, z), (a, b))
    assert gradcheck(lambda x: F.normalize(x, p=3.0, dim=0), (a,))
    w = leaf(2, 4, 4)
    assert gradcheck(lambda x, z, ww: F.bilinear(x, z, ww), (a, b, w))


def test_modules_match_torch():
    r = rng(6)
    x, y = r.uniform(0.05, 0.95, (3, 4)), r.random((3, 4))
    for name, kw in (("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 0.5}), ("BCELoss", {}),
                     ("KLDivLoss", {"reduction": "batchmean", "log_target": False}),
                     ("SmoothL1Loss", {"reduction": "sum"})):
        check_against_torch(getattr(st.nn, name)(**kw), getattr(torch.nn, name)(**kw), [x, y], scale=10)
    y1 = r.choice([-1.0, 1.0], 3)
    check_against_torch(lambda a, b: st.nn.CosineEmbeddingLoss(0.2)(a, b, st.from_numpy(y1)),
                        lambda a, b: torch.nn.CosineEmbeddingLoss(0.2)(a, b, torch.from_numpy(y1)), [x, y])
    y2 = r.choice([-1.0, 1.0], (3, 4))
    check_against_torch(lambda a, b: st.nn.MarginRankingLoss(0.1)(a, b, st.from_numpy(y2)),
                        lambda a, b: torch.nn.MarginRankingLoss(0.1)(a, b, torch.from_numpy(y2)), [x, y])
    check_against_torch(st.nn.TripletMarginLoss(0.5, swap=True), torch.nn.TripletMarginLoss(0.5, swap=True),
                        [x, y, r.random((3, 4))], scale=10)
    check_against_torch(st.nn.CosineSimilarity(0), torch.nn.CosineSimilarity(0), [x, y], scale=10)
    check_against_torch(st.nn.PairwiseDistance(1.0), torch.nn.PairwiseDistance(1.0), [x, y], scale=10)


def test_errors():
    x = st.zeros(2, 3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(st.full((2, 3), 1.5), x)
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy(x, st.zeros(3))
    with pytest.raises(ValueError, match="reduction"):
        F.smooth_l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.huber_loss(x, x, reduction="batchmean")
    with pytest.raises(ValueError, match="reduction"):
        st.nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(TypeError, match="floating-point"):
        F.smooth_l1_loss(st.zeros(2, dtype=st.int64), st.zeros(2))
    with pytest.raises(ValueError, match="not broadcastable"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.smooth_l1_loss(x, st.zeros(4))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.smooth_l1_loss(x, st.zeros(3))
    with pytest.raises(ValueError, match="target of shape"):
        F.cosine_embedding_loss(x, x, st.ones(3))
    with pytest.raises(ValueError, match="same 1-D or 2-D shape"):
        F.cosine_embedding_loss(x, st.zeros(2, 4), st.ones(2))
    with pytest.raises(ValueError, match="same shape"):
        F.margin_ranking_loss(x, x, st.ones(3))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match="not broadcastable"):
        F.cosine_similarity(x, st.zeros(4, 3))
    with pytest.raises(IndexError, match="out of range"):
        F.normalize(x, dim=2)
    with pytest.raises(ValueError, match="3-D"):
        F.bilinear(x, x, st.zeros(2, 3))
    with pytest.raises(ValueError, match="in1_features"):
        F.bilinear(x, x, st.zeros(1, 4, 3))
