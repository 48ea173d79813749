"""st.data.DistributedSampler against torch's (unshuffled orders are identical) and against the
rule written out here (shuffled: the seed+epoch permutation, padded or cut, strided by rank),
and DataLoader(sampler=...)."""
import numpy as np
import pytest
from torch.utils.data import DistributedSampler as TorchSampler

import steepest as st
from steepest.data import DataLoader, DistributedSampler, TensorDataset


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_matches_torch(n, replicas, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def expected(n, replicas, rank, seed, epoch, drop_last):
    g = st.Generator()
    g.manual_seed(seed + epoch)
    order = st.randperm(n, generator=g).numpy().tolist()
    per = (n // replicas) if (drop_last and n % replicas) else -(-n // replicas)
    total = per * replicas
    order = order[:total] if drop_last else (order + order * replicas)[:total]
    return [order[i] for i in range(rank, total, replicas)]


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_shares_are_disjoint_equal_and_follow_the_epoch(drop_last):
    n, replicas = 23, 3
    data = list(range(n))
    shares = []
    for rank in range(replicas):
        s = DistributedSampler(data, replicas, rank, shuffle=True, seed=5, drop_last=drop_last)
        s.set_epoch(2)
        got = list(s)
        assert got == expected(n, replicas, rank, 5, 2, drop_last)
        assert len(got) == len(s)
        shares.append(got)
    assert len({len(x) for x in shares}) == 1
    flat = sum(shares, [])
    if drop_last:
        assert len(set(flat)) == len(flat) == 21
    else:
        assert set(flat) == set(range(n)) and len(flat) == 24
    s = DistributedSampler(data, replicas, 0, seed=5)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first
    s.set_epoch(0)
    assert list(s) == first


def test_defaults_without_a_process_group_and_bad_arguments():
    s = DistributedSampler(list(range(5)), shuffle=False)
    assert (s.num_replicas, s.rank) == (1, 0) and list(s) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="rank must be an integer of at least 0 and below 2"):
        DistributedSampler(list(range(5)), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(list(range(5)), num_replicas=0, rank=0)


def test_dataloader_visits_the_sampler_order():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    ds = TensorDataset(st.tensor(x), st.tensor(np.arange(10)))
    sampler = DistributedSampler(ds, num_replicas=3, rank=1, shuffle=True, seed=1)
    loader = DataLoader(ds, batch_size=3, sampler=sampler)
    idx = list(sampler)
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    got = np.concatenate([b[1].numpy() for b in batches]).tolist()
    assert got == idx
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x[idx])
    # samples one by one (the collate path) take the same order
    loader2 = DataLoader(list(zip(x, range(10))), batch_size=2, sampler=sampler)
    assert np.concatenate([b[1].numpy() for b in loader2]).tolist() == idx
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=sampler, shuffle=True)

