"""Random numbers: an independent pure-Python Philox-4x32-10 (tests/philox_ref.py, written from
the paper's definition) reproduces steepest's draws bit for bit, plus known-answer vectors, seeding,
generator state, thread/ISA independence, statistics and argument handling."""
import math

import numpy as np
import pytest

import steepest as st
from gpu import CUDA_BUILT, NO_CUDA  # noqa: E402
from philox_ref import M32, philox


def words(seed, offset, n):
    """The first n 32-bit words of a draw starting at block `offset`."""
    key = (seed & M32, seed >> 32)
    out = []
    j = 0
    while len(out) < n:
        c = offset + j
        out.extend(philox((c & M32, c >> 32, 0, 0), key))
        j += 1
    return out[:n]


def ref_rand32(seed, n, offset=0):
    return np.array([(w >> 8) * 2.0**-24 for w in words(seed, offset, n)], dtype=np.float32)


def u53(hi, lo):
    return ((hi >> 5) * 2.0**26 + (lo >> 6)) * 2.0**-53


def ref_rand64(seed, n, offset=0):
    w = words(seed, offset, 2 * n)
    return np.array([u53(w[2 * i], w[2 * i + 1]) for i in range(n)])


def portable_ln(x):
    """ln x exactly as documented in random.hpp (atanh series), in Python doubles."""
    m, e = math.frexp(x)
    m, e = 2.0 * m, e - 1  # m in [1, 2)
    if m > 1.4142135623730951:
        m, e = m * 0.5, e + 1
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 1.0 / 23.0
    for k in range(10, 0, -1):
        p = 1.0 / (2 * k + 1) + z * p
    t = 2.0 * s
    return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + (t + t * (z * p)))


def portable_cos_sin(v):
    """cos and sin of 2 pi v (v in [0, 1)) by octant reduction and Taylor polynomials."""
    t8 = 8.0 * v
    o = int(t8)
    f = t8 - o
    a = ((1.0 - f) if o & 1 else f) * 0.7853981633974483
    x2 = a * a
    sp = 1.0 / math.factorial(17)
    for k in range(7, 0, -1):
        sp = (-1) ** k / math.factorial(2 * k + 1) + x2 * sp
    cp = -1.0 / math.factorial(18)
    for k in range(8, 0, -1):
        cp = (-1) ** k / math.factorial(2 * k) + x2 * cp
    sn, cs = a + a * (x2 * sp), 1.0 + x2 * cp
    c, s = (sn, cs) if o & 1 else (cs, sn)
    return [(c, s), (-s, c), (-c, -s), (s, -c)][o >> 1]


def box_muller(u1, v2):
    r = math.sqrt(-2.0 * portable_ln(u1))
    c, s = portable_cos_sin(v2)
    return [r * c, r * s]


def ref_randn(seed, n, float64=False):
    pairs = (n + 1) // 2
    out = []
    if float64:
        w = words(seed, 0, 4 * pairs)
        for p in range(pairs):
            out += box_muller(u53(w[4 * p], w[4 * p + 1]) + 2.0**-53, u53(w[4 * p + 2], w[4 * p + 3]))
        return np.array(out[:n])
    w = words(seed, 0, 2 * pairs)
    for p in range(pairs):
        out += box_muller(((w[2 * p] >> 8) + 1) * 2.0**-24, (w[2 * p + 1] >> 8) * 2.0**-24)
    return np.array(out[:n], dtype=np.float64).astype(np.float32)


def test_portable_ln_and_sincos_are_accurate():
    rng = np.random.default_rng(0)
    for x in list(rng.random(3000)) + [1.0, 2.0**-53, 2.0**-24, 0.5, 0.7071067811865476, 0.7071067811865475]:
        x = float(x) or 1.0
        assert abs(portable_ln(x) - math.log(x)) <= 4e-16 * max(1.0, abs(math.log(x)))
    for v in list(rng.random(3000)) + [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1 - 2.0**-53]:
        c, s = portable_cos_sin(float(v))
        assert abs(c - math.cos(2 * math.pi * v)) < 1e-15 and abs(s - math.sin(2 * math.pi * v)) < 1e-15


def ref_randint(seed, low, high, n):
    w = words(seed, 0, 2 * n)
    r = high - low
    return np.array([low + (((w[2 * i] << 32) | w[2 * i + 1]) * r >> 64) for i in range(n)])


