"""CUDA kernels of the elementwise, reduction, scan, index and random families, each against
steepest's own CPU result on the same inputs: awkward sizes (0, 1, odd, more than one block),
non-contiguous views and broadcasting. Exact where both devices do the same IEEE operations
(the float32 math functors are shared with the CPU and built with -fmad=false; integers,
comparisons, copies, scans, Philox draws); stated tolerances where CUDA's libm stands in
for the C library's (float64 transcendentals, pow, log1p) and for reductions, whose order
differs between devices but never between runs."""
from typing import Any

import numpy as np
import pytest
from gpu import both, needs_gpu, rnd
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

pytestmark = needs_gpu

SIZES = [(0,), (1,), (7,), (257,), (3, 5), (2, 1, 33), (70000,)]
FLOATS = [st.float32, st.float64, st.bfloat16, st.float16]


def host(t: Any) -> np.ndarray:
    """A tensor's values as a numpy array (16-bit floats widened exactly to float32)."""
    t = t.cpu()
    if t.dtype in (st.bfloat16, st.float16):
        t = t.float()
    return np.asarray(t.numpy())


def same(a: Any, b: Any) -> None:
    """Equal values, NaN where NaN, same dtype and shape."""
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(host(a), host(b))


def close(a: Any, b: Any, rtol: float, atol: float = 0.0) -> None:
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(host(a), host(b), rtol=rtol, atol=atol, equal_nan=True)


# ---- elementwise ------------------------------------------------------------------------

EXACT_UNARY = ["neg", "abs", "sqrt", "rsqrt", "relu", "sign", "floor", "ceil", "round", "trunc",
               "exp", "log", "sin", "cos", "tanh", "sigmoid", "expm1"]


@pytest.mark.parametrize("shape", SIZES)
@pytest.mark.parametrize("name", EXACT_UNARY)
def test_unary_float32_bit_identical(name: str, shape: tuple) -> None:
    x = rnd(shape, lo=-20, hi=20)
    if name in ("sqrt", "rsqrt", "log"):
        x = x.abs()
    a, b = both(lambda t: getattr(st, name)(t), x)
    same(a, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", EXACT_UNARY + ["log1p"])
def test_unary_dtypes_and_strides(name: str, dtype: Any) -> None:
    x = rnd((33, 20), dtype, lo=0.01, hi=5).t()[3:, ::2]  # transposed, sliced
    a, b = both(lambda t: getattr(st, name)(t), x)
    if dtype == st.float64 and name in ("exp", "log", "sin", "cos", "tanh", "sigmoid", "expm1", "log1p"):
        close(a, b, rtol=1e-15, atol=1e-300)  # CUDA's libm vs the C library's, both within 1-2 ulp
    elif name == "log1p":
        close(a, b, rtol=1.2e-7 if dtype == st.float32 else 8e-3)  # through double log1p
    else:
        same(a, b)


def test_unary_special_values() -> None:
    x = st.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-40, -1e-40, 88.8, -104.5, 1e5])
    for name in EXACT_UNARY:
        a, b = both(getattr(st, name), x)
        same(a, b)
        ha, hb = host(a), host(b)
        keep = ~np.isnan(ha)  # (a NaN's sign bit is the hardware's choice)
        np.testing.assert_array_equal(np.signbit(ha[keep]), np.signbit(hb[keep]))


@pytest.mark.parametrize("dtype", [st.int32, st.int64])
@pytest.mark.parametrize("name", ["neg", "abs", "relu", "sign", "floor", "round"])
def test_unary_integers(name: str, dtype: Any) -> None:
    x = rnd((5, 67), dtype, lo=-100, hi=100)
    a, b = both(lambda t: getattr(st, name)(t), x)
    same(a, b)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "maximum": st.maximum, "minimum": st.minimum,
    "add_alpha": lambda a, b: st.add(a, b, alpha=2.5), "sub_alpha": lambda a, b: st.sub(a, b, alpha=3),
}


@pytest.mark.parametrize("dtype", FLOATS + [st.int32, st.int64])
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_broadcast_exact(name: str, dtype: Any) -> None:
    if dtype in (st.int32, st.int64) and name in ("add_alpha",):
        pytest.skip("a float alpha with integer tensors is refused by the op")
    a = rnd((4, 1, 37), dtype, seed=1)
    b = rnd((3, 1), dtype, lo=0.5, hi=4, seed=2)
    x, y = both(BINARY[name], a, b)
    same(x, y)
    x, y = both(BINARY[name], a.transpose(0, 2), b[:1])  # a transposed tensor
    same(x, y)
    if name not in ("maximum", "minimum"):  # (tensors only, as torch)
        same(*both(BINARY[name], a, 2))
        same(*both(BINARY[name], 3, b))


