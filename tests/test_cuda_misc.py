"""CUDA kernels of FP8 casting and scaling, erfc/erfinv, sorting and order statistics,
bincount/histc/searchsorted and multinomial, each against steepest's own CPU result on the
same inputs (awkward sizes, NaN, -0, ties, non-contiguous inputs). Exact wherever the two
backends share the per-element code (FP8 rounding, the sort order, bins, binary search,
ordered sums, Philox draws); stated tolerances where CUDA's double libm stands in for the C
library's (erfc, erfinv, multinomial's race without replacement)."""
from typing import Any, Callable

import numpy as np
import pytest
from gpu import both, needs_gpu, rnd

import steepest as st

pytestmark = needs_gpu

FLOATS = [st.float32, st.float64, st.bfloat16, st.float16]
SORT_DTYPES = FLOATS + [st.int32, st.int64, st.bool]


def host(t: Any) -> np.ndarray:
    """A tensor's values as a numpy array (16- and 8-bit floats widened exactly to float32)."""
    t = t.cpu()
    if t.dtype in (st.bfloat16, st.float16, st.float8_e4m3fn, st.float8_e5m2):
        t = t.float()
    return np.asarray(t.numpy())


def same(a: Any, b: Any) -> None:
    """Equal values, NaN where NaN, same dtype and shape."""
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(host(a), host(b))


# ---- FP8 --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 257, 70001])
@pytest.mark.parametrize("src", [st.float32, st.bfloat16, st.float16])
@pytest.mark.parametrize("f8", [st.float8_e4m3fn, st.float8_e5m2])
def test_float8_scaled_cast_and_amax(f8: Any, src: Any, n: int) -> None:
    x = rnd((n,), src, lo=-600, hi=600)
    if n > 7:  # values past both formats' range after scaling, ties, -0 and a subnormal
        x[:6] = st.tensor([1e5, -1e5, 0.0, -0.0, 1e-6, 448.0]).to(src)
    scale = st.tensor([1.5])
    outs = []
    for dev in ("cpu", "cuda"):
        amax = st.zeros((1,), device=dev)
        y = st._core._float8_scaled_cast(x.to(dev), scale.to(dev), f8, amax)
        outs.append((y, amax))
    same(outs[0][0], outs[1][0])
    same(outs[0][1], outs[1][1])


def test_float8_amax_nan() -> None:
    x = rnd((5000,), lo=-2, hi=2)
    x[4321] = float("nan")
    amax = st.zeros((1,), device="cuda")
    st._core._float8_scaled_cast(x.to("cuda"), st.ones((1,), device="cuda"), st.float8_e4m3fn, amax)
    assert np.isnan(host(amax)[0])


@pytest.mark.parametrize("f8", [st.float8_e4m3fn, st.float8_e5m2])
def test_float8_conversions_on_device(f8: Any) -> None:
    x = rnd((37, 21), lo=-70000, hi=70000)
    x[0, :4] = st.tensor([float("nan"), float("inf"), -0.0, 1e-9])
    for src in (x, x.t(), x.bfloat16().t()):  # strided, and from a 16-bit float
        a, b = both(lambda t: t.to(f8), src)
        same(a, b)
        for back in (st.float32, st.float64, st.bfloat16):
            same(*both(lambda t, d=back: t.to(d), a))
    i8 = st.tensor([[1.0, -2.0], [3.5, 0.0]]).to(f8)
    same(*both(lambda p, q: st._scaled_mm(p, q, st.tensor([2.0]).to(p.device), st.tensor([0.5]).to(p.device)),
               i8, i8.t()))


@pytest.mark.parametrize("margin", [0.0, 1.0, 2.5])
@pytest.mark.parametrize("f8", [st.float8_e4m3fn, st.float8_e5m2])
def test_float8_update_scaling(f8: Any, margin: float) -> None:
    states = []
    for dev in ("cpu", "cuda"):
        hist = st.tensor([3.0, 0.5, 7.25, 0.0, 1.0]).to(dev)
        scale = st.ones((1,), device=dev)
        for a in (2.0, 11.0, float("nan"), 0.25):  # a NaN step leaves the scale as it was
            st._core._float8_update_scaling(hist, scale, st.tensor([a]).to(dev), f8, margin)
            states.append((dev, host(hist).copy(), host(scale).copy()))
    cpu = [s for s in states if s[0] == "cpu"]
    gpu = [s for s in states if s[0] == "cuda"]
    for c, g in zip(cpu, gpu):
        np.testing.assert_array_equal(c[1], g[1])
        np.testing.assert_array_equal(c[2], g[2])


