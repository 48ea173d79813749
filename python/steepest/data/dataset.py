"""Map-style datasets (indexable, with a length) and random_split. TensorDataset keeps its
arrays as tensors that share memory with any numpy input, and serves whole batches at once
(a slice or one gather per tensor) so the DataLoader needn't stack samples one by one."""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

import numpy as np

from .. import _core
from .._tensor import as_tensor


class Dataset:
    """Base of map-style datasets: define __getitem__(index) and __len__()."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base of stream-style datasets: define __iter__(). With DataLoader workers each worker
    iterates its own copy; split the stream with get_worker_info() (its id and num_workers),
    or every worker yields every item."""

    def __iter__(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        raise TypeError("IterableDatasets can't be concatenated with +")


def _as_tensor(x, i):
    if isinstance(x, _core.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return as_tensor(x)  # shares the array's memory where its layout and dtype allow
    raise TypeError(f"TensorDataset: argument {i} must be a tensor or numpy array, got {type(x).__name__}")


def _index_tensor(index):
    """A batch index (slice, list, numpy array or int64 tensor) as something tensors take."""
    if isinstance(index, (slice, _core.Tensor)):
        return index
    return as_tensor(np.asarray(index, dtype=np.int64))


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors (or numpy arrays): item i is
    (t0[i], t1[i], ...). All must have the same first dimension."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(self.tensors):
            if len(t.shape) == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional; samples are rows of dimension 0")
        n = self.tensors[0].shape[0]
        sizes = [t.shape[0] for t in self.tensors]
        if any(s != n for s in sizes):
            raise ValueError(f"TensorDataset: all tensors must have the same size in dimension 0, got {sizes}")

    def __getitem__(self, index: int) -> Any:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _get_batch(self, index):
        """The collated batch at `index` (a slice: views, no copy; or an int64 index tensor)."""
        index = _index_tensor(index)
        return tuple(t[index] for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Iterable[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]
        n = len(dataset)
        for i in self.indices:
            if not -n <= i < n:
                raise IndexError(f"Subset: index {i} is out of range for a dataset of {n} samples")

    def __getitem__(self, index: int) -> Any:
        if isinstance(index, slice):
            return [self.dataset[i] for i in self.indices[index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def _get_batch(self, index):
        """The collated batch at `index`, when the underlying dataset serves batches."""
        if isinstance(index, slice):
            inner = self.indices[index]
        else:
            idx = index.numpy() if isinstance(index, _core.Tensor) else np.asarray(index, dtype=np.int64)
            inner = np.asarray(self.indices, dtype=np.int64)[idx]
        return self.dataset._get_batch(np.asarray(inner, dtype=np.int64))


class ConcatDataset(Dataset):
    """The samples of several datasets, one after another."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        if index < 0:
            index += n
        k = np.searchsorted(self.cumulative_sizes, index, side="right")
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]


def _split_lengths(n, lengths):
    """Integer lengths from lengths or fractions (torch's rule: floor each fraction, then hand
    the remainder out one by one from the first part)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or x < 0:
            raise ValueError(f"random_split: lengths must be non-negative numbers, got {lengths}")
    # As torch: lengths summing to 1 (at most) are fractions of the dataset.
    is_fractions = math.isclose(sum(lengths), 1) and sum(lengths) <= 1
    if is_fractions:
        out = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(out)):
            out[i % len(out)] += 1
        return out
    if any(not float(x).is_integer() for x in lengths):
        raise ValueError(f"random_split: fractions must sum to 1, got {lengths} (sum {sum(lengths)})")
    out = [int(x) for x in lengths]
    if sum(out) != n:
        raise ValueError(f"random_split: lengths {out} sum to {sum(out)}, but the dataset has {n} samples")
    return out


def random_split(dataset: Any, lengths: Sequence[Union[int, float]],
                 generator: Optional[_core.Generator] = None) -> list[Subset]:
    """Splits `dataset` into non-overlapping random Subsets of the given lengths, or of the
    given fractions of its length. `generator` (an st.Generator; default st.default_generator)
    makes the split reproducible: st.Generator().manual_seed(42)."""
    if generator is None:
        generator = _core.default_generator
    elif not isinstance(generator, _core.Generator):
        raise TypeError(f"random_split: generator must be an st.Generator, got {type(generator).__name__}")
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    perm = _core.randperm(n, generator=generator).numpy().tolist()
    out, start = [], 0
    for size in sizes:
        out.append(Subset(dataset, perm[start:start + size]))
        start += size
    return out
