"""DistributedDataParallel on real ranks: equal to one process on the whole batch, bit-identical
in deterministic mode across launches and bucket sizes, no_sync, unused parameters, mismatched
models, buffers."""
import re

import pytest
from distributed.launch import check_ok, run_ranks


def final_hash(out):
    m = re.search(r"HASH ([0-9a-f]{64})", out.stdout)
    assert m, out.stdout
    return m.group(1)


@pytest.mark.parametrize("n", [2, 3])
def test_ddp_equals_one_process_on_the_whole_batch(n):
    # 0.0005 MiB buckets: every layer its own bucket (several all-reduces in flight).
    check_ok(run_ranks(n, "ddp_worker.py", 0.0005, 0), n)


def test_deterministic_mode_is_bit_identical_across_launches_and_bucket_sizes():
    hashes = []
    for cap in (0.0005, 25, 0.0005):
        out = run_ranks(3, "ddp_worker.py", cap, 1)
        check_ok(out, 3)
        hashes.append(final_hash(out))
    assert len(set(hashes)) == 1, hashes


def test_no_sync_unused_parameters_buffers_state_dict_and_mismatch():
    check_ok(run_ranks(2, "ddp_features_worker.py"), 2)
