"""matmul / mm / bmm / mv / dot / @: values against numpy float64 for every operand layout
(contiguous, transposed views, strided, broadcast batches with stride 0, 1-D promotion,
zero-size dims), shapes and errors against torch, and a printed sgemm GFLOP/s figure."""
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs
from numpy.lib.stride_tricks import as_strided

import steepest as st

SIZES = [0, 1, 2, 3, 7, 16, 33]


def layout(draw, rng, shape, dtype):
    """A numpy array of `shape` in a random memory layout (all share positive strides)."""
    kind = draw(hs.sampled_from(["contiguous", "transposed", "strided", "broadcast"]))
    if kind == "transposed" and len(shape) >= 2:
        base = rng.standard_normal(shape[:-2] + [shape[-1], shape[-2]]).astype(dtype)
        return np.swapaxes(base, -1, -2)
    if kind == "strided" and len(shape) >= 1:
        base = rng.standard_normal([s * 2 + 1 for s in shape]).astype(dtype)
        return base[tuple(slice(1, None, 2) for _ in shape)]
    if kind == "broadcast" and len(shape) >= 3:
        # The leading batch dim has stride 0: one matrix seen shape[0] times.
        one = rng.standard_normal(shape[1:]).astype(dtype)
        return as_strided(one, shape=shape, strides=(0,) + one.strides)
    return rng.standard_normal(shape).astype(dtype)


@hs.composite
def operands(draw, dtype):
    rng = np.random.default_rng(draw(hs.integers(0, 2**32 - 1)))
    m, k, n = (draw(hs.sampled_from(SIZES)) for _ in range(3))
    nd_a, nd_b = draw(hs.integers(1, 4)), draw(hs.integers(1, 4))
    batch = [draw(hs.sampled_from([1, 2, 3])) for _ in range(2)]
    ba = [b if draw(hs.booleans()) else 1 for b in batch][2 - max(0, nd_a - 2):]
    bb = [b if draw(hs.booleans()) else 1 for b in batch][2 - max(0, nd_b - 2):]
    sa = [k] if nd_a == 1 else ba + [m, k]
    sb = [k] if nd_b == 1 else bb + [k, n]
    return layout(draw, rng, sa, dtype), layout(draw, rng, sb, dtype)


def check_close(got, a, b, rtol):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ref = np.matmul(a64, b64)
    scale = np.matmul(np.abs(a64), np.abs(b64))
    got = np.asarray(got)
    assert got.shape == np.shape(ref)
    assert np.all(np.abs(got - ref) <= rtol * scale + 1e-30)


@given(ops=hs.one_of(operands(np.float32), operands(np.float64)))
@settings(max_examples=100, deadline=None)
def test_matmul_matches_numpy_for_all_layouts(ops):
    a, b = ops
    rtol = 1e-5 if a.dtype == np.float32 else 1e-12
    out = st.matmul(st.from_numpy(a), st.from_numpy(b))
    assert out.dtype == (st.float32 if a.dtype == np.float32 else st.float64)
    assert out.shape == tuple(torch.matmul(torch.from_numpy(a.copy()), torch.from_numpy(b.copy())).shape)
    check_close(out.numpy(), a, b, rtol)


@given(ops=operands(np.int64), use32=hs.booleans())
@settings(max_examples=40, deadline=None)
def test_integer_matmul_is_exact(ops, use32):
    a, b = (np.round(x * 5).astype(np.int32 if use32 else np.int64) for x in ops)
    out = st.from_numpy(a) @ st.from_numpy(b)
    assert out.dtype == (st.int32 if use32 else st.int64)
    np.testing.assert_array_equal(out.numpy(), np.matmul(a, b))


@pytest.mark.parametrize("dt,tdt", [(st.bfloat16, torch.bfloat16), (st.float16, torch.float16)])
def test_half_matmul_computes_in_float32(dt, tdt):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 33, 40)).astype(np.float32), rng.standard_normal((40, 7)).astype(np.float32)
    ta, tb = torch.tensor(a).to(tdt), torch.tensor(b).to(tdt)
    out = st.tensor(a, dtype=dt) @ st.tensor(b, dtype=dt)
    assert out.dtype == dt and out.shape == (5, 33, 7)
    # Reference: the rounded inputs multiplied in float64, rounded once to the dtype.
    ref = torch.from_numpy(ta.double().numpy() @ tb.double().numpy()).to(tdt).double().numpy()
    got = out.float().numpy().astype(np.float64)
    ulp = 2.0 ** -7 if dt == st.bfloat16 else 2.0 ** -10
    assert np.all(np.abs(got - ref) <= 1.01 * ulp * np.abs(ref) + 1e-3)
    np.testing.assert_allclose(got, torch.matmul(ta, tb).double().numpy(), rtol=2 * ulp, atol=1e-2)


