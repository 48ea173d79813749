"""DataLoader: mini-batches from a map-style dataset (through a sampler and a batch sampler)
or an IterableDataset, in this process or in worker processes, and default_collate, which
stacks samples (tuples/dicts of tensors, numbers, numpy arrays) into batch tensors. Batches
of a TensorDataset (or a Subset of one) are cut in one slice or gather per tensor;
unshuffled ones are views of the data, so numpy input is never copied."""
from __future__ import annotations

import collections.abc
import hashlib
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


def default_convert(data: Any) -> Any:
    """What a DataLoader with batch_size=None yields per sample: numpy arrays and numbers become
    tensors, containers are converted field by field, the rest passes unchanged."""
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)) \
            and data.dtype != object:
        return as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(v) for v in data)
    return data


def _serves_batches(dataset: Any) -> bool:
    # TensorDataset, and Subsets (from random_split) of one, cut whole batches at once.
    from .dataset import Subset, TensorDataset
    if isinstance(dataset, TensorDataset):
        return True
    return isinstance(dataset, Subset) and _serves_batches(dataset.dataset)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be a bool, got {value!r}")
    return bool(value)


def _task_stream(dataset: Any, sampler: Any, batch_sampler: Any, iterable: bool) -> Iterator[Any]:
    from .sampler import BatchSampler, RandomSampler, SequentialSampler
    if iterable:
        while True:
            yield None
    if batch_sampler is None:
        yield from iter(sampler)
        return
    bs = batch_sampler
    default = type(bs) is BatchSampler and bs.sampler is sampler
    if default and type(sampler) is SequentialSampler:
        n = len(sampler)
        stop = (n // bs.batch_size) * bs.batch_size if bs.drop_last else n
        for start in range(0, stop, bs.batch_size):
            yield slice(start, min(start + bs.batch_size, n))
        return
    if default and type(sampler) is RandomSampler and not sampler.replacement and sampler._num_samples is None:
        n = len(dataset)
        gen = sampler.generator if sampler.generator is not None else _core.default_generator
        order = _core.randperm(n, generator=gen)
        stop = (n // bs.batch_size) * bs.batch_size if bs.drop_last else n
        for start in range(0, stop, bs.batch_size):
            yield order[start:min(start + bs.batch_size, n)]
        return
    yield from iter(bs)


class DataLoader:
    """Iterates over `dataset` in batches, as torch.utils.data.DataLoader.

    dataset: map-style (__getitem__ and __len__) or an IterableDataset (__iter__).
    batch_size: samples per batch (None: yield samples one by one, converted by
      default_convert instead of collated). drop_last skips the last incomplete batch.
    shuffle: visit the samples in a new random order each epoch (each `iter(loader)`), drawn
      from `generator` (an st.Generator; default st.default_generator, so st.manual_seed makes
      runs reproducible). Same as sampler=RandomSampler(dataset, generator=generator).
    sampler: any iterable of indices with a length (RandomSampler, WeightedRandomSampler,
      DistributedSampler, ...); batch_sampler: an iterable of index lists, instead of
      batch_size/shuffle/sampler/drop_last.
    collate_fn: turns a list of samples into a batch (default: default_collate).
    num_workers: 0 loads in this process; N > 0 starts N worker processes
      (multiprocessing_context, default fork where available), each with a copy of the dataset,
      loading whole batches; batches still come out in the sampler's order, and are the same
      batches as with num_workers=0. Each worker seeds steepest, random and numpy from
      base_seed + worker_id (base_seed: a hash of `generator`'s state and the epoch count, so
      nothing is drawn from it), then calls worker_init_fn(worker_id);
      get_worker_info() tells code inside a worker which one it is. An exception in a worker
      is re-raised here with the worker's traceback text; a worker that dies raises
      RuntimeError; with timeout > 0 a batch that takes longer raises RuntimeError.
      prefetch_factor batches per worker are loaded ahead (default 2). persistent_workers
      keeps the workers between epochs. Workers are stopped and reaped when an epoch ends
      (or its iterator is dropped), or with the loader when persistent. in_order=False yields
      each batch as soon as a worker delivers it (a slow item then doesn't hold the others).
    pin_memory: on a CUDA build with a GPU, each batch's tensors are copied to page-locked
      host memory (so .to("cuda", non_blocking=True) runs asynchronously); elsewhere it changes
      nothing.
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Optional[Callable[[Any], Any]] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable[[int], None]] = None,
                 multiprocessing_context: Any = None, generator: Optional[_core.Generator] = None, *,
                 prefetch_factor: Optional[int] = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        from .dataset import IterableDataset
        from .sampler import BatchSampler, RandomSampler, SequentialSampler
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        iterable: bool = isinstance(dataset, IterableDataset)
        if iterable:
            if not hasattr(dataset, "__iter__"):
                raise TypeError(f"DataLoader: {type(dataset).__name__} must define __iter__")
        elif not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must be indexable and have a length (__getitem__ and "
                            f"__len__), or be an IterableDataset, got {type(dataset).__name__}")
        if generator is not None and not isinstance(generator, _core.Generator):
            raise TypeError(f"DataLoader: generator must be an st.Generator, got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got {type(worker_init_fn).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, got {num_workers!r}")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in multiprocessing; "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None")
        if prefetch_factor is not None and (isinstance(prefetch_factor, bool) or
                                            not isinstance(prefetch_factor, numbers.Integral) or prefetch_factor < 1):
            raise ValueError(f"DataLoader: prefetch_factor must be a positive integer, got {prefetch_factor!r}")
        persistent_workers = _flag("persistent_workers", persistent_workers)
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        shuffle = _flag("shuffle", shuffle) if shuffle is not None else False
        drop_last = _flag("drop_last", drop_last)
        _flag("pin_memory", pin_memory)
        if iterable:
            if shuffle:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 "shuffle=True")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is not None and not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
            raise TypeError(f"DataLoader: sampler must be an iterable of indices with a length, got "
                            f"{type(sampler).__name__}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            if not hasattr(batch_sampler, "__iter__"):
                raise TypeError(f"DataLoader: batch_sampler must be an iterable of index lists, got "
                                f"{type(batch_sampler).__name__}")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        self._own_sampler: bool = sampler is None and batch_sampler is None  # made here from shuffle
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, int(batch_size), drop_last)
        self.dataset: Any = dataset
        self.batch_size: Optional[int] = None if batch_size is None else int(batch_size)
        self.shuffle: bool = shuffle
        self.drop_last: bool = drop_last
        self.sampler: Any = sampler
        self.batch_sampler: Any = batch_sampler
        self.collate_fn: Optional[Callable[[Any], Any]] = collate_fn
        self.generator: Optional[_core.Generator] = generator
        self.num_workers: int = int(num_workers)
        self.prefetch_factor: Optional[int] = (2 if prefetch_factor is None else int(prefetch_factor)) \
            if num_workers > 0 else None
        self.pin_memory: bool = bool(pin_memory)
        self.pin_memory_device: str = pin_memory_device
        self.timeout: float = float(timeout)
        self.worker_init_fn: Optional[Callable[[int], None]] = worker_init_fn
        self.multiprocessing_context: Any = multiprocessing_context
        self.persistent_workers: bool = persistent_workers
        self.in_order: bool = _flag("in_order", in_order)
        self._iterable: bool = iterable
        self._workers_iter: Any = None
        self._worker_epochs: int = 0

    # -- what the loops need ------------------------------------------------------------------
    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def _collate(self) -> Callable[[Any], Any]:
        if self.collate_fn is not None:
            return self.collate_fn
        return default_collate if self._auto_collation else default_convert

    def _batched(self) -> bool:
        """Whether whole batches can be cut from the dataset at once (TensorDataset, default
        collation, the default batch sampler)."""
        from .sampler import BatchSampler
        return (self.collate_fn is None and not self._iterable and type(self.batch_sampler) is BatchSampler
                and self.batch_sampler.sampler is self.sampler and _serves_batches(self.dataset))

    def _tasks(self) -> Iterator[Any]:
        """This epoch's tasks: each batch's indices (a slice for unshuffled consecutive runs, an
        index tensor for a plain shuffle, else a list), one index when batch_size is None, or
        None forever for an IterableDataset (its workers read their own streams)."""
        # A module function: the generator must not hold the loader, whose persistent workers
        # stop when it is freed.
        return _task_stream(self.dataset, self.sampler, self.batch_sampler, self._iterable)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # a TypeError when the stream has no length, as torch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self) -> Iterator[Any]:
        if self.pin_memory and _core.cuda_is_available():
            from ._pin import pinned
            return pinned(self._batches())
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return self._single_process()
        from ._multiprocess import WorkersIterator
        if self.persistent_workers:
            if self._workers_iter is None:
                self._workers_iter = WorkersIterator(self)
            else:
                self._workers_iter.reset()
            return self._workers_iter
        return WorkersIterator(self)

    def _base_seed(self) -> int:
        """The workers' base seed: a hash of the generator's state and the number of worker
        epochs started so far. Nothing is drawn from the generator, so the sampler's orders
        (and everything else drawn from it) are the same for every num_workers."""
        gen = self.generator if self.generator is not None else _core.default_generator
        self._worker_epochs += 1
        key = repr((gen.get_state().tolist(), self._worker_epochs)).encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 2

    def _spec(self) -> Any:
        from ._worker import FetchSpec
        return FetchSpec(self._iterable, self._auto_collation, self.batch_size, self.drop_last, self._collate(),
                         self._batched())

    def _single_process(self) -> Iterator[Any]:
        from ._worker import Fetcher
        fetcher = Fetcher(self.dataset, self._spec())
        for task in self._tasks():
            try:
                yield fetcher.fetch(task)
            except StopIteration:
                if self._iterable:
                    return
                raise

    def __del__(self) -> None:
        it = getattr(self, "_workers_iter", None)
        if it is not None:
            it.shutdown()
