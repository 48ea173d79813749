"""The DataLoader's worker processes: what runs in each (seeding, worker_init_fn, fetching
batches by index or from an IterableDataset's iterator), get_worker_info(), and how a worker's
exception travels to the main process with its traceback text."""
from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

POLL_S = 0.2  # how often a waiting worker checks that its parent is still alive


@dataclass(frozen=True)
class WorkerInfo:
    """What get_worker_info() returns inside a worker: its id (0 .. num_workers-1), the number
    of workers, its seed (base_seed + id) and its copy of the dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: Optional[WorkerInfo] = None


def get_worker_info() -> Optional[WorkerInfo]:
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process.
    An IterableDataset uses it to give each worker its own share of the stream."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and
    traceback text (the exception object itself may not pickle)."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _tb = sys.exc_info()
        self.exc_type = exc_type if exc_type is not None else RuntimeError
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, _tb))

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class StopMarker:
    """An IterableDataset worker's iterator is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class Resume:
    """Sent to persistent workers at a new epoch: restart the dataset iterator, acknowledge."""


@dataclass(frozen=True)
class FetchSpec:
    """How tasks become batches (the same in the main process and in every worker)."""
    iterable: bool
    auto_collation: bool  # False: batch_size=None, one sample per task, converted not collated
    batch_size: Optional[int]  # items per batch of an IterableDataset
    drop_last: bool
    collate_fn: Callable[[Any], Any]
    serves_batches: bool  # a TensorDataset-like dataset cuts whole batches itself


class Fetcher:
    """Turns a task into a batch: indices of a map-style dataset, or the next batch_size items
    of an IterableDataset's iterator."""

    def __init__(self, dataset: Any, spec: FetchSpec) -> None:
        self.dataset, self.iterable, self.batch_size = dataset, spec.iterable, spec.batch_size
        self.drop_last, self.collate_fn, self.serves_batches = spec.drop_last, spec.collate_fn, spec.serves_batches
        self.auto = spec.auto_collation
        self.it = iter(dataset) if spec.iterable else None

    def fetch(self, index: Any) -> Any:
        if self.iterable:
            assert self.it is not None
            if not self.auto or self.batch_size is None:
                return self.collate_fn(next(self.it))
            items = []
            for item in self.it:
                items.append(item)
                if len(items) == self.batch_size:
                    break
            if not items or (self.drop_last and len(items) < self.batch_size):
                raise StopIteration
            return self.collate_fn(items)
        if not self.auto:
            return self.collate_fn(self.dataset[index])
        if self.serves_batches:
            return self.dataset._get_batch(index)
        if isinstance(index, slice):
            index = range(index.start, index.stop)
        elif hasattr(index, "tolist"):
            index = index.tolist()
        return self.collate_fn([self.dataset[i] for i in index])


def seed_worker(seed: int, worker_id: int, num_workers: int, dataset: Any) -> None:
    """Seeds steepest, random and numpy's global generator as torch seeds its workers."""
    from .. import _core
    global _worker_info
    _core.manual_seed(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence([seed & 0xFFFFFFFFFFFFFFFF, worker_id]).generate_state(4))
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)


def worker_loop(dataset: Any, spec: FetchSpec, index_queue: Any, result_queue: Any,
                done_event: Any, seed: int, init_fn: Optional[Callable[[int], None]], worker_id: int,
                num_workers: int, parent_pid: int) -> None:
    """The body of worker process `worker_id`: answers (task id, index) from index_queue with
    (task id, pickled batch or ExceptionWrapper) on result_queue until it receives None."""
    from .. import _core
    where = f"in DataLoader worker process {worker_id}"
    try:
        _core.set_num_threads(1)  # num_workers processes already share the cores
        seed_worker(seed, worker_id, num_workers, dataset)
        init_error: Optional[ExceptionWrapper] = None
        fetcher: Optional[Fetcher] = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = Fetcher(dataset, spec)
        except Exception:
            init_error = ExceptionWrapper(where)
        ended = False
        while True:
            try:
                task = index_queue.get(timeout=POLL_S)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process died: nobody will read our results
                    break
                continue
            if task is None:
                break
            if isinstance(task, Resume):
                ended = False
                if init_error is None:
                    try:
                        fetcher = Fetcher(dataset, spec)
                    except Exception:
                        init_error = ExceptionWrapper(where)
                result_queue.put((task, None))
                continue
            if done_event.is_set() or ended:
                continue
            idx, index = task
            out: Any
            if init_error is not None:
                out, init_error = init_error, None
            else:
                try:
                    assert fetcher is not None
                    out = fetcher.fetch(index)
                except StopIteration:
                    if spec.iterable:
                        out, ended = StopMarker(worker_id), True
                    else:
                        out = ExceptionWrapper(where)
                except Exception:
                    out = ExceptionWrapper(where)
            try:  # pickled here, so that a batch that can't pickle becomes an error, not a lost task
                payload = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                payload = pickle.dumps(ExceptionWrapper(where + " (pickling the batch)"))
            result_queue.put((idx, payload))
            del out, payload
    except KeyboardInterrupt:
        pass
    # Exiting never waits for the main process to drain our queue.
    result_queue.cancel_join_thread()
    result_queue.close()
