"""The DataLoader's iterator over worker processes: hands batch tasks to the workers round
robin (prefetch_factor per worker ahead), puts the batches back in the sampler's order,
re-raises a worker's exception, notices a dead worker or a timeout instead of hanging, and
stops and reaps its workers (no zombies) at the end of the epoch or with the loader."""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import pickle
import queue
import time
import weakref
from typing import Any, Optional

from ._worker import POLL_S, ExceptionWrapper, Resume, StopMarker, worker_loop

_JOIN_S = 5.0  # how long a stopping worker may take before it is terminated


def _context(spec: Any) -> Any:
    if spec is None:
        return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    if isinstance(spec, str):
        return mp.get_context(spec)
    return spec


class WorkersIterator:
    """One epoch of a DataLoader with num_workers > 0 (the same object is reset for each epoch
    when the workers persist)."""

    def __init__(self, loader: Any) -> None:
        # Persistent workers belong to the loader (it stops them when it goes): a weak reference
        # back, so that dropping the loader frees it.
        self._loader: Any = weakref.ref(loader) if loader.persistent_workers else (lambda: loader)
        self._epoch_loader: Any = loader  # held while an epoch runs: iter(DataLoader(...)) must work
        self.n = loader.num_workers
        self.prefetch = loader.prefetch_factor * self.n
        self.timeout = loader.timeout
        self.persistent = loader.persistent_workers
        self.in_order = loader.in_order  # False: batches as they come, not in the sampler's order
        self.workers: list[Any] = []
        self.index_queues: list[Any] = []
        self.started = False
        self.closed = False
        self._begin_epoch()

    @property
    def loader(self) -> Any:
        loader = self._loader()
        if loader is None:
            raise RuntimeError("DataLoader: the loader of these persistent workers was deleted")
        return loader

    # -- epochs --------------------------------------------------------------------------------
    def _begin_epoch(self) -> None:
        self.tasks = self.loader._tasks()
        self.send_idx = 0
        self.rcvd_idx = 0
        # task id -> [worker id], [worker id, batch], or None once its worker answered "ran dry"
        self.task_info: dict[int, Optional[list[Any]]] = {}
        self.outstanding = 0
        self.active = [True] * self.n
        self.cycle = itertools.cycle(range(self.n))
        self.pending: Optional[Any] = None
        if not self.started:
            # The sampler draws its order first, so the workers' base seed depends on the
            # generator's state after this epoch's draws.
            try:
                self.pending = next(self.tasks)
            except StopIteration:
                self.tasks = iter(())
            self._start()
        for _ in range(self.prefetch):
            self._put_task()

    def reset(self) -> None:
        """A new epoch on the persistent workers: they restart their dataset iterators and
        acknowledge, which also flushes what an abandoned epoch left in the queue."""
        if self.closed:
            raise RuntimeError("DataLoader: the persistent workers were shut down")
        self._epoch_loader = self.loader
        for q in self.index_queues:
            q.put(Resume())
        acks = 0
        while acks < self.n:
            _idx, data = self._get()
            if isinstance(_idx, Resume):
                acks += 1
        self._begin_epoch()

    def _start(self) -> None:
        loader = self.loader
        base_seed = loader._base_seed()
        ctx = _context(loader.multiprocessing_context)
        self.result_queue = ctx.Queue()
        self.done_event = ctx.Event()
        self.started = True  # from here on shutdown() has something to stop, even if a start fails
        spec = loader._spec()
        for wid in range(self.n):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=worker_loop, daemon=True,
                            args=(loader.dataset, spec, iq, self.result_queue, self.done_event, base_seed + wid,
                                  loader.worker_init_fn, wid, self.n, os.getpid()))
            self.index_queues.append(iq)
            w.start()
            self.workers.append(w)

    # -- tasks and results ---------------------------------------------------------------------
    def _put_task(self) -> None:
        if self.outstanding >= self.prefetch:
            return
        for _ in range(self.n):
            wid = next(self.cycle)
            if self.active[wid]:
                break
        else:
            return  # every IterableDataset worker has run dry
        if self.pending is not None:
            task, self.pending = self.pending, None
        else:
            try:
                task = next(self.tasks)
            except StopIteration:
                return
        self.index_queues[wid].put((self.send_idx, task))
        self.task_info[self.send_idx] = [wid]
        self.outstanding += 1
        self.send_idx += 1

    def _get(self) -> tuple[Any, Any]:
        """The next (task id, payload) from any worker; raises rather than waiting forever."""
        deadline = time.monotonic() + self.timeout if self.timeout > 0 else None
        while True:
            wait = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.monotonic()))
            try:
                return self.result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [w for w in self.workers if not w.is_alive()]
            if dead:
                desc = ", ".join(f"pid {w.pid}: exit code {w.exitcode}" for w in dead)
                self.shutdown(graceful=False)
                raise RuntimeError(f"DataLoader worker ({desc}) exited unexpectedly. A negative exit code is "
                                   f"the signal that killed it (-9: killed, e.g. out of memory)")
            if deadline is not None and time.monotonic() >= deadline:
                self.shutdown(graceful=False)
                raise RuntimeError(f"DataLoader timed out after {self.timeout:g} seconds waiting for a batch "
                                   f"from its workers")

    def __iter__(self) -> WorkersIterator:
        return self

    def __len__(self) -> int:
        return len(self.loader)

    def __next__(self) -> Any:
        while True:
            while self.rcvd_idx < self.send_idx:  # skip tasks of workers that ran dry
                if self.rcvd_idx not in self.task_info:  # delivered out of order (in_order=False)
                    self.rcvd_idx += 1
                    continue
                info = self.task_info[self.rcvd_idx]
                if info is not None and (len(info) == 2 or self.active[info[0]]):
                    break
                del self.task_info[self.rcvd_idx]
                self.rcvd_idx += 1
                if info is not None:  # never answered (a StopMarker answer was counted already)
                    self.outstanding -= 1
            else:
                self._epoch_loader = None  # the loader may go now, and its workers with it
                if not self.persistent:
                    self.shutdown()
                raise StopIteration
            info = self.task_info[self.rcvd_idx]
            assert info is not None
            if len(info) == 2:
                del self.task_info[self.rcvd_idx]
                self.rcvd_idx += 1
                return self._deliver(info[1])
            if self.closed:
                raise RuntimeError("DataLoader: the workers were shut down")
            idx, payload = self._get()
            if isinstance(idx, Resume):
                continue
            self.outstanding -= 1
            try:
                data = pickle.loads(payload)
            except Exception as e:
                self.shutdown()
                raise RuntimeError(f"DataLoader: a batch from a worker could not be unpickled: {e}") from e
            if isinstance(data, StopMarker):
                self.active[data.worker_id] = False
                self.task_info[idx] = None
                self._put_task()
                continue
            if idx == self.rcvd_idx or not self.in_order:
                del self.task_info[idx]
                if idx == self.rcvd_idx:
                    self.rcvd_idx += 1
                return self._deliver(data)
            pending = self.task_info[idx]
            assert pending is not None
            pending.append(data)

    def _deliver(self, data: Any) -> Any:
        self._put_task()
        if isinstance(data, ExceptionWrapper):
            if not self.persistent:
                self.shutdown()
            data.reraise()
        return data

    # -- shutdown ------------------------------------------------------------------------------
    def shutdown(self, graceful: bool = True) -> None:
        """Stops the workers and reaps them: they finish the batch in hand (at most _JOIN_S) or
        are terminated; at once when not graceful (a timeout, a dead sibling)."""
        if self.closed or not self.started:
            self.closed = True
            return
        self.closed = True
        self.done_event.set()
        for q in self.index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + (_JOIN_S if graceful else 0.0)
        for w in self.workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self.index_queues:
            q.cancel_join_thread()
            q.close()
        self.result_queue.cancel_join_thread()
        self.result_queue.close()

    def __del__(self) -> None:
        try:
            self.shutdown()
        except Exception:
            pass