def test_binary_mixed_dtypes_and_pow() -> None:
    a, b = rnd((6, 9), st.float32, lo=0.1, hi=3), rnd((9,), st.bfloat16, lo=0.1, hi=3, seed=3)
    for fn in (lambda p, q: p * q, lambda p, q: p / q, lambda p, q: p + q):
        same(*both(fn, a, b))
    i = rnd((6, 9), st.int64, lo=-4, hi=4)
    same(*both(lambda p, q: p + q, i, a))  # int64 + float32 -> float32
    same(*both(lambda p, q: p * q, i, 2.5))
    for e in (2, 0.5, -0.5, -1):  # the CPU's fast paths: exact
        same(*both(lambda p, e=e: p ** e, a))
    close(*both(lambda p: p ** 1.7, a), rtol=1.2e-7)  # through double pow
    close(*both(lambda p, q: p ** q, a, a.t().t()), rtol=1.2e-7)
    j = rnd((40,), st.int64, lo=-3, hi=3)
    same(*both(lambda p: p ** 3, j))
    same(*both(lambda p, q: p ** q, j, j.abs()))


@pytest.mark.parametrize("dtype", FLOATS + [st.int64, st.bool])
def test_compare_logical_where(dtype: Any) -> None:
    a, b = rnd((5, 1, 19), dtype, seed=4), rnd((7, 19), dtype, seed=5)
    for fn in (lambda p, q: p == q, lambda p, q: p != q, lambda p, q: p < q, lambda p, q: p <= q,
               lambda p, q: p > q, lambda p, q: p >= q, st.logical_and, st.logical_or, st.logical_xor):
        same(*both(fn, a, b))
    same(*both(st.logical_not, a))
    c = rnd((7, 19), st.bool, seed=6)
    same(*both(st.where, c, a, b))
    same(*both(lambda p, q: st.where(p, q, 0), c, a))


@pytest.mark.parametrize("dtype", [st.int32, st.int64, st.bool])
def test_bitwise(dtype: Any) -> None:
    a, b = rnd((3, 41), dtype, lo=-50, hi=50), rnd((41,), dtype, lo=-50, hi=50, seed=9)
    for fn in (st.bitwise_and, st.bitwise_or, st.bitwise_xor):
        same(*both(fn, a, b))
    same(*both(st.bitwise_not, a))


@pytest.mark.parametrize("dtype", FLOATS + [st.int32, st.int64])
def test_clamp(dtype: Any) -> None:
    x = rnd((9, 30), dtype, lo=-10, hi=10)
    same(*both(lambda t: st.clamp(t, -2, 3), x))
    same(*both(lambda t: st.clamp(t, min=1), x))
    same(*both(lambda t: st.clamp(t, max=0), x.t()))
    if dtype in FLOATS:
        y = st.tensor([float("nan"), 1.0, -5.0]).to(dtype)
        same(*both(lambda t: st.clamp(t, -1, 1), y))


@pytest.mark.parametrize("dtype", [st.float32, st.float64, st.int64, st.bfloat16])
def test_arange_linspace(dtype: Any) -> None:
    for args in ((0, 10), (-3, 7, 2), (1, 0, -0.25), (0, 70001)):
        if dtype == st.int64 and any(isinstance(v, float) for v in args):
            continue
        same(st.arange(*args, dtype=dtype), st.arange(*args, dtype=dtype, device="cuda"))
    if dtype != st.int64:
        for n in (0, 1, 2, 7, 1000):
            same(st.linspace(-1.5, 2.0, n, dtype=dtype), st.linspace(-1.5, 2.0, n, dtype=dtype, device="cuda"))


@settings(max_examples=25, deadline=None)
@given(hs.lists(hs.integers(1, 6), min_size=0, max_size=4), hs.integers(0, 3), hs.booleans())
def test_binary_hypothesis_shapes(shape: list, drop: int, transpose: bool) -> None:
    a = rnd(tuple(shape), seed=11)
    bshape = tuple(1 if i < drop else s for i, s in enumerate(shape))
    b = rnd(bshape, seed=12)
    if transpose and a.dim() >= 2:
        a = a.transpose(0, a.dim() - 1)
        b = b.transpose(0, b.dim() - 1)
    same(*both(lambda p, q: p * q - q / (p.abs() + 1), a, b))


# ---- reductions and scans ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dims", [((1,), 0), ((7,), 0), ((300, 5), 0), ((5, 300), 1), ((4, 6, 70), (0, 2)),
                                        ((70000,), 0), ((3, 4, 5), (0, 1, 2))])