def ref_randperm(seed, n):
    w = words(seed, 0, 2 * n)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        v = (w[2 * i] << 32) | w[2 * i + 1]
        j = v * (i + 1) >> 64
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm)


# ------------------------------------------------------------------ the algorithm itself

# Random123's published known-answer vectors for Philox4x32-10: (counter, key, output).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32,) * 4, (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("ctr,key,want", KAT)
def test_python_reference_matches_known_answers(ctr, key, want):
    assert philox(ctr, key) == want


def test_rand_float32_bit_exact_vs_python_philox():
    for seed in [0, 1, 12345, 2**40 + 7, 2**64 - 1]:
        st.manual_seed(seed)
        got = st.rand(37).numpy()
        np.testing.assert_array_equal(got, ref_rand32(seed, 37))
        # The next draw starts on the next fresh block: 37 words used ceil(37/4) = 10 blocks.
        got2 = st.rand(5).numpy()
        np.testing.assert_array_equal(got2, ref_rand32(seed, 5, offset=10))


def test_rand_float64_and_16bit_bit_exact():
    st.manual_seed(7)
    np.testing.assert_array_equal(st.rand(9, dtype=st.float64).numpy(), ref_rand64(7, 9))
    w = words(7, 0, 11)
    st.manual_seed(7)
    half = st.rand(11, dtype=st.float16).numpy()
    np.testing.assert_array_equal(half, np.array([(x >> 21) * 2.0**-11 for x in w], dtype=np.float16))
    st.manual_seed(7)
    bf = st.rand(11, dtype=st.bfloat16).float().numpy()
    np.testing.assert_array_equal(bf, np.array([(x >> 24) * 2.0**-8 for x in w], dtype=np.float32))


def test_randn_bit_exact_vs_python_box_muller():
    st.manual_seed(3)
    np.testing.assert_array_equal(st.randn(15).numpy(), ref_randn(3, 15))
    st.manual_seed(3)
    np.testing.assert_array_equal(st.randn(7, dtype=st.float64).numpy(), ref_randn(3, 7, float64=True))


def test_randint_and_randperm_bit_exact():
    st.manual_seed(11)
    np.testing.assert_array_equal(st.randint(-5, 1000, (23,)).numpy(), ref_randint(11, -5, 1000, 23))
    st.manual_seed(11)
    big = st.randint(-2**62, 2**62, (5,)).numpy()
    np.testing.assert_array_equal(big, ref_randint(11, -2**62, 2**62, 5))
    st.manual_seed(11)
    np.testing.assert_array_equal(st.randperm(50).numpy(), ref_randperm(11, 50))


def test_uniform_and_normal_in_place_formulas():
    st.manual_seed(5)
    t = st.empty((3, 4), dtype=st.float64).uniform_(-2.0, 3.0)
    np.testing.assert_array_equal(t.numpy().ravel(), -2.0 + 5.0 * ref_rand64(5, 12))
    st.manual_seed(5)
    t = st.empty(6).normal_(1.5, 0.25)
    w = words(5, 0, 6)
    exp = []
    for p in range(3):
        z = box_muller(((w[2 * p] >> 8) + 1) * 2.0**-24, (w[2 * p + 1] >> 8) * 2.0**-24)
        exp += [1.5 + 0.25 * z[0], 1.5 + 0.25 * z[1]]
    np.testing.assert_array_equal(t.numpy(), np.array(exp).astype(np.float32))


# ------------------------------------------------------------------ seeding and state

def test_same_seed_same_numbers_and_different_seed_differs():
    st.manual_seed(123)
    a = st.randn(100).numpy()
    st.manual_seed(123)
    b = st.randn(100).numpy()
    st.manual_seed(124)
    c = st.randn(100).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_manual_seed_returns_default_generator_and_accepts_torch_range():
    assert st.manual_seed(0) is st.default_generator
    st.manual_seed(-1)
    assert st.initial_seed() == 2**64 - 1
    st.manual_seed(2**64 - 1)
    assert st.initial_seed() == 2**64 - 1
    with pytest.raises(ValueError, match="seed must be in"):
        st.manual_seed(2**64)
    with pytest.raises(ValueError, match="seed must be in"):
        st.manual_seed(-2**63 - 1)
    with pytest.raises(TypeError, match="seed must be an int"):
        st.manual_seed(1.5)


