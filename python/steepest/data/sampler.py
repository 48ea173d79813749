"""Samplers: the order in which a DataLoader visits a dataset's indices. DistributedSampler
gives each rank of a data-parallel job its own equal-length share of every epoch."""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any, Optional

from .. import _core


class Sampler:
    """Base of samplers: an iterable of dataset indices with a length."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


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
