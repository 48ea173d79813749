"""The gradient reducer behind DistributedDataParallel: gradients live as views of one flat
buffer per dtype (in reverse registration order, the order backward produces them), cut into
buckets of about bucket_cap_mb; as soon as every gradient of a bucket is accumulated, that
bucket's all-reduce starts (nonblocking), so communication overlaps the rest of backward. When
the last bucket has started, all are waited for and averaged before backward returns."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ... import _core
from ...distributed import _mpi
from ...distributed.process_group import ProcessGroup, _world, blocking


class Bucket:
    """A contiguous slice [start, stop) of one dtype's flat gradient buffer, and the params in it."""

    def __init__(self, index: int, flat: np.ndarray, start: int, stop: int, params: List[int]) -> None:
        self.index = index
        self.view = flat[start:stop]
        self.params = params
        self.pending = len(params)
        self.request: Any = None
        self.stage: Optional[np.ndarray] = None  # deterministic mode: every rank's copy, rank order


class Reducer:
    """Owns the flat buffers, the buckets and one backward's reduction state."""

    def __init__(self, params: Sequence[_core.Tensor], group: ProcessGroup, bucket_cap_mb: float,
                 deterministic: bool) -> None:
        self.group = group
        self.size = group.size()
        self.deterministic = deterministic
        # Reverse registration order: the last layers' gradients are ready first in backward.
        self.params = list(reversed(params))
        for p in self.params:
            _mpi.buffer(p.detach(), "parameter")  # device/dtype checks, with the standard messages
        buffers = _core._flatten_(self.params)
        half = len(buffers) // 2
        self.param_buffers = buffers[:half]
        self.grad_buffers = buffers[half:]
        self.grad_flat = [_mpi.buffer(g, "gradient buffer") for g in self.grad_buffers]
        # The views backward accumulates into; a param whose .grad was replaced gets its view back.
        self.grad_views: List[_core.Tensor] = []
        for p in self.params:
            if p.grad is None:
                raise RuntimeError("DistributedDataParallel: flattening left a parameter without its gradient view")
            self.grad_views.append(p.grad)
        self.buckets: List[Bucket] = []
        self.bucket_of: List[int] = [0] * len(self.params)
        cap = max(1, int(bucket_cap_mb * 1024 * 1024))
        for flat, gbuf in zip(self.grad_flat, self.grad_buffers):
            base, item = gbuf.data_ptr(), flat.itemsize
            start = stop = 0
            members: List[int] = []
            for i, g in enumerate(self.grad_views):
                if g.dtype != gbuf.dtype:
                    continue
                off = (g.data_ptr() - base) // item
                if off != stop:
                    raise RuntimeError("DistributedDataParallel: the flat gradient buffer is not in parameter order")
                if members and (stop - start + g.numel()) * item > cap:
                    self._add_bucket(flat, start, stop, members)
                    start, members = stop, []
                members.append(i)
                stop = off + g.numel()
            if members:
                self._add_bucket(flat, start, stop, members)
        self.index_of: Dict[int, int] = {id(p): i for i, p in enumerate(self.params)}
        self.param_ptrs = [p.data_ptr() for p in self.params]
        self.active = False
        self.finished = False  # this forward's reduction is done: another backward would go unsynced
        self.ready = [False] * len(self.params)
        self.next_launch = 0

    def _add_bucket(self, flat: np.ndarray, start: int, stop: int, members: List[int]) -> None:
        b = Bucket(len(self.buckets), flat, start, stop, members)
        for i in members:
            self.bucket_of[i] = b.index
        self.buckets.append(b)

    # -- per iteration ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Before a forward whose backward must reduce: gradients back on their views, counters reset.
        Buckets a backward-less forward started (find_unused_parameters) are completed first."""
        if [p.data_ptr() for p in self.params] != self.param_ptrs:
            raise RuntimeError("DistributedDataParallel: parameters were moved out of DDP's flat buffer (e.g. by "
                               "st.optim.flatten_); DDP already keeps parameters and gradients in flat buffers: "
                               "do not flatten_ its parameters")
        for b in self.buckets:
            if b.request is not None:
                b.request.Wait()
                b.request = None
        missing = [i for i, p in enumerate(self.params) if p.grad is None]
        if len(missing) == len(self.params):
            for flat in self.grad_flat:
                flat.fill(0)
        for i in missing:
            if len(missing) != len(self.params):
                self.grad_views[i].zero_()
            self.params[i].grad = self.grad_views[i]
        for b in self.buckets:
            b.pending = len(b.params)
        self.ready = [False] * len(self.params)
        self.next_launch = 0
        self.active = True
        self.finished = False

    def unfinished(self) -> List[int]:
        """Params whose gradient never arrived in an iteration whose backward began (a forward
        without backward, e.g. an evaluation with grad enabled, left nothing unfinished)."""
        if not self.active or not any(self.ready):
            return []
        return [i for i, r in enumerate(self.ready) if not r]

    def mark_ready(self, i: int) -> None:
        """Param i's gradient is final for this backward: start every bucket now complete, in
        bucket order (all ranks must start the same collectives in the same order)."""
        if self.ready[i]:
            raise RuntimeError(f"DistributedDataParallel: parameter #{i} received its gradient twice in one "
                               "iteration (backward twice through the same forward needs no_sync() or a new "
                               "forward)")
        p = self.params[i]
        view = self.grad_views[i]
        g = p.grad
        if g is not None and g is not view:  # replaced (e.g. assigned): move it onto the bucket's memory
            view.copy_(g)
            p.grad = view
        self.ready[i] = True
        b = self.buckets[self.bucket_of[i]]
        b.pending -= 1
        if self.next_launch:
            # MPI moves a started collective forward only inside MPI calls (no progress thread):
            # testing the newest one from each hook keeps the transfer going while backward runs.
            last = self.buckets[self.next_launch - 1].request
            if last is not None:
                last.Test()
        while self.next_launch < len(self.buckets) and self.buckets[self.next_launch].pending == 0:
            self._launch(self.buckets[self.next_launch])
            self.next_launch += 1
        if self.next_launch == len(self.buckets):
            self.finish()

    def _launch(self, b: Bucket) -> None:
        comm = self.group.comm
        if comm is None:
            return
        if self.deterministic:
            if b.stage is None:
                b.stage = np.empty((self.size, b.view.size), dtype=b.view.dtype)
            b.request = comm.Iallgather(b.view, b.stage)
        else:
            b.request = comm.Iallreduce(_world.mpi.IN_PLACE, b.view, _world.mpi.SUM)

    def finish(self) -> None:
        """Waits for every bucket and averages it: the sum in rank order in deterministic mode,
        else MPI's sum; then one scale by 1/size on the bucket (still in cache from the wait)."""
        with blocking("DistributedDataParallel gradient all-reduce", self.group):
            for b in self.buckets:
                if b.request is None:
                    continue
                b.request.Wait()
                b.request = None
                if self.deterministic:
                    assert b.stage is not None
                    np.copyto(b.view, b.stage[0])
                    for row in b.stage[1:]:
                        np.add(b.view, row, out=b.view)
                if self.size > 1:
                    np.multiply(b.view, b.view.dtype.type(1.0 / self.size), out=b.view)
        self.active = False
        self.finished = True