def test_rng_state_round_trip_replays_the_stream():
    st.manual_seed(42)
    st.rand(10)
    state = st.get_rng_state()
    assert state.dtype == st.int64 and state.shape == (2,)
    assert state.tolist() == [42, 3]
    a = st.rand(20).numpy()
    st.rand(5)
    st.set_rng_state(state)
    np.testing.assert_array_equal(st.rand(20).numpy(), a)
    with pytest.raises(TypeError, match="int64 state tensor"):
        st.set_rng_state(st.zeros(2))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        st.set_rng_state(st.zeros(3, dtype=st.int64))


def test_generator_objects_are_independent_of_the_default():
    g = st.Generator()
    assert g.initial_seed() == 67280421310721  # torch's default seed
    assert g.manual_seed(9) is g
    st.manual_seed(9)
    a = st.rand(8, generator=g).numpy()
    default_state = st.get_rng_state().tolist()
    b = st.rand(8).numpy()
    np.testing.assert_array_equal(a, b)  # same seed, same stream
    assert default_state == [9, 0]  # drawing from g left the default generator alone
    s = g.get_state()
    x = st.randn(5, generator=g).numpy()
    g.set_state(s)
    np.testing.assert_array_equal(st.randn(5, generator=g).numpy(), x)
    seed = g.seed()
    assert 0 <= seed < 2**63 and g.initial_seed() == seed
    with pytest.raises(NotImplementedError, match="no CUDA"):
        st.Generator(device="cuda")


def test_default_seed_is_fixed_in_a_fresh_process():
    import subprocess
    import sys
    code = "import steepest as st; print(st.initial_seed(), st.rand(3).tolist())"
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert outs[0] == outs[1]
    assert outs[0].startswith("67280421310721 ")


# ------------------------------------------------------------------ independence of threads and ISA

def ref_rand(seed, n, dtype):
    """First n values of rand(dtype) after manual_seed(seed), as float64."""
    if dtype == st.float64:
        return ref_rand64(seed, n)
    shift, scale = {st.float32: (8, 2.0**-24), st.float16: (21, 2.0**-11), st.bfloat16: (24, 2.0**-8)}[dtype]
    return np.array([(w >> shift) * scale for w in words(seed, 0, n)])


@pytest.mark.parametrize("dtype", [st.float32, st.float64, st.bfloat16, st.float16])
def test_results_identical_across_isa_and_threads(isa, dtype):
    n = 300_001  # large enough for the parallel path, odd for the tails
    results = []
    before = st.get_num_threads()
    try:
        for threads in (1, 2):
            st.set_num_threads(threads)
            st.manual_seed(77)
            a = st.rand(n, dtype=dtype).double().numpy()
            st.manual_seed(77)
            b = st.randn(n, dtype=dtype).double().numpy()
            st.manual_seed(77)
            c = st.randint(-3, 1 << 40, (n,)).numpy()
            results.append((a, b, c))
    finally:
        st.set_num_threads(before)
    for x, y in zip(*results):
        np.testing.assert_array_equal(x, y)
    # And the values are the reference ones, whatever the ISA: the head and the tail.
    a, b, c = results[0]
    np.testing.assert_array_equal(a[:16], ref_rand(77, 16, dtype))
    blocks = 2 * n if dtype == st.float64 else n  # words used, to reach the last block
    last = (blocks - 1) // 4
    tail_words = words(77, last, 4)
    if dtype == st.float32:
        assert a[-1] == (tail_words[(n - 1) % 4] >> 8) * 2.0**-24
    ref_n = ref_randn(77, 8, float64=dtype == st.float64)
    if dtype in (st.float32, st.float64):
        np.testing.assert_array_equal(b[:8], ref_n)
    else:  # rounded once more, from float32, to the 16-bit type
        import ml_dtypes
        np_t = np.float16 if dtype == st.float16 else ml_dtypes.bfloat16
        np.testing.assert_array_equal(b[:8], ref_n.astype(np.float32).astype(np_t).astype(np.float64))
    np.testing.assert_array_equal(c[:8], ref_randint(77, -3, 1 << 40, 8))


