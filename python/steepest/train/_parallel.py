"""fit's data-parallel mode: when the job has more than one rank (launched by mpiexec, or a
process group already initialized), the model is wrapped in DistributedDataParallel, a
DataLoader is re-made with a DistributedSampler per rank, validation is split across ranks and
its sums all-reduced, and only rank 0 shows progress and writes logs and checkpoints."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from .. import distributed as dist
from ..data import DataLoader, DistributedSampler
from ..distributed._mpi import launched_size
from .metrics import evaluate


class _Stride:
    """Rank r's share of an evaluation set: indices r, r+size, ... (no padding, so no sample is
    counted twice; shares may differ by one)."""

    def __init__(self, n: int, rank: int, size: int) -> None:
        self.indices = list(range(rank, n, size))

    def __iter__(self) -> Any:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def _reloader(loader: DataLoader, sampler: Any) -> DataLoader:
    out = DataLoader(loader.dataset, batch_size=loader.batch_size, drop_last=loader.drop_last,
                     collate_fn=loader.collate_fn, generator=loader.generator, sampler=sampler,
                     num_workers=loader.num_workers, worker_init_fn=loader.worker_init_fn, timeout=loader.timeout,
                     multiprocessing_context=loader.multiprocessing_context, prefetch_factor=loader.prefetch_factor,
                     persistent_workers=loader.persistent_workers, pin_memory=loader.pin_memory)
    return out


class DataParallel:
    """One data-parallel fit run's view of the job."""

    def __init__(self, model: Any, optimizer: Any, train_data: Any, val_data: Any, seed: Optional[int]) -> None:
        from ..nn.parallel import DistributedDataParallel as DDP
        self.group = dist.process_group._default(None)
        self.rank, self.size = dist.get_rank(), dist.get_world_size()
        self.is_main = self.rank == 0
        if isinstance(model, DDP):
            self.ddp, self.module = model, model.module
        else:
            # DDP moves the params into its own flat buffers: an arena the optimizer made before
            # would then be stale (its zero_grad would zero buffers no gradient lives in).
            optimizer.__dict__.pop("_arena", None)
            self.ddp, self.module = DDP(model), model
        self.train_data = train_data
        self.sampler: Optional[DistributedSampler] = None
        if isinstance(train_data, DataLoader):
            sampler = None if train_data._own_sampler else train_data.sampler
            if not isinstance(sampler, DistributedSampler):
                if sampler is not None:
                    raise ValueError("fit: with more than one rank, train_data's sampler must be a "
                                     "DistributedSampler (or none: fit then shards the data itself)")
                sampler = DistributedSampler(train_data.dataset, shuffle=train_data.shuffle,
                                             seed=0 if seed is None else int(seed), drop_last=train_data.drop_last)
                self.train_data = _reloader(train_data, sampler)
            self.sampler = sampler
        self.val_data = val_data
        self.val_count: Optional[int] = None
        if isinstance(val_data, DataLoader) and val_data._own_sampler and not val_data.shuffle and \
                val_data.batch_size is not None:
            share = _Stride(len(val_data.dataset), self.rank, self.size)
            self.val_data = _reloader(val_data, share)
            bs = val_data.batch_size
            self.val_count = (len(share) // bs) * bs if val_data.drop_last else len(share)

    def set_epoch(self, epoch: int) -> None:
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)

    def weighted_mean(self, total: float, count: float) -> float:
        """sum(total) / sum(count) over the ranks."""
        buf = _core.from_numpy(np.array([total, count], dtype=np.float64))
        dist.all_reduce(buf)
        s, c = buf.numpy().tolist()
        return s / c if c else float("nan")

    def mean(self, values: list) -> list:
        """The ranks' mean of each value."""
        buf = _core.from_numpy(np.array(values, dtype=np.float64))
        dist.all_reduce(buf, op=dist.ReduceOp.AVG)
        return buf.numpy().tolist()

    def evaluate(self, loss_fn: Any, metrics: dict) -> dict:
        """Validation over the whole set: each rank evaluates its share, the sample-weighted sums
        are all-reduced (an unsharded val_data is evaluated whole on every rank)."""
        if self.val_count is None:
            return evaluate(self.ddp, self.val_data, loss_fn, metrics)
        keys = ["loss", *metrics]
        local = evaluate(self.ddp, self.val_data, loss_fn, metrics) if self.val_count else {k: 0.0 for k in keys}
        buf = _core.from_numpy(np.array([local[k] * self.val_count for k in keys] + [self.val_count], dtype=np.float64))
        dist.all_reduce(buf)
        sums = buf.numpy().tolist()
        return {k: sums[i] / sums[-1] for i, k in enumerate(keys)}

    def barrier(self) -> None:
        dist.barrier()


def data_parallel(model: Any, optimizer: Any, train_data: Any, val_data: Any,
                  seed: Optional[int]) -> Optional[DataParallel]:
    """A DataParallel when this job has more than one rank (initializing the default group
    if mpiexec started several ranks and nobody has yet), else None."""
    if not dist.is_initialized():
        if launched_size() <= 1:
            return None
        dist.init_process_group("mpi")
    if dist.get_world_size() <= 1:
        return None
    return DataParallel(model, optimizer, train_data, val_data, seed)