def test_reductions_against_cpu_and_repeatable(dtype: Any, shape: tuple, dims: Any) -> None:
    x = rnd(shape, dtype, seed=13)
    g = x.to("cuda")
    rt = {st.float32: 2e-6, st.float64: 1e-13, st.bfloat16: 2e-2, st.float16: 4e-3}[dtype]
    atol = rt * float(np.prod(shape)) ** 0.5
    for fn in (lambda t: t.sum(dims), lambda t: t.mean(dims), lambda t: t.var(dims),
               lambda t: t.std(dims, correction=0)):
        close(fn(x), fn(g), rtol=rt * 50, atol=atol)
        same(fn(g), fn(g))  # a fixed order: the same bits on every run
    for fn in (lambda t: t.amax(dims), lambda t: t.amin(dims)):
        same(fn(x), fn(g))  # exact whatever the order
    if isinstance(dims, int):
        same(x.argmax(dims), g.argmax(dims))
        same(x.argmin(dims), g.argmin(dims))
        same(x.max(dims)[0], g.max(dims)[0])


def test_reductions_nan_ties_ints_and_strides() -> None:
    x = st.tensor([[1.0, 3.0, 3.0, float("nan"), 2.0, float("nan")], [0.0, -1.0, -1.0, 5.0, 5.0, 0.0]])
    for fn in (lambda t: t.argmax(1), lambda t: t.argmin(1), lambda t: t.amax(1), lambda t: t.max(1)[0],
               lambda t: t.max(1)[1], lambda t: t.min(0)[1]):
        same(*both(fn, x))
    i = rnd((37, 300), st.int64, lo=-1000, hi=1000)
    for fn in (lambda t: t.sum(0), lambda t: t.sum(1), lambda t: t.amax(0), lambda t: t.argmin(1), lambda t: t.sum()):
        same(*both(fn, i))
        same(*both(fn, i.t()))
    b = rnd((5, 70), st.bool)
    same(*both(lambda t: t.sum(1), b))
    big = rnd((3, 1000), st.int32, lo=0, hi=1)
    same(*both(lambda t: t[:, ::3].argmax(1), big))


@pytest.mark.parametrize("dtype", [st.float32, st.float64, st.int64])
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((1,), 0), ((300,), 0), ((4, 7, 5), 1), ((3, 9), 0)])
def test_scans_bit_identical(dtype: Any, shape: tuple, dim: int) -> None:
    x = rnd(shape, dtype, lo=-2, hi=2, seed=17)
    same(*both(lambda t: st.cumsum(t, dim), x))
    same(*both(lambda t: st.cumprod(t, dim), x))
    same(*both(lambda t: st.cumsum(t.flip(dim), dim), x))


def test_cumprod_backward_bit_identical() -> None:
    x = rnd((4, 9), st.float64, lo=-2, hi=2)
    x[1, 3] = 0.0
    grads = []
    for dev in ("cpu", "cuda"):
        t = x.to(dev).detach().requires_grad_(True)
        st.cumprod(t, 1).sum().backward()
        grads.append(t.grad)
    same(grads[0], grads[1])


# ---- random -------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 1001, 70001])
@pytest.mark.parametrize("dtype", FLOATS)
def test_philox_same_bits_as_cpu(n: int, dtype: Any) -> None:
    draws = []
    for dev in ("cpu", "cuda"):
        st.manual_seed(1234)
        draws.append([st.rand(n, dtype=dtype, device=dev), st.randn(n, dtype=dtype, device=dev),
                      st.empty(n, dtype=dtype, device=dev).uniform_(-2, 5),
                      st.empty(n, dtype=dtype, device=dev).normal_(1.5, 0.25),
                      st.empty(n, dtype=dtype, device=dev).bernoulli_(0.3)])
    for a, b in zip(*draws):
        same(a, b)


def test_philox_randint_bernoulli_and_transforms() -> None:
    outs = []
    for dev in ("cpu", "cuda"):
        st.manual_seed(99)
        p = st.rand(2001, dtype=st.float64).to(dev)
        outs.append([st.randint(-5, 1000, (3, 7), device=dev), st.randint(0, 2**40, (1001,), device=dev),
                     st.bernoulli(p), st.randperm(1001, device=dev), st.randperm(1, device=dev),
                     st.randperm(0, device=dev), st.randperm(300, dtype=st.float32, device=dev),
                     st.empty(501, dtype=st.float64, device=dev).exponential_(2.0),
                     st.empty(501, device=dev).cauchy_(), st.empty(501, dtype=st.float64, device=dev).log_normal_(),
                     st.empty(501, device=dev).geometric_(0.3)])
    for k, (a, b) in enumerate(zip(*outs)):
        if k < 7:
            same(a, b)
        else:
            close(a, b, rtol=1e-12 if a.dtype == st.float64 else 1.2e-7)  # CUDA's libm transforms