def test_strided_target_gets_logical_order():
    base = np.zeros((4, 6), dtype=np.float32)
    view = st.from_numpy(base[:, ::2])  # non-contiguous
    st.manual_seed(1)
    view.uniform_()
    np.testing.assert_array_equal(base[:, ::2].ravel(), ref_rand32(1, 12))
    assert (base[:, 1::2] == 0).all()


# ------------------------------------------------------------------ statistics (fixed seeds)

def ks_stat(sample, cdf):
    x = np.sort(sample)
    n = len(x)
    f = cdf(x)
    return max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max())


def normal_cdf(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


@pytest.mark.parametrize("dtype", [st.float32, st.float64])
def test_uniform_statistics(dtype):
    st.manual_seed(2024)
    x = st.rand(200_000, dtype=dtype).numpy().astype(np.float64)
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 4 * math.sqrt(1 / 12 / x.size)
    assert abs(x.var() - 1 / 12) < 0.002
    assert ks_stat(x[:20000], lambda v: v) < 1.63 / math.sqrt(20000)  # 1% level
    hist = np.histogram(x, bins=16, range=(0, 1))[0]
    chi2 = ((hist - x.size / 16) ** 2 / (x.size / 16)).sum()
    assert chi2 < 37.7  # 15 dof, 0.1% level


@pytest.mark.parametrize("dtype", [st.float32, st.float64])
def test_normal_statistics(dtype):
    st.manual_seed(99)
    x = st.randn(200_000, dtype=dtype).numpy().astype(np.float64)
    assert abs(x.mean()) < 4 / math.sqrt(x.size)
    assert abs(x.var() - 1) < 0.015
    assert abs((x**3).mean()) < 0.03  # skew
    assert abs((x**4).mean() - 3) < 0.08  # kurtosis
    assert ks_stat(x[:20000], normal_cdf) < 1.63 / math.sqrt(20000)
    st.manual_seed(99)
    y = st.empty(100_000, dtype=dtype).normal_(3.0, 0.5).numpy()
    assert abs(y.mean() - 3.0) < 0.01 and abs(y.std() - 0.5) < 0.01


def test_randint_bounds_and_every_value_reachable():
    st.manual_seed(0)
    x = st.randint(-3, 7, (20_000,)).numpy()
    assert x.min() == -3 and x.max() == 6
    assert set(x.tolist()) == set(range(-3, 7))
    counts = np.bincount(x + 3)
    assert counts.min() > 1800 and counts.max() < 2200
    y = st.randint(5, (1000,), dtype=st.int32)
    assert y.dtype == st.int32 and set(y.numpy().tolist()) == set(range(5))
    b = st.randint(0, 2, (100,), dtype=st.bool)
    assert b.dtype == st.bool and set(b.numpy().tolist()) == {False, True}
    f = st.randint(2, 4, (50,), dtype=st.float32)
    assert f.dtype == st.float32 and set(f.numpy().tolist()) == {2.0, 3.0}
    one = st.randint(4, 5, (10,))
    assert one.numpy().tolist() == [4] * 10


def test_randint_overloads_match_torch_forms():
    st.manual_seed(3)
    a = st.randint(10, (4,))
    st.manual_seed(3)
    b = st.randint(0, 10, (4,))
    st.manual_seed(3)
    c = st.randint(low=0, high=10, size=(4,))
    st.manual_seed(3)
    d = st.randint(high=10, size=(4,))
    for t in (b, c, d):
        assert t.tolist() == a.tolist()
    assert st.randint(3, (2, 3)).shape == (2, 3)


def test_randperm_is_a_permutation():
    for n in [0, 1, 2, 7, 1000, 4097]:
        p = st.randperm(n)
        assert p.dtype == st.int64 and p.shape == (n,)
        assert sorted(p.tolist()) == list(range(n))
    st.manual_seed(5)
    firsts = [st.randperm(5).tolist()[0] for _ in range(2000)]
    assert set(firsts) == set(range(5)) and min(np.bincount(firsts)) > 330
    assert st.randperm(10, dtype=st.int32).dtype == st.int32
    assert sorted(st.randperm(100, dtype=st.float32).tolist()) == [float(i) for i in range(100)]


def test_bernoulli():
    st.manual_seed(8)
    t = st.empty(100_000).bernoulli_(0.3)
    x = t.numpy()
    assert set(np.unique(x).tolist()) <= {0.0, 1.0} and abs(x.mean() - 0.3) < 0.01
    st.manual_seed(8)
    w = np.array([(v >> 8) * 2.0**-24 for v in words(8, 0, 10)])
    np.testing.assert_array_equal(st.empty(10).bernoulli_(0.3).numpy(), (w < 0.3).astype(np.float32))
    probs = st.tensor([0.0, 1.0, 0.5, 0.0, 1.0])
    s = st.bernoulli(probs)
    assert s.tolist()[:2] == [0.0, 1.0] and s.tolist()[3:] == [0.0, 1.0]
    assert st.bernoulli(st.zeros(4), 1.0).tolist() == [1.0] * 4
    with pytest.raises(ValueError, match="probabilities to be in"):
        st.bernoulli(st.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match=r"p to be in \[0, 1\]"):
        st.empty(3).bernoulli_(-0.1)


# ------------------------------------------------------------------ argument handling

def test_size_argument_forms():
    for f in (st.rand, st.randn):
        assert f(2, 3).shape == (2, 3)
        assert f((2, 3)).shape == (2, 3)
        assert f([2, 3]).shape == (2, 3)
        assert f(size=(4,)).shape == (4,)
        assert f().shape == ()
        assert f(0).shape == (0,)
        assert f(np.int64(3)).shape == (3,)
        with pytest.raises(TypeError, match="must be a tuple of ints, but found element of type float"):
            f(2.0, 3)
        with pytest.raises(TypeError, match="size given both"):
            f(2, size=(3,))
    with pytest.raises(ValueError, match="negative dimension"):
        st.rand(-1)


def test_dtypes_requires_grad_and_like_functions():
    assert st.rand(2).dtype == st.float32
    for dt in (st.float64, st.float16, st.bfloat16):
        assert st.rand(3, dtype=dt).dtype == dt
        assert st.randn(3, dtype=dt).dtype == dt
    r = st.rand(2, 2, requires_grad=True)
    assert r.requires_grad
    base = st.zeros((3, 5), dtype=st.float64)
    assert st.rand_like(base).dtype == st.float64 and st.rand_like(base).shape == (3, 5)
    assert st.randn_like(base, dtype=st.float16).dtype == st.float16
    ri = st.randint_like(base, 10)
    assert ri.dtype == st.float64 and ri.shape == (3, 5) and ri.numpy().max() < 10
    ri2 = st.randint_like(st.zeros(100, dtype=st.int64), 5, 8)
    assert set(ri2.tolist()) <= {5, 6, 7}
    x = st.normal(2.0, 0.0, (4,))
    assert x.tolist() == [2.0] * 4
    st.set_default_dtype(st.float64)
    try:
        assert st.rand(2).dtype == st.float64
    finally:
        st.set_default_dtype(st.float32)


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="rand: expected a floating point dtype, got int64"):
        st.rand(3, dtype=st.int64)
    with pytest.raises(TypeError, match="randn: expected a floating point dtype, got bool"):
        st.randn(3, dtype=st.bool)
    with pytest.raises(TypeError, match="uniform_: expected a floating point dtype, got int32"):
        st.zeros(3, dtype=st.int32).uniform_()
    with pytest.raises(ValueError, match=r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"):
        st.zeros(3).uniform_(2, 1)
    with pytest.raises(ValueError, match="normal_ expects std >= 0.0, but found std -1"):
        st.zeros(3).normal_(0, -1)
    with pytest.raises(ValueError, match="randint expects 'low' to be less than 'high', but got low=5 >= high=5"):
        st.randint(5, 5, (3,))
    with pytest.raises(ValueError, match="does not fit in int32"):
        st.randint(0, 2**40, (3,), dtype=st.int32)
    with pytest.raises(TypeError, match="only tensors of floating point dtype can require gradients"):
        st.randint(0, 3, (3,), requires_grad=True)
    with pytest.raises(ValueError, match="randperm: n must be non-negative, got -1"):
        st.randperm(-1)
    with pytest.raises(ValueError, match="too large for dtype float16"):
        st.randperm(5000, dtype=st.float16)
    if not st.cuda.is_available():
        with pytest.raises(NO_CUDA[0], match=NO_CUDA[1]):
            st.rand(2, device="cuda")
