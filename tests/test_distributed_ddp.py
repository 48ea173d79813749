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


def test_model_mismatch_messages_name_the_first_difference():
    from steepest.nn.parallel._consistency import first_mismatch
    w, b = ("parameter", "w", (2, 3), "float32", True), ("parameter", "b", (2,), "float32", True)
    assert first_mismatch([w, b], [w, b]) is None
    assert first_mismatch([w, b], [w, ("buffer", "b", (2,), "float32", False)]).format(rank=2) == \
        "entry #1 is parameter 'b' on rank 0 but buffer 'b' on rank 2"
    assert first_mismatch([w, b], [w]).format(rank=1) == \
        "parameter 'b' exists only on rank 0 (rank 0 has 2 entries, rank 1 1)"
    assert first_mismatch([w], [w, b]).format(rank=3) == \
        "parameter 'b' exists only on rank 3 (rank 0 has 1 entries, rank 3 2)"
    assert first_mismatch([w, b], [w[:3] + ("float64", True), b]).format(rank=1) == \
        "parameter 'w' has dtype float32 on rank 0 but float64 on rank 1"
    assert first_mismatch([w], [w[:4] + (False,)]).format(rank=1) == \
        "parameter 'w' has requires_grad True on rank 0 but False on rank 1"
