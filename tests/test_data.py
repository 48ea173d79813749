# st.data: the DataLoader visits every sample once per epoch, reproducibly by seed and freshly
# each epoch; collation shapes/dtypes as torch's default_collate; random_split partitions.
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from hypothesis import given, settings, strategies as st_

import steepest as st
from steepest.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

SIZES = st_.one_of(st_.sampled_from([0, 1, 7, 1003, 4097]), st_.integers(0, 300))


class DictDataset(Dataset):
    """A plain Python dataset (goes through per-sample collation)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"index": i, "x": np.full(3, i, dtype=np.float32), "w": float(i) / 2}


def visited(loader, key):
    """Indices of the samples, batch by batch, and the batch sizes."""
    seen, sizes = [], []
    for batch in loader:
        idx = key(batch).numpy().tolist()
        seen.extend(idx)
        sizes.append(len(idx))
    return seen, sizes


def gen(seed):
    return st.Generator().manual_seed(seed)


@settings(max_examples=60, deadline=None)
@given(n=SIZES, bs=st_.sampled_from([1, 2, 3, 7, 64, 1000]), shuffle=st_.booleans(), drop_last=st_.booleans(),
       plain=st_.booleans())
def test_every_sample_once_per_epoch(n, bs, shuffle, drop_last, plain):
    if plain:
        ds, key = DictDataset(n), (lambda b: b["index"])
    else:
        ds, key = TensorDataset(np.arange(n, dtype=np.int64), np.zeros((n, 2), np.float32)), (lambda b: b[0])
    loader = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last, generator=gen(n))
    for _epoch in range(2):
        seen, sizes = visited(loader, key)
        assert len(sizes) == len(loader)
        if drop_last:
            assert len(seen) == (n // bs) * bs and all(s == bs for s in sizes)
            assert len(set(seen)) == len(seen) and set(seen) <= set(range(n))
        else:
            assert sorted(seen) == list(range(n))
            assert all(s == bs for s in sizes[:-1]) and (not sizes or 1 <= sizes[-1] <= bs)
        if not shuffle:
            assert seen == list(range(len(seen)))


def test_shuffle_is_reproducible_by_seed_and_fresh_each_epoch():
    ds = TensorDataset(np.arange(200))
    a = DataLoader(ds, batch_size=16, shuffle=True, generator=gen(5))
    b = DataLoader(ds, batch_size=16, shuffle=True, generator=gen(5))
    c = DataLoader(ds, batch_size=16, shuffle=True, generator=gen(6))
    ea = [visited(a, lambda x: x[0])[0] for _ in range(3)]
    eb = [visited(b, lambda x: x[0])[0] for _ in range(3)]
    assert ea == eb
    assert ea[0] != ea[1] and ea[1] != ea[2]
    assert visited(c, lambda x: x[0])[0] != ea[0]
    # Without a generator the default one is used: st.manual_seed makes it reproducible.
    d = DataLoader(ds, batch_size=16, shuffle=True)
    st.manual_seed(3)
    first = visited(d, lambda x: x[0])[0]
    st.manual_seed(3)
    assert visited(d, lambda x: x[0])[0] == first


def test_shuffle_order_looks_uniform():
    # Where index 0 lands over many epochs of 5 samples: each position ~ 1/5 of the time.
    loader = DataLoader(TensorDataset(np.arange(5)), batch_size=5, shuffle=True, generator=gen(0))
    counts = np.zeros(5)
    for _ in range(1000):
        (b,) = next(iter(loader))
        counts[b.numpy().tolist().index(0)] += 1
    chi2 = ((counts - 200) ** 2 / 200).sum()
    assert chi2 < 20.5  # the 99.96% point of chi-square with 4 degrees of freedom


def test_plain_and_batched_paths_agree():
    X = np.random.default_rng(0).standard_normal((53, 4)).astype(np.float32)
    y = np.arange(53)
    ds = TensorDataset(X, y)
    fast = DataLoader(ds, batch_size=8, shuffle=True, generator=gen(1))
    slow = DataLoader(ds, batch_size=8, shuffle=True, generator=gen(1), collate_fn=default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == xs.dtype == st.float32 and yf.dtype == ys.dtype == st.int64
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())
        np.testing.assert_array_equal(xf.numpy(), X[yf.numpy()])


def test_numpy_input_is_not_copied():
    X = np.arange(24, dtype=np.float64).reshape(12, 2)
    ds = TensorDataset(X)
    xb, = next(iter(DataLoader(ds, batch_size=4)))
    X[1, 1] = -7.0  # visible through the dataset's tensor and the unshuffled batch (views)
    assert ds.tensors[0][1, 1].item() == -7.0
    assert xb[1, 1].item() == -7.0


def test_random_split_subsets_are_batched_from_the_parent():
    ds = TensorDataset(np.arange(100) * 10)
    train, test = random_split(ds, [0.8, 0.2], generator=gen(2))
    got = sorted(v for (b,) in DataLoader(train, batch_size=7, shuffle=True, generator=gen(0))
                 for v in b.numpy().tolist())
    assert got == sorted(ds[i][0].item() for i in train.indices)


def test_collate_matches_torch_default_collate():
    rng = np.random.default_rng(0)
    samples = [{"img": rng.standard_normal((2, 3)).astype(np.float32), "label": int(i), "w": float(i) * 0.5,
                "ok": bool(i % 2), "n32": np.int32(i), "f32": np.float32(i), "name": f"s{i}",
                "pair": (np.arange(3) + i, float(i))} for i in range(5)]
    ours = default_collate(samples)
    ref = tud.default_collate(samples)

    def check(a, b):
        if isinstance(b, torch.Tensor):
            assert isinstance(a, st.Tensor)
            assert a.shape == tuple(b.shape)
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        elif isinstance(b, dict):
            assert a.keys() == b.keys()
            for k in b:
                check(a[k], b[k])
        elif isinstance(b, (list, tuple)) and b and isinstance(b[0], torch.Tensor):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                check(x, y)
        else:
            assert list(a) == list(b)

    check(ours, ref)


def test_collate_tensors_tuples_and_namedtuples():
    P = collections.namedtuple("P", "x y")
    batch = [P(st.ones(2, 3) * i, st.tensor(i)) for i in range(4)]
    out = default_collate(batch)
    assert isinstance(out, P) and out.x.shape == (4, 2, 3) and out.y.shape == (4,)
    assert out.y.numpy().tolist() == [0, 1, 2, 3]
    lst = default_collate([[1, 2.5], [3, 4.5]])
    assert isinstance(lst, list) and lst[0].dtype == st.int64 and lst[1].dtype == st.float64
    tup = default_collate([(np.zeros(2, np.float32),), (np.ones(2, np.float32),)])
    assert isinstance(tup, tuple) and tup[0].shape == (2, 2) and tup[0].dtype == st.float32


@settings(max_examples=60, deadline=None)
@given(n=SIZES, cuts=st_.lists(st_.floats(0, 1), min_size=0, max_size=4), seed=st_.integers(0, 2**32))
def test_random_split_partitions(n, cuts, seed):
    bounds = sorted({0, n, *(int(c * n) for c in cuts)})
    lengths = [b - a for a, b in zip(bounds, bounds[1:])] or [0]
    parts = random_split(TensorDataset(np.arange(n)), lengths, generator=gen(seed))
    assert [len(p) for p in parts] == lengths
    allidx = [i for p in parts for i in p.indices]
    assert sorted(allidx) == list(range(n))
    again = random_split(TensorDataset(np.arange(n)), lengths, generator=gen(seed))
    assert [p.indices for p in again] == [p.indices for p in parts]


@pytest.mark.parametrize("n,fractions,expected", [
    (10, [0.5, 0.5], [5, 5]), (10, [0.33, 0.33, 0.34], [4, 3, 3]), (7, [0.6, 0.4], [5, 2]),
    (3, [0.1, 0.9], [1, 2]), (0, [0.5, 0.5], [0, 0]),
])
def test_random_split_fractions_like_torch(n, fractions, expected):
    ours = [len(p) for p in random_split(TensorDataset(np.arange(n)), fractions, generator=gen(0))]
    ref = [len(p) for p in tud.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))]
    assert ours == ref == expected


@pytest.mark.parametrize("call,exc,match", [
    (lambda ds: DataLoader(ds, batch_size=0), ValueError, "batch_size"),
    (lambda ds: DataLoader(ds, batch_size=-3), ValueError, "batch_size"),
    (lambda ds: DataLoader(ds, batch_size=2.5), ValueError, "batch_size"),
    (lambda ds: DataLoader(ds, batch_size=True), ValueError, "batch_size"),
    (lambda ds: DataLoader(ds, shuffle=True, generator=np.random.default_rng(0)), TypeError, "st.Generator"),
    (lambda ds: DataLoader(ds, num_workers=-1), ValueError, "num_workers"),
    (lambda ds: DataLoader(ds, collate_fn=3), TypeError, "collate_fn"),
    (lambda ds: DataLoader(iter([1, 2])), TypeError, "__len__"),
    (lambda ds: random_split(ds, [3, 3]), ValueError, "sum to 6"),
    (lambda ds: random_split(ds, [5, -1, 6]), ValueError, "non-negative"),
    (lambda ds: random_split(ds, [0.5, 0.2]), ValueError, "sum"),
    (lambda ds: random_split(ds, []), ValueError, "empty"),
    (lambda ds: random_split(ds, [5, 5], generator=42), TypeError, "st.Generator"),
    (lambda ds: TensorDataset(np.zeros(3), np.zeros(4)), ValueError, "same size"),
    (lambda ds: TensorDataset([1, 2, 3]), TypeError, "tensor or numpy array"),
    (lambda ds: TensorDataset(), ValueError, "at least one"),
    (lambda ds: Subset(ds, [0, 10]), IndexError, "out of range"),
    (lambda ds: default_collate([{"a": 1}, {"b": 2}]), ValueError, "different keys"),
    (lambda ds: default_collate([(1, 2), (1,)]), ValueError, "different lengths"),
    (lambda ds: default_collate([object()]), TypeError, "don't know how to batch"),
    (lambda ds: default_collate([]), ValueError, "empty batch"),
])
def test_bad_input_raises_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call(TensorDataset(np.arange(10)))


def test_len_and_indexing():
    ds = TensorDataset(st.arange(10), st.arange(10) * 2)
    assert len(ds) == 10 and ds[3][1].item() == 6
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert len(ds + ds) == 20 and (ds + ds)[13][0].item() == 3