@pytest.mark.parametrize("sa,sb", [
    ((7,), (7,)), ((3, 7), (7,)), ((7,), (7, 5)), ((4, 3, 7), (7,)), ((7,), (2, 7, 5)),
    ((2, 1, 3, 7), (4, 7, 5)), ((3, 0), (0, 4)), ((0,), (0,)), ((2, 0, 3), (3, 4)), ((0, 3), (3, 4)),
    ((3, 4), (4, 0)), ((0, 2, 3), (3, 4)), ((4097, 3), (3, 2)), ((2, 4097), (4097,)),
])
def test_shapes_and_edge_cases_like_torch(sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    out = st.from_numpy(a) @ st.from_numpy(b)
    ref = torch.from_numpy(a) @ torch.from_numpy(b)
    assert out.shape == tuple(ref.shape)
    check_close(out.numpy(), a, b, 1e-12)


def test_zero_inner_dim_gives_zeros():
    out = st.matmul(st.ones([2, 3, 0]), st.ones([0, 5]))
    assert out.shape == (2, 3, 5) and np.all(out.numpy() == 0)
    assert st.dot(st.ones([0]), st.ones([0])).item() == 0


def test_strided_vectors_and_transposed_matrices_without_copy_layouts():
    """Views BLAS can address directly (Trans, incx) and views it can't (stride 0 rows)."""
    rng = np.random.default_rng(4)
    base = rng.standard_normal((40, 60)).astype(np.float32)
    cases = [
        (base.T, base[:, :7]),                    # (60, 40) transposed @ (40, 7) column slice
        (base[:5, ::3], base[::2, :1]),           # column stride 3 @ (20, 1) with row stride 120
        (base[:, 3], base[:, 5]),                 # two strided vectors (dot with incx)
        (base[2:9, :40].T, base[0, :7]),          # transposed matrix @ vector (gemv Trans)
        (base[0, :40], base[:, 2:9]),             # vector @ sliced matrix
        (base[0, :40], base[2:9, :40].T),         # vector @ transposed matrix
        (as_strided(base[0], (5, 60), (0, 4)), base.T[:, :3]),  # stride-0 rows: must be copied
    ]
    for a, b in cases:
        out = st.from_numpy(a) @ st.from_numpy(b)
        check_close(out.numpy(), a, b, 1e-5)


def test_batched_paths():
    rng = np.random.default_rng(9)
    # Many small products (OpenMP over batches), a foldable batch, a non-foldable transposed
    # batch, and broadcast on both sides.
    cases = [
        (rng.standard_normal((64, 16, 16)), rng.standard_normal((64, 16, 16))),
        (rng.standard_normal((6, 50, 30)).astype(np.float32), rng.standard_normal((30, 20)).astype(np.float32)),
        (np.swapaxes(rng.standard_normal((6, 30, 50)), 1, 2), rng.standard_normal((30, 20))),
        (rng.standard_normal((3, 1, 9, 4)), rng.standard_normal((5, 4, 2))),
        (rng.standard_normal((2, 3, 50, 30))[:, 1], rng.standard_normal((30, 20))),
    ]
    for a, b in cases:
        check_close((st.from_numpy(a) @ st.from_numpy(b)).numpy(), a, b, 1e-5 if a.dtype == np.float32 else 1e-12)


def test_thin_forms_check_dims_like_torch():
    rng = np.random.default_rng(2)
    m, v, b3 = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 3, 4))
    sm, sv, sb3 = st.from_numpy(m), st.from_numpy(v), st.from_numpy(b3)
    w = st.from_numpy(rng.standard_normal((4, 5)))
    np.testing.assert_allclose(st.mm(sm, w).numpy(), m @ w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(sm.mm(w).numpy(), m @ w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(st.mv(sm, sv).numpy(), m @ v, rtol=1e-12)
    np.testing.assert_allclose(st.dot(sv, sv).item(), v @ v, rtol=1e-12)
    bw = st.from_numpy(rng.standard_normal((2, 4, 5)))
    np.testing.assert_allclose(st.bmm(sb3, bw).numpy(), b3 @ bw.numpy(), rtol=1e-12)
    np.testing.assert_allclose(sb3.bmm(bw).numpy(), b3 @ bw.numpy(), rtol=1e-12)
    for f, args, pattern in [
        (st.mm, (sb3, w), "mm: expected 2-D tensors, but got 3-D and 2-D"),
        (st.mm, (sm, sm), r"mm: shapes \(3, 4\) and \(3, 4\) cannot be multiplied \(4 != 3\)"),
        (st.bmm, (sm, w), "bmm: expected 3-D tensors"),
        (st.bmm, (sb3, st.zeros([3, 4, 5], dtype=st.float64)), r"bmm: batch sizes of shapes \(2, 3, 4\) and \(3, 4, 5\) differ \(2 != 3\)"),
        (st.mv, (sm, sm), "mv: expected a 2-D matrix and a 1-D vector"),
        (st.dot, (sm, sv), "dot: expected 1-D tensors"),
        (st.dot, (sv, st.zeros([3], dtype=st.float64)), r"dot: shapes \(4,\) and \(3,\) cannot be multiplied"),
    ]:
        with pytest.raises(ValueError, match=pattern):
            f(*args)
        targs = tuple(torch.from_numpy(x.numpy()) for x in args)
        with pytest.raises(RuntimeError):  # torch rejects the same calls
            getattr(torch, f.__name__)(*targs)


def test_matmul_errors():
    cases = [
        ((st.zeros([3, 4]), st.zeros([5, 6])), ValueError, r"^matmul: shapes \(3, 4\) and \(5, 6\) cannot be multiplied \(4 != 5\)$"),
        ((st.zeros([2, 3, 4]), st.zeros([3, 4, 5])), ValueError, r"matmul: batch dims of shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast"),
        ((st.zeros([]), st.zeros([3])), ValueError, "matmul: both arguments need to be at least 1-D, but they are 0-D and 1-D"),
        ((st.zeros([3]), st.zeros([4])), ValueError, r"matmul: shapes \(3,\) and \(4,\) cannot be multiplied \(3 != 4\)"),
        ((st.zeros([2, 3]), st.zeros([3, 2], dtype=st.float64)), TypeError,
         "matmul: expected both operands to have the same dtype, but got float32 and float64"),
        ((st.zeros([2, 2], dtype=st.bool), st.zeros([2, 2], dtype=st.bool)), TypeError, "matmul: bool tensors are not supported"),
    ]
    for (a, b), exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            st.matmul(a, b)
        ta, tb = (torch.zeros(tuple(x.shape), dtype=getattr(torch, x.dtype.name)) for x in (a, b))
        with pytest.raises(RuntimeError):  # torch rejects each of these too
            torch.matmul(ta, tb)


def test_operator_forms():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    sa, sb = st.from_numpy(a), st.from_numpy(b)
    for out in (sa @ sb, sa.matmul(sb), sb.__rmatmul__(sa)):
        check_close(out.numpy(), a, b, 1e-5)

    class Other:
        pass

    with pytest.raises(TypeError):
        sa @ Other()
    with pytest.raises(TypeError):
        Other() @ sa


def test_sgemm_throughput_is_blas_class(capsys):
    """Prints sgemm GFLOP/s at 1024^3 (informational); checks the product's values."""
    n = 1024
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
    sa, sb = st.from_numpy(a), st.from_numpy(b)
    out = sa @ sb
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        sa @ sb
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    st.from_numpy(a.T.copy().T) @ sb  # a transposed left operand (BLAS Trans, no copy)
    t_trans = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n[sgemm 1024^3] {2 * n**3 / best / 1e9:.1f} GFLOP/s ({best * 1e3:.1f} ms, "
              f"{st.get_num_threads()} threads); transposed operand {t_trans * 1e3:.1f} ms")
    check_close(out.numpy()[:64], a[:64], b, 1e-5)
