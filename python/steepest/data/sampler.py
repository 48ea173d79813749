"""Samplers: the order in which a DataLoader visits a dataset's indices (Sequential, Random,
SubsetRandom, WeightedRandom), BatchSampler, which groups them into batches, and
DistributedSampler, which gives each rank of a data-parallel job its own equal-length share of
every epoch. Random orders come from an st.Generator (default: st.default_generator, so
st.manual_seed makes them reproducible)."""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Optional, Union

import numpy as np

from .. import _core


class Sampler:
    """Base of samplers: an iterable of dataset indices with a length."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


def _generator(owner: str, generator: Any) -> Optional[_core.Generator]:
    if generator is not None and not isinstance(generator, _core.Generator):
        raise TypeError(f"{owner}: generator must be an st.Generator, got {type(generator).__name__}")
    return generator


def _count(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: {name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices: a fresh permutation each epoch (num_samples beyond the
    dataset's length chain several permutations), or with replacement=True num_samples
    independent uniform draws. Drawn from `generator` (default st.default_generator)."""

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: Optional[int] = None,
                 generator: Any = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _generator("RandomSampler", generator)
        if num_samples is not None:  # an empty dataset gives an empty epoch (torch refuses it)
            _count("RandomSampler", "num_samples", num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        gen = self.generator if self.generator is not None else _core.default_generator
        m = self.num_samples
        if n == 0 or m == 0:
            return iter(())
        if self.replacement:
            return iter(_core.randint(0, n, [m], generator=gen).numpy().tolist())
        out: list[int] = []
        while len(out) < m:
            out += _core.randperm(n, generator=gen).numpy().tolist()[: m - len(out)]
        return iter(out)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, fresh each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = _generator("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else _core.default_generator
        order = _core.randperm(len(self.indices), generator=gen).numpy().tolist()
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices in [0, len(weights)), index i drawn with probability proportional to
    weights[i]; without replacement each index appears at most once (successive draws among the
    ones left, as torch.multinomial). The weights need not sum to one."""

    def __init__(self, weights: Union[Sequence[float], Any], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        self.num_samples = _count("WeightedRandomSampler", "num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise TypeError(f"WeightedRandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        w = weights.detach().double().numpy() if isinstance(weights, _core.Tensor) else np.asarray(weights,
                                                                                                     np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"WeightedRandomSampler: weights must be a non-empty 1-D sequence, got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and self.num_samples > int(np.count_nonzero(w)):
            raise ValueError(f"WeightedRandomSampler: can't draw {self.num_samples} samples without replacement "
                             f"from {int(np.count_nonzero(w))} non-zero weights")
        self.weights = _core.from_numpy(w.copy())
        self.replacement = replacement
        self.generator = _generator("WeightedRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else _core.default_generator
        w = self.weights.numpy()
        if self.replacement:
            u = _core.rand([self.num_samples], generator=gen, dtype=_core.float64).numpy()
            cdf = np.cumsum(w)
            idx = np.searchsorted(cdf, u * cdf[-1], side="right")
            return iter(np.minimum(idx, len(w) - 1).tolist())
        # Exponential race: index i finishes at E_i / w_i; the order of finishing is successive
        # weighted draws without replacement.
        u = _core.rand([len(w)], generator=gen, dtype=_core.float64).numpy()
        with np.errstate(divide="ignore"):
            finish = -np.log1p(-u) / w
        return iter(np.argsort(finish, kind="stable")[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of batch_size (the last one shorter unless
    drop_last)."""

    def __init__(self, sampler: Union[Sampler, Iterable[int]], batch_size: int, drop_last: bool) -> None:
        self.batch_size = _count("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:  # type: ignore[override]  # batches, as torch's
        batch: list[int] = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _index(name: str, value: Any, low: int, high: Optional[int] = None) -> int:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Integral)
    if not ok or int(value) < low or (high is not None and int(value) >= high):
        bound = f" and below {high}" if high is not None else ""
        raise ValueError(f"DistributedSampler: {name} must be an integer of at least {low}{bound}, got {value!r}")
    return int(value)


class DistributedSampler(Sampler):
    """Rank `rank`'s share of `dataset` among `num_replicas` ranks (defaults: this process's rank
    and world size in st.distributed's default group, or rank 0 of 1 when none is initialized).

    Each epoch's order is the same on every rank: a permutation drawn from a generator seeded
    with seed + epoch (shuffle=True; call set_epoch(epoch) before each epoch so epochs differ),
    or 0..n-1. With drop_last=False the order is padded by repeating its start until it divides
    evenly; with drop_last=True its tail is dropped instead. Rank r then takes every
    num_replicas-th index starting at r, so every rank has len(sampler) indices and takes the
    same number of steps (a collective in every step never waits for a rank that ran out)."""

    def __init__(self, dataset: Any, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            initialized = dist.is_initialized()
            if num_replicas is None:
                num_replicas = dist.get_world_size() if initialized else 1
            if rank is None:
                rank = dist.get_rank() if initialized else 0
        self.num_replicas = _index("num_replicas", num_replicas, 1)
        self.rank = _index("rank", rank, 0, self.num_replicas)
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler: dataset must have a length, got {type(dataset).__name__}")
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = n // self.num_replicas
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Selects epoch's order (all ranks must set the same epoch)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = _core.Generator()
            g.manual_seed(self.seed + self.epoch)
            order = _core.randperm(n, generator=g).numpy().tolist()
        else:
            order = list(range(n))
        if self.drop_last:
            order = order[:self.total_size]
        elif order and len(order) < self.total_size:
            pad = self.total_size - len(order)
            order += (order * math.ceil(pad / len(order)))[:pad]
        return iter(order[self.rank:self.total_size:self.num_replicas])
