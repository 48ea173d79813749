"""multinomial, bernoulli, normal's tensor forms and the in-place samplers (uniform_,
normal_, exponential_, geometric_, log_normal_, cauchy_, random_): distributions checked
statistically with fixed seeds (means, variances, quantiles, chi-square, bounds loose enough
to hold for these seeds yet tight enough to catch a wrong formula), reproducibility under
manual_seed and Generator, different seeds giving different draws, and errors."""
import math

import numpy as np
import pytest

import steepest as st

N = 200_000


def chi2(counts, expected):
    counts, expected = np.asarray(counts, float), np.asarray(expected, float)
    return float(((counts - expected) ** 2 / expected).sum())


def test_multinomial_with_replacement_follows_the_weights():
    g = st.Generator().manual_seed(1)
    w = st.tensor([1.0, 2.0, 3.0, 4.0, 0.0])  # unnormalised; the last is never drawn
    s = st.multinomial(w, N, replacement=True, generator=g)
    assert s.dtype == st.int64 and tuple(s.shape) == (N,)
    counts = np.bincount(s.numpy(), minlength=5)
    assert counts[4] == 0
    assert chi2(counts[:4], N * np.array([0.1, 0.2, 0.3, 0.4])) < 25  # df 3: p ~ 3e-5


def test_multinomial_without_replacement_first_and_second_draws():
    g = st.Generator().manual_seed(2)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    rows = 40_000
    s = st.multinomial(st.tensor(np.tile(p, (rows, 1))), 2, generator=g).numpy()
    assert s.shape == (rows, 2) and (s[:, 0] != s[:, 1]).all()
    assert chi2(np.bincount(s[:, 0], minlength=4), rows * p) < 25
    # P(second = j) = sum_{i != j} p_i p_j / (1 - p_i)
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)])
    assert chi2(np.bincount(s[:, 1], minlength=4), rows * second) < 25


def test_multinomial_without_replacement_all_categories_is_a_permutation():
    s = st.tensor([[0.2, 0.0, 0.8, 1.0], [1.0, 1.0, 1.0, 1.0]]).multinomial(3)
    for row in s.numpy():
        assert len(set(row)) == 3
    assert 1 not in s.numpy()[0]  # zero weight: never drawn while others remain
    full = st.multinomial(st.ones(6), 6).numpy()
    assert sorted(full) == list(range(6))


def test_multinomial_errors():
    with pytest.raises(ValueError, match="element < 0"):
        st.multinomial(st.tensor([0.5, -0.1]), 1)
    with pytest.raises(ValueError, match="nan"):
        st.multinomial(st.tensor([0.5, float("nan")]), 1)
    with pytest.raises(ValueError, match="sum of probabilities"):
        st.multinomial(st.zeros(3), 1, True)
    with pytest.raises(ValueError, match="without replacement"):
        st.multinomial(st.ones(3), 4)
    with pytest.raises(ValueError, match="not enough non-negative category"):
        st.multinomial(st.tensor([1.0, 0.0, 1.0]), 3)
    with pytest.raises(ValueError, match="1 or 2 dim"):
        st.multinomial(st.ones(2, 2, 2), 1)
    with pytest.raises(TypeError, match="floating"):
        st.multinomial(st.tensor([1, 2]), 1)
    with pytest.raises(ValueError, match="n_sample <= 0"):
        st.multinomial(st.ones(3), 0)


def test_multinomial_reproducible_and_seed_dependent():
    w = st.rand(3, 10) + 0.1
    a = st.multinomial(w, 50, True, generator=st.Generator().manual_seed(7)).numpy()
    b = st.multinomial(w, 50, True, generator=st.Generator().manual_seed(7)).numpy()
    c = st.multinomial(w, 50, True, generator=st.Generator().manual_seed(8)).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    st.manual_seed(3)
    d = st.multinomial(w, 50, True).numpy()
    st.manual_seed(3)
    np.testing.assert_array_equal(d, st.multinomial(w, 50, True).numpy())


