"""ZeRO-2's gradient path: gradients, as backward produces them, are gathered into buckets laid
out by owning rank and reduce-scattered, so each rank receives the summed gradients of its own
parameters only (into a buffer its parameters' .grad then view); every other gradient is
dropped as soon as its bucket has started, so a rank holds about 1/N of the gradients."""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from ... import _core
from .. import _mpi
from ..process_group import ProcessGroup, _world, blocking


class _Bucket:
    """Consecutive parameters (in backward order), ordered by owner inside the bucket so each
    rank's part of the staging buffer is one contiguous block."""

    def __init__(self, members: List[int], owners: Sequence[int], numels: Sequence[int], size: int,
                 dtype: np.dtype) -> None:
        self.members = sorted(members, key=lambda i: owners[i])  # stable: backward order within a rank
        self.counts = [0] * size
        self.offsets: List[int] = []
        at = 0
        for i in self.members:
            self.offsets.append(at)
            at += numels[i]
            self.counts[owners[i]] += numels[i]
        self.total = at
        self.displs = [sum(self.counts[:q]) for q in range(size)]
        self.dtype = dtype
        self.pending = len(members)
        self.request: Any = None
        self.send: Optional[np.ndarray] = None
        self.recv: Optional[np.ndarray] = None
        self.stage: Optional[np.ndarray] = None


class GradSharder:
    """Owns ZeRO-2's hooks, buckets and the reduction state of one backward."""

    def __init__(self, params: Sequence[_core.Tensor], owners: Sequence[int], group: ProcessGroup,
                 bucket_cap_mb: float, deterministic: bool) -> None:
        self.params, self.owners, self.group = list(params), list(owners), group
        self.size, self.rank = group.size(), group.rank()
        self.deterministic = deterministic
        numels = [p.numel() for p in self.params]
        cap = max(1, int(bucket_cap_mb * 2**20))
        self.buckets: List[_Bucket] = []
        self.bucket_of = [0] * len(self.params)
        members: List[int] = []
        nbytes = 0
        # Reverse registration order: the order backward produces gradients, the same on every rank.
        for i in reversed(range(len(self.params))):
            item = self.params[i].element_size()
            if members and (nbytes + numels[i] * item > cap or self.params[i].dtype != self.params[members[0]].dtype):
                self._add(members, numels)
                members, nbytes = [], 0
            members.append(i)
            nbytes += numels[i] * item
        if members:
            self._add(members, numels)
        self.ready = [False] * len(self.params)
        self.next_launch = 0
        self.hooks = [p.register_post_accumulate_grad_hook(self._hook(i)) for i, p in enumerate(self.params)]

    def _add(self, members: List[int], numels: Sequence[int]) -> None:
        dtype = _mpi.buffer(self.params[members[0]].detach(), "parameter").dtype
        b = _Bucket(members, self.owners, numels, self.size, dtype)
        for i in members:
            self.bucket_of[i] = len(self.buckets)
        self.buckets.append(b)

    def _hook(self, i: int) -> Callable[[_core.Tensor], None]:
        def hook(p: _core.Tensor) -> None:
            self.mark_ready(i)
        return hook

    def mark_ready(self, i: int) -> None:
        if self.ready[i]:
            raise RuntimeError("ZeroRedundancyOptimizer(stage=2): a gradient was accumulated twice before step(); "
                               "stage 2 reduces each gradient once per step (sum the micro-batch losses before one "
                               "backward to accumulate)")
        self.ready[i] = True
        self.buckets[self.bucket_of[i]].pending -= 1
        if self.next_launch:
            last = self.buckets[self.next_launch - 1].request
            if last is not None:
                last.Test()  # MPI progresses a started collective only inside MPI calls
        while self.next_launch < len(self.buckets) and self.buckets[self.next_launch].pending == 0:
            self._launch(self.buckets[self.next_launch])
            self.next_launch += 1

    def _launch(self, b: _Bucket) -> None:
        """Copies the bucket's gradients into its staging buffer (by owner), drops them, and
        starts the reduce-scatter (deterministic: an all-to-all, summed in rank order later)."""
        b.send = np.empty(b.total, dtype=b.dtype)
        for i, at in zip(b.members, b.offsets):
            p = self.params[i]
            n = self.params[i].numel()
            if p.grad is None:
                b.send[at:at + n] = 0
            else:
                b.send[at:at + n] = _mpi.buffer(p.grad, "gradient")
            p.grad = None
        mine = b.counts[self.rank]
        comm = self.group.comm
        if comm is None:
            b.recv = b.send
            return
        if self.deterministic:
            b.stage = np.empty((self.size, mine), dtype=b.dtype)
            b.request = comm.Ialltoallv([b.send, (b.counts, b.displs)],
                                        [b.stage, ([mine] * self.size, [q * mine for q in range(self.size)])])
        else:
            b.recv = np.empty(mine, dtype=b.dtype)
            b.request = comm.Ireduce_scatter(b.send, b.recv, b.counts, _world.mpi.SUM)

    def finish(self) -> None:
        """At step(): starts what backward did not (unused parameters count as zero gradients),
        waits for every bucket, averages this rank's block and points its parameters' .grad at it."""
        for i, r in enumerate(self.ready):
            if not r:
                self.mark_ready(i)
        scale = 1.0 / self.size
        with blocking("ZeroRedundancyOptimizer gradient reduce-scatter", self.group):
            for b in self.buckets:
                if b.request is not None:
                    b.request.Wait()
                    b.request = None
                if b.stage is not None:
                    b.recv = b.stage[0].copy()
                    for row in b.stage[1:]:
                        np.add(b.recv, row, out=b.recv)
                    b.stage = None
                recv = b.recv
                assert recv is not None
                if self.size > 1:
                    np.multiply(recv, recv.dtype.type(scale), out=recv)
                base = b.displs[self.rank]
                for i, at in zip(b.members, b.offsets):
                    if self.owners[i] == self.rank:
                        p = self.params[i]
                        view = recv[at - base:at - base + p.numel()].reshape(tuple(p.shape))
                        p.grad = _core.from_numpy(view)
                b.send = b.recv = None
                b.pending = len(b.members)
        self.ready = [False] * len(self.params)
        self.next_launch = 0