def test_bernoulli_bad_probability_raises_on_cuda() -> None:
    p = st.tensor([0.5, 1.5, 0.2], dtype=st.float64).to("cuda")
    with pytest.raises(ValueError, match="1.5"):
        st.bernoulli(p)


# ---- index --------------------------------------------------------------------------------

def test_index_gather_scatter_family() -> None:
    x = rnd((6, 7, 5), st.float32, seed=21)
    idx = st.tensor([[0, 2, 2], [4, 1, 0]])
    same(*both(lambda t, i: t[i], x, idx))
    same(*both(lambda t, i: t[:, i], x, idx))
    same(*both(lambda t, i: t[i, :, i], x, st.tensor([1, -1, 3])))
    same(*both(lambda t: t.index_select(1, st.tensor([6, 0, 0, 3]).to(t.device)), x))
    g_idx = rnd((6, 3, 5), st.int64, lo=0, hi=6, seed=22)
    same(*both(lambda t, i: st.gather(t, 1, i), x, g_idx))
    src = rnd((6, 3, 5), st.float64, seed=23)
    base = st.zeros(6, 7, 5, dtype=st.float64)
    same(*both(lambda b, i, s: b.clone().scatter_(1, i, s), base, g_idx.clamp(max=6), src))
    st.use_deterministic_algorithms(True)
    try:
        same(*both(lambda b, i, s: b.clone().scatter_add_(1, i, s), base, g_idx, src))
        same(*both(lambda b, v: b.clone().index_put_((st.tensor([5, 0, 5, 5, 1, 2]).to(b.device),), v, accumulate=True),
                   base, rnd((6, 7, 5), st.float64, seed=26)))
        same(*both(lambda b, v: b.clone().index_put_((st.tensor([1, 1, 4]).to(b.device),), v, accumulate=True), base,
                   rnd((3, 7, 5), st.float64, seed=24)))
    finally:
        st.use_deterministic_algorithms(False)
    close(*both(lambda b, i, s: b.clone().scatter_add_(1, i, s), base, g_idx, src), rtol=1e-14)  # atomics
    close(*both(lambda b, v: b.clone().index_put_((st.tensor([2, 2, 2]).to(b.device),), v, accumulate=True), base,
                rnd((3, 7, 5), st.float64, seed=27)), rtol=1e-14)
    same(*both(lambda b, v: b.clone().index_put_((st.tensor([3, 1, 3]).to(b.device),), v), base,
               rnd((3, 7, 5), st.float64, seed=28)))  # repeated positions: the last value wins
    m = rnd((7, 1), st.bool, seed=25)
    same(*both(lambda t, k: t.masked_fill(k, -9.5), x, m))
    same(*both(lambda t: st.nonzero(t > 1), x))
    same(*both(lambda t: t[t > 0.5], x))


def test_index_out_of_range_raises_on_cuda() -> None:
    x = st.zeros(5, 4, device="cuda")
    for bad in (st.tensor([0, 5]), st.tensor([-6])):
        with pytest.raises(IndexError):
            x[bad.to("cuda")]
        with pytest.raises(IndexError):
            x[bad.to("cuda")] = 1.0
    with pytest.raises((IndexError, RuntimeError)):
        st.gather(x, 1, st.tensor([[4]]).to("cuda"))
    with pytest.raises((IndexError, RuntimeError)):
        x.index_select(0, st.tensor([7]).to("cuda"))
    assert float(x.sum().cpu()) == 0.0  # nothing was written


# ---- rounded division and remainders ------------------------------------------------------

@pytest.mark.parametrize("dtype", [st.float32, st.float64, st.bfloat16, st.int32, st.int64])
def test_divmod_bit_identical(dtype: Any) -> None:
    a = rnd((5, 41), dtype, lo=-50, hi=50, seed=31)
    b = rnd((41,), dtype, lo=1, hi=7, seed=32)
    for d in (b, -b, 3, -2):
        for fn in (lambda p, q: st.div(p, q, rounding_mode="trunc"), lambda p, q: st.div(p, q, rounding_mode="floor"),
                   st.remainder, st.fmod, lambda p, q: p // q, lambda p, q: p % q):
            same(*both(fn, a, d))
            same(*both(fn, a.t(), d if not isinstance(d, st.Tensor) else d[:5]))


# ---- join (through the copy kernels) --------------------------------------------------------

def test_cat_stack() -> None:
    a, b = rnd((3, 5), st.float32, seed=41), rnd((3, 2), st.float32, seed=42)
    same(*both(lambda p, q: st.cat([p, q], 1), a, b))
    same(*both(lambda p, q: st.cat([p.t(), q.t(), p.t()], 0), a, b))
    same(*both(lambda p: st.stack([p, p * 2, p[:, ::2].repeat(1, 2)[:, :5]], 1), a))
    same(*both(lambda p: st.cat([p[:0], p], 0), a))
