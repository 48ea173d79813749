"""cat / stack / split / chunk / unbind: values against numpy, shapes, dtype promotion and
errors against torch; the pieces of a split are views on the input's memory."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

import steepest as st

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
HYP = settings(max_examples=80, deadline=None)


def make(rng, shape, dtype, strided):
    if strided and len(shape) > 0:
        base = (rng.standard_normal([2 * s + 1 for s in shape]) * 4).astype(dtype)
        return base[tuple(slice(1, None, 2) for _ in shape)]
    return (rng.standard_normal(shape) * 4).astype(dtype)


def to_torch(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@given(data=hs.data())
@HYP
def test_cat_matches_torch(data):
    rng = np.random.default_rng(data.draw(hs.integers(0, 2**32 - 1)))
    ndim = data.draw(hs.integers(1, 4))
    shape = [data.draw(hs.sampled_from([0, 1, 2, 3, 7])) for _ in range(ndim)]
    dim = data.draw(hs.integers(-ndim, ndim - 1))
    arrays = []
    for _ in range(data.draw(hs.integers(1, 4))):
        s = list(shape)
        s[dim] = data.draw(hs.sampled_from([0, 1, 2, 5]))
        arrays.append(make(rng, s, data.draw(hs.sampled_from(DTYPES)), data.draw(hs.booleans())))
    out = st.cat([st.from_numpy(a) for a in arrays], dim)
    ref = torch.cat([to_torch(a) for a in arrays], dim)
    assert out.shape == tuple(ref.shape)
    assert out.dtype.name == str(ref.dtype).replace("torch.", "")
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


@given(data=hs.data())
@HYP
def test_stack_matches_numpy(data):
    rng = np.random.default_rng(data.draw(hs.integers(0, 2**32 - 1)))
    ndim = data.draw(hs.integers(0, 3))
    shape = [data.draw(hs.sampled_from([0, 1, 2, 3, 7])) for _ in range(ndim)]
    dim = data.draw(hs.integers(-ndim - 1, ndim))
    arrays = [make(rng, shape, np.float32, data.draw(hs.booleans())) for _ in range(data.draw(hs.integers(1, 4)))]
    out = st.stack([st.from_numpy(np.asarray(a)) for a in arrays], dim)
    ref = np.stack(arrays, axis=dim)
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out.numpy(), ref)


def test_cat_legacy_empty_and_promotion():
    a = st.ones([2, 3])
    assert st.cat([a, st.zeros([0])]).shape == (2, 3)
    assert st.cat([st.zeros([0]), a], 1).shape == (2, 3)
    assert st.cat([a, st.zeros([0], dtype=st.float64)]).dtype == st.float64  # empties still promote
    assert st.cat([st.zeros([0]), st.zeros([0])], 1).shape == (0,)
    assert st.cat([st.zeros([0, 3]), a]).shape == (2, 3)
    got = st.cat([st.tensor([1, 2], dtype=st.int32), st.tensor([True])])
    assert got.dtype == st.int32 and got.tolist() == [1, 2, 1]
    got = st.cat([st.tensor([1.5]), st.tensor([2], dtype=st.int64), st.tensor([True])])
    assert got.dtype == st.float32 and got.tolist() == [1.5, 2.0, 1.0]
    x = st.tensor([[1.0, 2.0]], dtype=st.bfloat16)
    assert st.cat([x, x], 0).dtype == st.bfloat16 and st.cat([x, x], 0).float().tolist() == [[1, 2], [1, 2]]
    assert st.concat([a, a]).shape == (4, 3) and st.concatenate([a, a], axis=1).shape == (2, 6)
    assert st.cat((a, a), dim=-1).shape == (2, 6)


def test_cat_stack_errors():
    a = st.zeros([2, 3])
    cases = [
        (lambda: st.cat([]), lambda: torch.cat([]), ValueError, "cat\\(\\): expected a non-empty list of Tensors"),
        (lambda: st.cat([a, st.zeros([3, 4])]), lambda: torch.cat([torch.zeros(2, 3), torch.zeros(3, 4)]),
         ValueError, "sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1"),
        (lambda: st.cat([a, st.zeros([3, 4])], 1), lambda: torch.cat([torch.zeros(2, 3), torch.zeros(3, 4)], 1),
         ValueError, "except in dimension 1. Expected size 2 but got size 3 for tensor number 1"),
        (lambda: st.cat([a, st.zeros([3])]), lambda: torch.cat([torch.zeros(2, 3), torch.zeros(3)]),
         ValueError, "cat\\(\\): tensors must have the same number of dimensions: got 2 .* and 1"),
        (lambda: st.cat([st.zeros([3]), st.zeros([])]), lambda: torch.cat([torch.zeros(3), torch.zeros(())]),
         ValueError, "zero-dimensional tensor \\(at position 1\\) cannot be concatenated"),
        (lambda: st.cat([a, a], 2), lambda: torch.cat([torch.zeros(2, 3)] * 2, 2), IndexError, "out of range"),
        (lambda: st.stack([]), lambda: torch.stack([]), ValueError, "stack\\(\\): expects a non-empty list"),
        (lambda: st.stack([a, st.zeros([2, 4])]), lambda: torch.stack([torch.zeros(2, 3), torch.zeros(2, 4)]),
         ValueError, "stack\\(\\): expects each tensor to be equal size, but got \\(2, 3\\) at entry 0 and \\(2, 4\\) at entry 1"),
        (lambda: st.stack([a, a], 3), lambda: torch.stack([torch.zeros(2, 3)] * 2, 3), IndexError, "\\[-3, 2\\]"),
    ]
    for ours, theirs, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            ours()
        with pytest.raises((RuntimeError, ValueError, IndexError)):
            theirs()


@given(data=hs.data())
@HYP
def test_split_and_chunk_match_torch(data):
    rng = np.random.default_rng(data.draw(hs.integers(0, 2**32 - 1)))
    ndim = data.draw(hs.integers(1, 3))
    shape = [data.draw(hs.sampled_from([0, 1, 2, 5, 7])) for _ in range(ndim)]
    dim = data.draw(hs.integers(-ndim, ndim - 1))
    a = make(rng, shape, np.float32, data.draw(hs.booleans()))
    s, t = st.from_numpy(a), to_torch(a)
    size = shape[dim]
    how = data.draw(hs.sampled_from(["size", "sections", "chunk"]))
    if how == "size":
        k = data.draw(hs.integers(1 if size else 0, 8))
        got, ref = st.split(s, k, dim), torch.split(t, k, dim)
    elif how == "sections":
        cuts = sorted(data.draw(hs.lists(hs.integers(0, size), max_size=3)))
        sections = [b - a_ for a_, b in zip([0] + cuts, cuts + [size])]
        got, ref = s.split(sections, dim), torch.split(t, sections, dim)
    else:
        k = data.draw(hs.integers(1, 8))
        got, ref = s.chunk(k, dim), torch.chunk(t, k, dim)
    assert isinstance(got, tuple) and len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == tuple(r.shape)
        np.testing.assert_array_equal(g.numpy(), r.numpy())


def test_pieces_are_views():
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    s = st.from_numpy(a)
    pieces = s.split(2, 1)
    assert [p.shape for p in pieces] == [(4, 2)] * 3
    assert pieces[1].data_ptr() == s.data_ptr() + 2 * 4 and pieces[1].stride() == (6, 1)
    pieces[2].fill_(-1.0)
    assert (a[:, 4:] == -1).all() and (a[:, :4] != -1).all()
    c = st.chunk(s, 3, 0)
    assert [p.shape for p in c] == [(2, 6), (2, 6)] and c[1].storage_offset() == 12
    u = s.unbind(1)
    assert len(u) == 6 and u[3].shape == (4,) and u[3].stride() == (6,)
    assert u[3].tolist() == torch.from_numpy(a).unbind(1)[3].tolist()
    assert [x.tolist() for x in st.unbind(s)] == [x.tolist() for x in torch.from_numpy(a).unbind()]


def test_split_chunk_errors():
    x = st.arange(5)
    cases = [
        (lambda: x.split(-1), lambda: torch.arange(5).split(-1), ValueError, "split_size must be non-negative, but got split_size=-1"),
        (lambda: x.split(0), lambda: torch.arange(5).split(0), ValueError, "split_size can only be 0 if dimension size is 0, but got dimension size of 5"),
        (lambda: x.split([2, 2]), lambda: torch.arange(5).split([2, 2]), ValueError,
         "split_sizes must sum exactly to 5 \\(the input's size at dimension 0\\), but got split_sizes=\\[2, 2\\]"),
        (lambda: x.split([6, -1]), lambda: torch.arange(5).split([6, -1]), ValueError, "non-negative entries.*\\[6, -1\\]"),
        (lambda: x.chunk(0), lambda: torch.arange(5).chunk(0), ValueError, "chunks must be greater than 0, got: 0"),
        (lambda: st.tensor(3).split(1), lambda: torch.tensor(3).split(1), ValueError, "at least a 1-dimensional tensor"),
        (lambda: st.tensor(3).chunk(1), lambda: torch.tensor(3).chunk(1), ValueError, "at least a 1-dimensional tensor"),
        (lambda: x.split(2, 1), lambda: torch.arange(5).split(2, 1), IndexError, "out of range"),
        (lambda: st.tensor(3).unbind(), lambda: torch.tensor(3).unbind(), IndexError, "tensor has no dimensions"),
        (lambda: x.split("2"), lambda: torch.arange(5).split("2"), TypeError, "split_size_or_sections must be an int or a list"),
    ]
    for ours, theirs, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            ours()
        with pytest.raises((RuntimeError, ValueError, IndexError, TypeError)):
            theirs()
    # Empty dims, as torch: one empty piece for split, `chunks` empty pieces for chunk.
    e = st.zeros([0])
    assert len(e.split(0)) == 1 and len(e.split(2)) == 1
    assert [p.shape for p in st.zeros([2, 0]).chunk(3, 1)] == [(2, 0)] * 3
