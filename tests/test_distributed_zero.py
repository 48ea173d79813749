"""ZeroRedundancyOptimizer on real ranks: ZeRO-1 and ZeRO-2 equal DDP bit for bit, state and
gradients per rank are 1/N, and a consolidated checkpoint from 2 ranks resumes on 3."""
import pytest
from distributed.launch import check_ok, run_ranks


@pytest.mark.parametrize("n", [2, 3])
def test_zero1_zero2_equal_ddp_and_shard_state(n):
    check_ok(run_ranks(n, "zero_worker.py", "equal", timeout=120), n)


def test_checkpoint_from_two_ranks_resumes_on_three(tmp_path):
    check_ok(run_ranks(2, "zero_worker.py", "save", tmp_path), 2)
    assert (tmp_path / "zero.ckpt").exists()
    check_ok(run_ranks(3, "zero_worker.py", "resume", tmp_path), 3)


def test_every_optimizer_class_shards_exactly():
    check_ok(run_ranks(3, "zero_rules_worker.py", timeout=150), 3)