def test_bernoulli_forms():
    st.manual_seed(11)
    p = st.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).expand(N // 5, 5).contiguous()
    m = st.bernoulli(p).numpy().mean(0)
    np.testing.assert_allclose(m, [0.0, 0.1, 0.5, 0.9, 1.0], atol=4 * math.sqrt(0.25 / (N // 5)))
    assert m[0] == 0.0 and m[4] == 1.0
    assert abs(st.bernoulli(st.zeros(N), 0.3).numpy().mean() - 0.3) < 4 * math.sqrt(0.21 / N)
    assert abs(p.bernoulli().numpy().mean() - 0.5) < 0.01
    t = st.empty(N, dtype=st.int64).bernoulli_(0.25)
    assert set(np.unique(t.numpy())) <= {0, 1} and abs(t.numpy().mean() - 0.25) < 0.01
    g1, g2 = st.Generator().manual_seed(5), st.Generator().manual_seed(5)
    np.testing.assert_array_equal(st.bernoulli(p[:100], generator=g1).numpy(),
                                  st.bernoulli(p[:100], generator=g2).numpy())


def test_normal_tensor_forms_and_gradients():
    g = st.Generator().manual_seed(4)
    mean = st.tensor([[-2.0], [0.0], [3.0]])
    std = st.tensor([0.5, 1.0, 2.0, 4.0])
    x = st.normal(mean.expand(3, 4).contiguous().unsqueeze(0).expand(20000, 3, 4), std, generator=g).numpy()
    np.testing.assert_allclose(x.mean(0), np.broadcast_to(mean.numpy(), (3, 4)), atol=4 * 4.0 / math.sqrt(20000))
    np.testing.assert_allclose(x.std(0), np.broadcast_to(std.numpy(), (3, 4)), rtol=0.03)
    y = st.normal(1.5, st.full((N,), 2.0), generator=g).numpy()
    assert abs(y.mean() - 1.5) < 4 * 2 / math.sqrt(N) and abs(y.std() - 2.0) < 0.02
    z = st.normal(st.full((N,), -1.0), 0.5).numpy()
    assert abs(z.mean() + 1.0) < 0.01 and abs(z.std() - 0.5) < 0.01
    w = st.normal(0.0, 3.0, (N,), generator=g).numpy()
    assert abs(w.std() - 3.0) < 0.03
    m = st.zeros(5, requires_grad=True)
    s = st.ones(5, requires_grad=True)
    out = st.normal(m, s, generator=st.Generator().manual_seed(9))
    out.sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), np.ones(5))
    np.testing.assert_allclose(s.grad.numpy(), out.detach().numpy())  # d out / d std = z = out here
    with pytest.raises(ValueError, match="std >= 0"):
        st.normal(st.zeros(2), st.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="broadcast"):
        st.normal(st.zeros(2), st.ones(3))


@pytest.mark.parametrize("dtype", [st.float32, st.float64])
def test_inplace_samplers_moments(dtype):
    g = st.Generator().manual_seed(21)

    def draw(fn):
        return fn(st.empty(N, dtype=dtype)).numpy().astype(np.float64)

    u = draw(lambda t: t.uniform_(-1.0, 3.0, generator=g))
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.02 and abs(u.var() - 16 / 12) < 0.02
    n = draw(lambda t: t.normal_(2.0, 0.5, generator=g))
    assert abs(n.mean() - 2.0) < 0.005 and abs(n.std() - 0.5) < 0.005
    e = draw(lambda t: t.exponential_(2.0, generator=g))
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.005 and abs(e.var() - 0.25) < 0.01
    geo = draw(lambda t: t.geometric_(0.25, generator=g))
    assert geo.min() >= 1 and (geo == np.round(geo)).all()
    assert abs(geo.mean() - 4.0) < 0.05 and abs(geo.var() - 0.75 / 0.0625) < 0.4
    assert abs((geo == 1).mean() - 0.25) < 0.005  # P(X = 1) = p
    ln = draw(lambda t: t.log_normal_(0.5, 0.25, generator=g))
    assert ln.min() > 0 and abs(np.log(ln).mean() - 0.5) < 0.005 and abs(np.log(ln).std() - 0.25) < 0.005
    c = draw(lambda t: t.cauchy_(1.0, 2.0, generator=g))
    q1, q2, q3 = np.quantile(c, [0.25, 0.5, 0.75])
    assert abs(q2 - 1.0) < 0.05 and abs(q1 + 1.0) < 0.08 and abs(q3 - 3.0) < 0.08  # median +- sigma


def test_geometric_on_integer_tensors_and_errors():
    t = st.empty(1000, dtype=st.int64).geometric_(0.5, generator=st.Generator().manual_seed(1))
    assert t.dtype == st.int64 and t.numpy().min() >= 1
    with pytest.raises(ValueError, match="lambda"):
        st.empty(3).exponential_(0.0)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        st.empty(3).geometric_(1.0)
    with pytest.raises(ValueError, match="sigma"):
        st.empty(3).cauchy_(0.0, -1.0)
    with pytest.raises(ValueError, match="std"):
        st.empty(3).log_normal_(0.0, 0.0)
    with pytest.raises(TypeError, match="floating"):
        st.empty(3, dtype=st.int64).exponential_()


@pytest.mark.parametrize("dtype", [st.int64, st.int32, st.float32, st.float64])
def test_random_range_is_uniform(dtype):
    g = st.Generator().manual_seed(13)
    x = st.empty(60_000, dtype=dtype).random_(-3, 7, generator=g).numpy()
    assert x.min() == -3 and x.max() == 6 and (x == np.round(x)).all()
    assert chi2(np.bincount((x + 3).astype(int), minlength=10), np.full(10, 6000)) < 35  # df 9
    y = st.empty(60_000, dtype=dtype).random_(5, generator=g).numpy()
    assert y.min() == 0 and y.max() == 4


@pytest.mark.parametrize("method, args", [("uniform_", ()), ("normal_", ()), ("exponential_", ()),
                                          ("geometric_", (0.3,)), ("log_normal_", ()), ("cauchy_", ()),
                                          ("bernoulli_", (0.5,)), ("random_", (0, 100))])
def test_samplers_reproducible_and_seed_dependent(method, args):
    def draw(seed=None, gen=None):
        if seed is not None:
            st.manual_seed(seed)
        kw = {"generator": gen} if gen is not None else {}
        return getattr(st.empty(64, dtype=st.float64), method)(*args, **kw).numpy()

    np.testing.assert_array_equal(draw(seed=5), draw(seed=5))
    assert (draw(seed=5) != draw(seed=6)).any()
    np.testing.assert_array_equal(draw(gen=st.Generator().manual_seed(5)), draw(gen=st.Generator().manual_seed(5)))
    g = st.Generator().manual_seed(5)
    first, second = draw(gen=g), draw(gen=g)
    assert (first != second).any()  # the generator advances
