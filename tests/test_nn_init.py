"""st.nn.init: gains and fans against torch.nn.init, and each initialiser's distribution
(bounds, mean, std from many samples; trunc_normal_ against the truncated normal's exact
moments), seeding through st.manual_seed and generator=, and argument errors."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as hst

import steepest as st
from steepest.nn import init

N = 200_000  # samples: the std of a sample mean of unit-variance draws is ~0.0022 (bounds: 4.5 sigma)


@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                      ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                                      ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_matches_torch(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param), rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)


@settings(max_examples=30, deadline=None)
@given(shape=hst.lists(hst.integers(1, 6), min_size=2, max_size=5))
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(st.empty(shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(st.empty(shape))


def _check_uniform(x, lo, hi):
    assert x.min() >= lo and x.max() <= hi
    assert x.min() < lo + 0.01 * (hi - lo) and x.max() > hi - 0.01 * (hi - lo)
    assert abs(x.mean() - (lo + hi) / 2) < 0.01 * (hi - lo)
    assert abs(x.std() - (hi - lo) / math.sqrt(12)) < 0.01 * (hi - lo)


def _check_normal(x, mean, std):
    assert abs(x.mean() - mean) < 0.01 * std
    assert abs(x.std() - std) < 0.01 * std


def test_uniform_normal_constant():
    st.manual_seed(3)
    t = st.empty(N)
    assert init.uniform_(t, -2, 3) is t
    _check_uniform(t.numpy(), -2, 3)
    _check_normal(init.normal_(st.empty(N), 1.5, 0.5).numpy(), 1.5, 0.5)
    assert (init.constant_(st.empty(3, 2), 0.25).numpy() == 0.25).all()
    assert (init.ones_(st.empty(4)).numpy() == 1).all() and (init.zeros_(st.ones(4)).numpy() == 0).all()


def test_xavier_and_kaiming_scales():
    st.manual_seed(4)
    shape = (400, 500)
    fan_in, fan_out = 500, 400
    b = math.sqrt(6 / (fan_in + fan_out)) * 2.0
    _check_uniform(init.xavier_uniform_(st.empty(shape), gain=2.0).numpy(), -b, b)
    _check_normal(init.xavier_normal_(st.empty(shape)).numpy(), 0, math.sqrt(2 / (fan_in + fan_out)))
    g = math.sqrt(2 / (1 + 0.1**2))
    b = g * math.sqrt(3 / fan_in)
    _check_uniform(init.kaiming_uniform_(st.empty(shape), a=0.1).numpy(), -b, b)
    _check_normal(init.kaiming_normal_(st.empty(shape), mode="fan_out", nonlinearity="relu").numpy(), 0,
                  math.sqrt(2) / math.sqrt(fan_out))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(st.empty(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(st.empty(0, 3))


def _truncnorm_moments(mu, sigma, a, b):
    alpha, beta = (a - mu) / sigma, (b - mu) / sigma
    pdf = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda v: 0.5 * math.erfc(-v / math.sqrt(2))  # noqa: E731
    Z = cdf(beta) - cdf(alpha)
    m = mu + sigma * (pdf(alpha) - pdf(beta)) / Z
    var = sigma**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / Z - ((pdf(alpha) - pdf(beta)) / Z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0, 1, -2, 2), (0, 0.02, -0.04, 0.04), (1, 2, 0, 1.5),
                                          (0, 1, 3, 6), (0, 1, -8, -5)])
def test_trunc_normal_moments_and_bounds(mean, std, a, b):
    # 50k samples (the float64 inverse CDF is slow until a fused kernel exists): the mean's
    # std is s / 224, the CDF fraction's at most 0.0022, so the bounds below are >= 4.5 sigma
    st.manual_seed(11)
    x = init.trunc_normal_(st.empty(50_000, dtype=st.float64), mean, std, a, b).numpy()
    assert x.min() >= a and x.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(x.mean() - m) < 0.02 * s
    assert abs(x.std() - s) < 0.02 * s
    # the distribution, not only its moments: CDF at the interval's quartiles
    alpha, beta = (a - mean) / std, (b - mean) / std
    cdf = lambda v: 0.5 * math.erfc(-v / math.sqrt(2))  # noqa: E731
    for q in (0.25, 0.5, 0.75):
        v = a + q * (b - a)
        expect = (cdf((v - mean) / std) - cdf(alpha)) / (cdf(beta) - cdf(alpha))
        assert abs((x <= v).mean() - expect) < 0.01


def test_trunc_normal_float32_and_errors():
    x = init.trunc_normal_(st.empty(1000), std=0.02).numpy()
    assert x.dtype == np.float32 and np.abs(x).max() <= 2 * 1 and np.abs(x).max() < 0.1
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(st.empty(3), a=1, b=1)


def test_seeding_and_generators():
    st.manual_seed(5)
    a = init.kaiming_uniform_(st.empty(8, 8)).numpy()
    st.manual_seed(5)
    b = init.kaiming_uniform_(st.empty(8, 8)).numpy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = st.Generator().manual_seed(9), st.Generator().manual_seed(9)
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_, init.kaiming_normal_,
               init.trunc_normal_):
        np.testing.assert_array_equal(fn(st.empty(6, 6), generator=g1).numpy(),
                                      fn(st.empty(6, 6), generator=g2).numpy())
