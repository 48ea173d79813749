# DataLoader with worker processes: the same batches in the same order as num_workers=0 (and
# as torch's DataLoader where the order is deterministic), worker exceptions re-raised with
# their traceback, dead or slow workers reported instead of hangs, seeds and get_worker_info
# as torch, IterableDataset sharding, persistent workers, and no process left behind. Also
# the samplers against torch's where their output is deterministic, and against their
# distributions where it is random.
import collections
import multiprocessing as mp
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import steepest as st
from steepest.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
)

Point = collections.namedtuple("Point", "x y")


class Samples(Dataset):
    """A plain Python dataset with every kind of field default_collate handles."""

    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"i": i, "x": np.full(3, i, np.float32), "w": i / 4, "name": f"s{i}", "p": Point(i, -i)}


def flat(batches):
    """Batches as plain Python values, for equality across loaders and libraries."""
    def conv(v):
        if isinstance(v, (st.Tensor, torch.Tensor)):
            return v.tolist()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v
    return [conv(b) for b in batches]


def assert_no_children():
    deadline = time.monotonic() + 5
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mp.active_children() == []


def process_gone(pid):
    """True when `pid` is neither running nor a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "X"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("kw", [
    dict(batch_size=4),
    dict(batch_size=5, drop_last=True),
    dict(batch_size=3, shuffle=True),
    dict(batch_size=1),
    dict(batch_size=None),
    dict(batch_sampler=[[3, 1], [0], [22, 21, 20]]),
    dict(batch_size=4, sampler=[5, 3, 3, 8, 0]),
])
def test_workers_give_the_same_batches_in_the_same_order_as_the_main_process(kw):
    ds = Samples()
    runs = []
    for workers in (0, 1, 3):
        loader = DataLoader(ds, num_workers=workers, generator=st.Generator().manual_seed(7), **kw)
        runs.append(flat(loader))
        if "batch_sampler" not in kw:
            assert len(runs[-1]) == len(loader)
    assert runs[0] == runs[1] == runs[2]
    if not kw.get("shuffle"):  # torch's loader gives the same batches for a deterministic order
        theirs = tud.DataLoader(ds, num_workers=0, **kw)
        assert flat(theirs) == runs[0]
    assert_no_children()


def test_tensor_datasets_load_in_workers_like_in_the_main_process():
    ds = TensorDataset(np.arange(40, dtype=np.float32).reshape(20, 2), np.arange(20))
    g = [st.Generator().manual_seed(3) for _ in range(2)]
    a = flat(DataLoader(ds, batch_size=6, shuffle=True, generator=g[0]))
    b = flat(DataLoader(ds, batch_size=6, shuffle=True, generator=g[1], num_workers=2))
    assert a == b
    assert_no_children()


class Failing(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 6:
            raise KeyError(f"no sample number {i}")
        return i


def test_a_worker_exception_is_re_raised_with_its_traceback():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    it = iter(loader)
    assert [next(it).tolist() for _ in range(3)] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(KeyError) as e:
        next(it)
    text = str(e.value)
    assert "worker process 1" in text and "Traceback" in text and "__getitem__" in text
    assert "no sample number 6" in text
    assert_no_children()


class Unpicklable(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return lambda: i  # collates into a list of lambdas, which can't travel back


def test_a_batch_that_cannot_be_sent_back_is_an_error_not_a_hang():
    with pytest.raises(Exception, match="pickling the batch"):
        list(DataLoader(Unpicklable(), batch_size=2, num_workers=1, collate_fn=list, timeout=20))
    assert_no_children()


def _init_fail(worker_id):
    raise RuntimeError(f"init failed in {worker_id}")


def test_worker_init_fn_errors_surface_on_the_first_batch():
    with pytest.raises(RuntimeError, match="init failed in 0"):
        list(DataLoader(Samples(), batch_size=4, num_workers=2, worker_init_fn=_init_fail))
    assert_no_children()


class Dies(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 4:
            os._exit(7)
        return i


def test_a_dead_worker_is_reported_not_waited_for():
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="exit code 7"):
        list(DataLoader(Dies(), batch_size=2, num_workers=2))
    assert time.monotonic() - t < 10
    assert_no_children()


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(30)
        return i


def test_timeout_raises_and_stops_the_workers():
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        list(DataLoader(Slow(), batch_size=1, num_workers=2, timeout=0.3))
    assert time.monotonic() - t < 5
    assert_no_children()


class WhoAmI(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"id": info.id, "n": info.num_workers, "seed": info.seed, "st": st.rand(1).item(),
                "np": float(np.random.rand()), "tag": getattr(info.dataset, "tag", 0)}


def _tag_dataset(worker_id):
    get_worker_info().dataset.tag = 100 + worker_id


def test_seeds_worker_info_and_worker_init_fn():
    assert get_worker_info() is None
    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2, worker_init_fn=_tag_dataset,
                        generator=st.Generator().manual_seed(5))
    out = [b for b in loader]
    ids = [b["id"].tolist() for b in out]
    assert ids == [[0, 0], [1, 1], [0, 0], [1, 1]]  # batches go to the workers round robin
    seeds = {int(b["id"][0]): int(b["seed"][0]) for b in out}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id
    assert all(b["n"].tolist() == [2, 2] for b in out)
    assert [b["tag"].tolist() for b in out] == [[100, 100], [101, 101], [100, 100], [101, 101]]
    # each worker's steepest stream is the one st.manual_seed(its seed) gives
    for wid in (0, 1):
        ref = st.Generator().manual_seed(seeds[wid])
        assert out[wid]["st"].tolist()[0] == pytest.approx(st.rand(1, generator=ref).item(), rel=1e-6)
    # the workers' numpy streams differ from each other
    assert out[0]["np"].tolist() != out[1]["np"].tolist()
    again = [b["seed"].tolist() for b in DataLoader(WhoAmI(), batch_size=2, num_workers=2,
                                                    generator=st.Generator().manual_seed(5))]
    assert again[0] == out[0]["seed"].tolist()  # the same generator state gives the same seeds
    assert_no_children()


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        lo, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(lo, self.n, step))


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tud.get_worker_info()
        lo, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(lo, self.n, step))


@pytest.mark.parametrize("n, workers, bs, drop_last", [(10, 3, 2, False), (11, 2, 3, True), (7, 2, None, False),
                                                        (5, 4, 2, False), (0, 2, 2, False)])
def test_iterable_dataset_sharding_matches_torch(n, workers, bs, drop_last):
    mine = flat(DataLoader(Stream(n), batch_size=bs, num_workers=workers, drop_last=drop_last))
    theirs = flat(tud.DataLoader(TorchStream(n), batch_size=bs, num_workers=0 if n == 0 else workers,
                                 drop_last=drop_last))
    assert mine == theirs
    assert flat(DataLoader(Stream(n), batch_size=bs, drop_last=drop_last)) == \
        flat(tud.DataLoader(TorchStream(n), batch_size=bs, drop_last=drop_last))
    assert_no_children()


class SlowFirst(Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == 0 and get_worker_info() is not None:  # slow in a worker only: the references stay fast
            time.sleep(1.0)
        return i


def test_in_order_false_yields_batches_as_they_arrive():
    got = flat(DataLoader(SlowFirst(), batch_size=2, num_workers=2, in_order=False))
    assert sorted(got) == flat(DataLoader(SlowFirst(), batch_size=2))
    assert got[0] != [0, 1]  # the slow first batch didn't hold back the others
    assert flat(DataLoader(SlowFirst(), batch_size=2, num_workers=2)) == flat(DataLoader(SlowFirst(), batch_size=2))
    assert_no_children()


def test_persistent_workers_survive_epochs_and_stop_with_the_loader():
    loader = DataLoader(Samples(), batch_size=5, shuffle=True, num_workers=2, persistent_workers=True,
                        generator=st.Generator().manual_seed(1))
    ref = DataLoader(Samples(), batch_size=5, shuffle=True, generator=st.Generator().manual_seed(1))
    pids = None
    for _epoch in range(3):
        assert flat(loader) == flat(ref)  # every epoch reshuffled, as in the main process
        now = [w.pid for w in loader._workers_iter.workers]
        assert pids is None or now == pids
        pids = now
    it = iter(loader)
    next(it)  # an epoch abandoned half way: the next one still starts clean
    assert len(flat(loader)) == len(loader)
    stream = DataLoader(Stream(9), batch_size=2, num_workers=2, persistent_workers=True)
    assert flat(stream) == flat(stream)  # an IterableDataset restarts each epoch
    del loader, it, stream
    assert_no_children()
    assert all(process_gone(p) for p in pids)


def test_breaking_out_of_an_epoch_stops_and_reaps_the_workers():
    it = iter(DataLoader(Samples(200), batch_size=2, num_workers=3))
    next(it)
    pids = [w.pid for w in it.workers]
    del it
    assert_no_children()
    assert all(process_gone(p) for p in pids)


def test_workers_exit_when_the_main_process_is_killed():
    code = ("import time\n"
            "from steepest.data import DataLoader\n"
            "it = iter(DataLoader(list(range(100000)), batch_size=2, num_workers=2))\n"
            "next(it)\n"
            "print(' '.join(str(w.pid) for w in it.workers), flush=True)\n"
            "time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pids = [int(x) for x in p.stdout.readline().split()]
    p.kill()
    p.wait()

    def running(pid):  # an orphan's zombie is its new parent's to reap: exited is what counts
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False
    deadline = time.monotonic() + 10
    while any(running(q) for q in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == 2 and not any(running(q) for q in pids)


def test_spawned_workers_and_pin_memory_work():
    ds = TensorDataset(np.arange(12, dtype=np.float32), np.arange(12))
    mine = flat(DataLoader(ds, batch_size=5, num_workers=1, multiprocessing_context="spawn", pin_memory=True))
    assert mine == flat(DataLoader(ds, batch_size=5))
    assert_no_children()


class NoPickle(Dataset):
    def __init__(self):
        self.lock = __import__("threading").Lock()  # can't be sent to a spawned worker

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i


def test_a_dataset_that_cannot_reach_spawned_workers_fails_cleanly():
    with pytest.raises(TypeError, match="pickle"):
        list(DataLoader(NoPickle(), batch_size=2, num_workers=2, multiprocessing_context="spawn"))
    assert_no_children()


@pytest.mark.parametrize("call, exc, match", [
    (lambda: DataLoader(Samples(), num_workers=-1), ValueError, "num_workers"),
    (lambda: DataLoader(Samples(), prefetch_factor=2), ValueError, "prefetch_factor"),
    (lambda: DataLoader(Samples(), persistent_workers=True), ValueError, "persistent_workers"),
    (lambda: DataLoader(Samples(), timeout=-1), ValueError, "timeout"),
    (lambda: DataLoader(Samples(), batch_sampler=[[0]], batch_size=2), ValueError, "mutually exclusive"),
    (lambda: DataLoader(Samples(), batch_size=None, drop_last=True), ValueError, "drop_last"),
    (lambda: DataLoader(Stream(3), shuffle=True), ValueError, "shuffle"),
    (lambda: DataLoader(Stream(3), sampler=[0]), ValueError, "sampler"),
    (lambda: DataLoader(Samples(), worker_init_fn=3), TypeError, "worker_init_fn"),
    (lambda: WeightedRandomSampler([1.0, -1.0], 2), ValueError, "non-negative"),
    (lambda: WeightedRandomSampler([1.0, 0.0], 2, replacement=False), ValueError, "without replacement"),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples"),
    (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size"),
])
def test_bad_arguments_raise_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- samplers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False)])
def test_batch_and_sequential_samplers_match_torch(n, bs, drop_last):
    mine = list(BatchSampler(SequentialSampler(range(n)), bs, drop_last))
    theirs = list(tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop_last))
    assert mine == theirs and len(BatchSampler(range(n), bs, drop_last)) == len(theirs)


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (7, 4, False), (12, 4, True),
                                                     (2, 5, False)])
def test_distributed_sampler_matches_torch_unshuffled_and_partitions_when_shuffled(n, replicas, drop_last):
    for rank in range(replicas):
        mine = list(DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last))
        theirs = list(tud.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last))
        assert mine == theirs
    shards = []
    for rank in range(replicas):
        s = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=3, drop_last=drop_last)
        s.set_epoch(2)
        shards.append(list(s))
        assert len(shards[-1]) == len(tud.DistributedSampler(range(n), replicas, rank, drop_last=drop_last))
    union = [i for s in shards for i in s]
    if drop_last:
        assert len(set(union)) == len(union) == (n // replicas) * replicas
    else:
        assert set(union) == set(range(n))


def test_random_samplers_draw_from_their_generator():
    a = list(RandomSampler(range(50), generator=st.Generator().manual_seed(4)))
    assert sorted(a) == list(range(50)) and a != list(range(50))
    assert a == list(RandomSampler(range(50), generator=st.Generator().manual_seed(4)))
    b = list(RandomSampler(range(5), num_samples=12, generator=st.Generator().manual_seed(1)))
    assert len(b) == 12 and sorted(b[:5]) == sorted(b[5:10]) == list(range(5))
    c = list(RandomSampler(range(5), replacement=True, num_samples=400, generator=st.Generator().manual_seed(1)))
    counts = np.bincount(c, minlength=5)
    assert len(c) == 400 and counts.min() > 50  # uniform: ~80 each
    idx = [10, 20, 30, 40]
    d = list(SubsetRandomSampler(idx, generator=st.Generator().manual_seed(2)))
    assert sorted(d) == idx


def test_weighted_random_sampler_follows_the_weights():
    w = [0.0, 1.0, 2.0, 5.0]
    draws = list(WeightedRandomSampler(w, 8000, generator=st.Generator().manual_seed(0)))
    freq = np.bincount(draws, minlength=4) / 8000
    expect = np.array(w) / sum(w)
    assert freq[0] == 0
    # binomial standard error ~0.0056 at p=0.5; 5 sigma
    np.testing.assert_allclose(freq, expect, atol=0.03)
    no_rep = [list(WeightedRandomSampler(w, 3, replacement=False, generator=st.Generator().manual_seed(s)))
              for s in range(400)]
    assert all(sorted(x) == [1, 2, 3] for x in no_rep)  # a zero weight is never drawn
    first = np.bincount([x[0] for x in no_rep], minlength=4) / 400
    np.testing.assert_allclose(first, expect, atol=0.08)  # the first draw is proportional to the weights
    # torch's sampler draws the same law
    tw = list(tud.WeightedRandomSampler(w, 8000, generator=torch.Generator().manual_seed(0)))
    np.testing.assert_allclose(np.bincount(tw, minlength=4) / 8000, freq, atol=0.04)
