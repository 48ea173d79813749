"""st.nn.SparseLinear and st.datasets.SparseRows against a dense float64 numpy formula:
outputs x W + b and the gradients of the weight and bias, for generated shapes and
sparsities (empty rows and repeated rows included), and clear errors for bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st
from steepest.datasets import SparseBatches, SparseRows


def sparse_from_dense(dense):
    r, c = np.nonzero(dense)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=dense.shape[0]))])
    return SparseRows(indptr, c, dense[r, c], dense.shape[1])


@settings(max_examples=40, deadline=None)
@given(n=hs.integers(0, 7), cols=hs.integers(1, 9), out=hs.integers(1, 4), density=hs.floats(0, 1),
       bias=hs.booleans(), seed=hs.integers(0, 2**31))
def test_values_and_gradients_match_dense_float64(n, cols, out, density, bias, seed):
    rng = np.random.default_rng(seed)
    dense = ((rng.random((n, cols)) < density) * rng.normal(size=(n, cols))).astype(np.float32)
    x = sparse_from_dense(dense)
    assert np.array_equal(x.to_dense(), dense)
    st.manual_seed(seed)
    m = st.nn.SparseLinear(cols, out, bias=bias)
    W = m.weight.detach().numpy().astype(np.float64)
    b = m.bias.detach().numpy().astype(np.float64) if bias else 0.0
    y = m(x)
    ref = dense.astype(np.float64) @ W + b
    assert tuple(y.shape) == (n, out)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    g = rng.normal(size=(n, out))  # d loss / d y for loss = sum(y * g)
    (y * st.from_numpy(g.astype(np.float32))).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), dense.astype(np.float64).T @ g, rtol=1e-5, atol=1e-5)
    if bias:
        np.testing.assert_allclose(m.bias.grad.numpy(), g.sum(0), rtol=1e-5, atol=1e-5)


def test_subset_and_batches_keep_rows_whole():
    rng = np.random.default_rng(0)
    dense = ((rng.random((10, 6)) < 0.4) * rng.normal(size=(10, 6))).astype(np.float32)
    x = sparse_from_dense(dense)
    idx = [7, 0, 0, 3]
    assert np.array_equal(x.subset(idx).to_dense(), dense[idx])
    labels = np.arange(10)
    seen = []
    for rows, y in SparseBatches(x, labels, 4, shuffle=True, seed=1):
        assert np.array_equal(rows.to_dense(), dense[y.numpy()])
        seen += y.numpy().tolist()
    assert sorted(seen) == list(range(10))
    (whole, y), = list(SparseBatches(x, labels, 100))
    assert whole is x and np.array_equal(y.numpy(), labels)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"column ids must be in \[0, 3\)"):
        SparseRows([0, 1], [3], [1.0], 3)
    with pytest.raises(ValueError, match="indptr"):
        SparseRows([0, 2, 1], [0, 1], [1.0, 2.0], 3)
    with pytest.raises(ValueError, match="indices has shape"):
        SparseRows([0, 2], [0], [1.0], 3)
    x = SparseRows([0, 1], [0], [1.0], 3)
    with pytest.raises(IndexError, match="out of range"):
        x.subset([1])
    with pytest.raises(ValueError, match="in_features is 4"):
        st.nn.SparseLinear(4, 1)(x)
    with pytest.raises(TypeError, match="SparseRows"):
        st.nn.SparseLinear(3, 1)(st.zeros(2, 3))
    with pytest.raises(ValueError, match="in_features"):
        st.nn.SparseLinear(0, 1)
    with pytest.raises(ValueError, match="rows but 2 labels"):
        SparseBatches(x, [0, 1], 1)
