"""DataLoader: mini-batches from a map-style dataset, shuffled reproducibly by an
st.Generator (a fresh permutation each epoch from the generator's stream), and
default_collate, which stacks samples (tuples/dicts of tensors, numbers, numpy arrays) into
batch tensors. Batches of a TensorDataset (or a Subset of one) are cut in one slice or gather
per tensor; unshuffled ones are views of the data, so numpy input is never copied."""
from __future__ import annotations

import collections.abc
import numbers
from collections.abc import Iterator
from typing import Any, Callable, Optional

import numpy as np

from .. import _core
from .._tensor import as_tensor


def default_collate(batch: Any) -> Any:
    """Stacks a list of samples into a batch, recursively: tensors -> st.stack, numpy arrays
    and numpy scalars -> one array -> tensor (no further copy), Python floats -> float64,
    ints -> int64, bools -> bool tensors; tuples, lists and dicts are collated field by
    field (keeping their type); strings stay a list."""
    if not batch:
        raise ValueError("default_collate: empty batch")
    elem = batch[0]
    if isinstance(elem, _core.Tensor):
        return _core.stack(list(batch))
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        arr = np.stack([np.asarray(b) for b in batch])
        if arr.dtype == object:
            raise TypeError("default_collate: numpy arrays of dtype object can't become a tensor")
        return as_tensor(arr)
    if isinstance(elem, bool):
        return as_tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return as_tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return as_tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        for b in batch:
            if not isinstance(b, collections.abc.Mapping) or b.keys() != elem.keys():
                raise ValueError(f"default_collate: samples have different keys: {list(elem.keys())} and "
                                 f"{list(b.keys()) if isinstance(b, collections.abc.Mapping) else type(b).__name__}")
        out = {k: default_collate([b[k] for b in batch]) for k in elem}
        try:
            return type(elem)(out)  # type: ignore[call-arg]  # a Mapping subclass built from a dict
        except TypeError:
            return out
    if isinstance(elem, (tuple, list)):
        n = len(elem)
        for b in batch:
            if not isinstance(b, (tuple, list)) or len(b) != n:
                raise ValueError(f"default_collate: samples have different lengths ({n} and "
                                 f"{len(b) if isinstance(b, (tuple, list)) else type(b).__name__})")
        fields = [default_collate([b[i] for b in batch]) for i in range(n)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: don't know how to batch samples of type {type(elem).__name__}; "
                    "expected tensors, numpy arrays, numbers, strings, or tuples/lists/dicts of them")


def _serves_batches(dataset):
    # TensorDataset, and Subsets (from random_split) of one, cut whole batches at once.
    from .dataset import Subset, TensorDataset
    if isinstance(dataset, TensorDataset):
        return True
    return isinstance(dataset, Subset) and _serves_batches(dataset.dataset)


class DataLoader:
    """Iterates over `dataset` in batches of `batch_size` samples.

    shuffle: visit the samples in a new random order each epoch (each `iter(loader)`), drawn
      from `generator` (an st.Generator; default st.default_generator, so st.manual_seed makes
      runs reproducible). With drop_last=False every sample is visited exactly once per epoch;
      with drop_last=True the last incomplete batch is skipped.
    collate_fn: turns a list of samples into a batch (default: default_collate).
    sampler: an iterable of dataset indices with a length (e.g. a DistributedSampler) giving
      each epoch's sample order instead of shuffle (the two exclude each other, as in torch).
    Loading happens in this process (num_workers must be 0).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 collate_fn: Optional[Callable[[list[Any]], Any]] = None,
                 generator: Optional[_core.Generator] = None, num_workers: int = 0, sampler: Any = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must be indexable and have a length (__getitem__ and "
                            f"__len__), got {type(dataset).__name__}")
        if generator is not None and not isinstance(generator, _core.Generator):
            raise TypeError(f"DataLoader: generator must be an st.Generator, got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is not None and not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
            raise TypeError(f"DataLoader: sampler must be an iterable of indices with a length, got "
                            f"{type(sampler).__name__}")
        if num_workers != 0:
            raise NotImplementedError(f"DataLoader: num_workers={num_workers}: steepest loads batches in the "
                                      "main process; use num_workers=0")
        self.dataset: Any = dataset
        self.batch_size: int = int(batch_size)
        self.shuffle: bool = bool(shuffle)
        self.drop_last: bool = bool(drop_last)
        self.collate_fn: Optional[Callable[[list[Any]], Any]] = collate_fn
        self.generator: Optional[_core.Generator] = generator
        self.sampler: Any = sampler
        self.num_workers = 0

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self, n):
        """This epoch's sample order: None for 0..n-1, else an int64 tensor of indices."""
        if self.sampler is not None:
            return as_tensor(np.fromiter(iter(self.sampler), dtype=np.int64))
        if not self.shuffle:
            return None
        gen = self.generator if self.generator is not None else _core.default_generator
        return _core.randperm(n, generator=gen)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self._order(n)
        if self.sampler is not None:
            n = int(order.numel())
        bs = self.batch_size
        stop = (n // bs) * bs if self.drop_last else n
        batched = self.collate_fn is None and _serves_batches(self.dataset)
        order_list = None
        for start in range(0, stop, bs):
            end = min(start + bs, n)
            if batched:
                yield self.dataset._get_batch(slice(start, end) if order is None else order[start:end])
                continue
            if order is None:
                indices = range(start, end)
            else:
                if order_list is None:
                    order_list = order.numpy().tolist()
                indices = order_list[start:end]
            samples = [self.dataset[i] for i in indices]
            yield (self.collate_fn or default_collate)(samples)