def test_float8_linear_on_cuda() -> None:
    st.manual_seed(0)
    lin = st.nn.Linear(32, 16)
    ref = st.nn.Linear(32, 16)
    ref.load_state_dict(lin.state_dict())
    fp8 = st.nn.Float8Linear.from_float(lin).to("cuda")
    fp8_cpu = st.nn.Float8Linear.from_float(ref)
    x = rnd((8, 32))
    ys = []
    for dev, m in (("cpu", fp8_cpu), ("cuda", fp8)):
        y = m(x.to(dev))
        y.sum().backward()
        ys.append(y.detach())
    # The FP8 operands are the same bytes; the products sum in cuBLAS's order vs the CPU's.
    np.testing.assert_allclose(host(ys[0]), host(ys[1]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(host(fp8_cpu.weight.grad), host(fp8.weight.grad), rtol=1e-5, atol=1e-6)
    for name in ("fp8_amax_history_input", "fp8_scale_input", "fp8_scale_weight"):
        same(getattr(fp8_cpu, name), getattr(fp8, name).cpu())


# ---- erfc / erfinv ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_erfc_erfinv(dtype: Any) -> None:
    x = rnd((3, 1001), dtype, lo=-6, hi=6).t()[::2]  # strided
    y = rnd((2, 777), dtype, lo=-1, hi=1)
    y[0, :6] = st.tensor([1.0, -1.0, 0.0, -0.0, 1.5, float("nan")]).to(dtype)
    y[1, :4] = st.tensor([1 - 2.0 ** -24, -(1 - 2.0 ** -24), 1e-30, -1e-30]).to(dtype)
    for fn, arg in ((st.erfc, x), (st.erfinv, y)):
        a, b = both(fn, arg)
        if dtype == st.float64:  # CUDA's double erf/erfc/exp/log1p against the C library's
            np.testing.assert_allclose(host(a), host(b), rtol=1e-14, atol=1e-300)
        else:  # a double rounded once: a last-bit double difference almost never shows
            np.testing.assert_allclose(host(a), host(b), rtol=1.2e-7 if dtype == st.float32 else 8e-3)
        ha, hb = host(a), host(b)
        np.testing.assert_array_equal(np.isnan(ha), np.isnan(hb))
        np.testing.assert_array_equal(np.signbit(ha[~np.isnan(ha)]), np.signbit(hb[~np.isnan(hb)]))


# ---- sort / order statistics ------------------------------------------------------------

def awkward(shape: tuple, dtype: Any, seed: int = 0) -> Any:
    """Many ties, and for floats NaN, +-0 and +-inf."""
    x = rnd(shape, dtype, lo=-4, hi=4, seed=seed)
    if dtype in FLOATS:
        x = (x * 2).round() / 2  # ties
        flat = x.reshape(-1)
        m = flat.numel()
        for j, v in enumerate([float("nan"), -0.0, 0.0, float("inf"), float("-inf"), float("nan")]):
            if m > 3 * j:
                flat[(3 * j * 7919) % m] = v
    return x


@pytest.mark.parametrize("shape,dim", [((1,), 0), ((7,), 0), ((5, 33), 1), ((5, 33), 0), ((3, 1, 2050), -1),
                                       ((70001,), 0), ((2, 4, 3), 1)])
@pytest.mark.parametrize("dtype", SORT_DTYPES)
def test_sort_matches_cpu(dtype: Any, shape: tuple, dim: int) -> None:
    x = awkward(shape, dtype)
    for desc in (False, True):
        (va, ia), (vb, ib) = both(lambda t, d=desc: st.sort(t, dim, descending=d, stable=True), x)
        same(va, vb)
        same(ia, ib)
    same(*both(lambda t: st.argsort(t, dim, descending=True, stable=True), x))
    if x.dim() >= 2:  # a transposed input
        (va, ia), (vb, ib) = both(lambda t: st.sort(t.transpose(0, -1), dim), x)
        same(va, vb)
        same(ia, ib)


@pytest.mark.parametrize("dtype", SORT_DTYPES)
def test_topk_and_msort(dtype: Any) -> None:
    x = awkward((6, 131), dtype, seed=3)
    for largest in (True, False):
        (va, ia), (vb, ib) = both(lambda t, lg=largest: st.topk(t, 17, largest=lg), x)
        same(va, vb)
        same(ia, ib)
    same(*both(st.msort, x))


@pytest.mark.parametrize("dtype", SORT_DTYPES)
@pytest.mark.parametrize("shape", [(1,), (9,), (4, 257), (3, 2, 5)])
def test_order_statistics_match_cpu(dtype: Any, shape: tuple) -> None:
    x = awkward(shape, dtype, seed=5)
    n = shape[-1]
    calls = [lambda t: st.kthvalue(t, 1), lambda t: st.kthvalue(t, n), lambda t: st.kthvalue(t, (n + 1) // 2),
             lambda t: st.median(t, -1), lambda t: st.mode(t, -1), lambda t: st.median(t, 0, keepdim=True)]
    if dtype in FLOATS:
        calls.append(lambda t: st.nanmedian(t, -1))
    for fn in calls:
        (va, ia), (vb, ib) = both(fn, x)
        same(va, vb)
        same(ia, ib)
    same(*both(st.median, x))


def test_nanmedian_all_nan_row() -> None:
    x = st.tensor([[float("nan")] * 5, [1.0, float("nan"), 3.0, 2.0, float("nan")]])
    (va, ia), (vb, ib) = both(lambda t: st.nanmedian(t, 1), x)
    same(va, vb)
    same(ia, ib)


# ---- bincount / histc / searchsorted ----------------------------------------------------

@pytest.mark.parametrize("n", [1, 9, 4099, 100003])
def test_bincount_matches_cpu(n: int) -> None:
    x = rnd((n,), st.int64, lo=0, hi=37)
    w = rnd((n,), st.float64, lo=-1, hi=1, seed=2)
    same(*both(st.bincount, x))
    same(*both(lambda t: st.bincount(t, minlength=100), x))
    # float64 weights summed in index order per bin on both devices: the same bits
    same(*both(lambda t, u: st.bincount(t, u), x, w))
    same(*both(lambda t, u: st.bincount(t, u.float()), x, w))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 1000, 70001])
def test_histc_matches_cpu(dtype: Any, n: int) -> None:
    x = rnd((n,), dtype, lo=-2, hi=2)
    if n > 5:
        x[:5] = st.tensor([float("nan"), -1.0, 1.0, float("inf"), 0.5]).to(dtype)
    same(*both(lambda t: st.histc(t, bins=7, min=-1, max=1), x))
    same(*both(lambda t: st.histc(t, bins=13), rnd((n,), dtype, lo=-2, hi=2, seed=1)))  # the data's own range


@pytest.mark.parametrize("dtype", [st.float32, st.float64, st.bfloat16, st.int32, st.int64])
def test_searchsorted_matches_cpu(dtype: Any) -> None:
    seq = st.sort(awkward((4, 65), dtype, seed=7) if dtype in FLOATS else rnd((4, 65), dtype, -20, 20), -1)[0]
    vals = rnd((4, 33), dtype, lo=-5, hi=5, seed=9)
    for right in (False, True):
        for i32 in (False, True):
            same(*both(lambda s, v, r=right, o=i32: st.searchsorted(s, v, right=r, out_int32=o), seq, vals))
            same(*both(lambda s, v, r=right: st.searchsorted(s, v, right=r), seq[0], vals))  # one shared row
    perm = st.argsort(rnd((4, 65), st.float64, seed=11), -1)
    unsorted = st.gather(seq, 1, st.argsort(perm, -1))  # seq read through perm is sorted
    same(*both(lambda s, v, p: st.searchsorted(s, v, sorter=p), unsorted, vals, perm))
    same(*both(lambda v, b: st.bucketize(v, b), vals, seq[1]))


# ---- multinomial ------------------------------------------------------------------------

def draw_both(fn: Callable[[str], Any], seed: int) -> tuple:
    """fn(device) on each device after seeding the generator the same way."""
    outs = []
    for dev in ("cpu", "cuda"):
        st.manual_seed(seed)
        outs.append(fn(dev))
    return outs[0], outs[1]


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 33), (3, 1000)])
def test_multinomial_with_replacement_same_samples(shape: tuple) -> None:
    p = rnd(shape, st.float64, lo=0, hi=1, seed=4)
    if shape[-1] > 2:
        p[..., 2] = 0.0  # a zero-probability category is never drawn
    a, b = draw_both(lambda d: st.multinomial(p.to(d), 257, replacement=True), seed=21)
    same(a, b)
    if shape[-1] > 2:
        assert not (host(b) == 2).any()


@pytest.mark.parametrize("shape,n", [((9,), 9), ((4, 50), 17), ((2, 3000), 100)])
def test_multinomial_without_replacement(shape: tuple, n: int) -> None:
    p = rnd(shape, st.float32, lo=0.01, hi=1, seed=6)
    a, b = draw_both(lambda d: st.multinomial(p.to(d), n), seed=5)
    # The race times use CUDA's log1p (last bit may differ from the C library's): a near-tie
    # could swap two samples, so compare as the CPU does almost always and check the law's rules.
    hb = host(b).reshape(-1, n)
    assert all(len(set(r)) == n for r in hb.tolist())  # no category twice
    assert (host(a).reshape(-1, n) == hb).mean() > 0.99


def test_multinomial_checks_cuda_probabilities() -> None:
    with pytest.raises(ValueError, match="probability tensor contains"):
        st.multinomial(st.tensor([0.5, -0.1]).to("cuda"), 1)
    with pytest.raises(ValueError, match="not enough non-negative category"):
        st.multinomial(st.tensor([0.5, 0.0, 0.0]).to("cuda"), 2)
