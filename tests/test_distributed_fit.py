"""st.train.fit on real ranks: equal to one process on the global batches, rank 0 alone writes,
and a rank killed with SIGKILL ends the job with the checkpoint intact; a relaunch resumes and
ends where the uninterrupted run ends."""
import os
import re
import shutil
import time

import pytest
from distributed.launch import check_ok, run_ranks

import steepest as st


def final_hash(out):
    m = re.search(r"HASH ([0-9a-f]{64})", out.stdout)
    assert m, out.stdout + out.stderr
    return m.group(1)


@pytest.mark.parametrize("n", [2, 3])
def test_fit_data_parallel_equals_one_process(tmp_path, n):
    out = run_ranks(n, "fit_worker.py", "plain", tmp_path)
    check_ok(out, n)
    assert out.stderr.count("exploding") == 1, out.stderr  # the forced gradient warning: rank 0 alone
    assert sorted(os.listdir(tmp_path)) == ["metrics0.jsonl", "run.ckpt"]  # rank 0 alone wrote
    ck = st.load(str(tmp_path / "run.ckpt"))
    assert ck["epoch"] == 3 and all(not k.startswith("module.") for k in ck["model"])


def test_fit_with_a_sharded_optimizer_writes_its_whole_state(tmp_path):
    check_ok(run_ranks(2, "fit_worker.py", "zero", tmp_path), 2)


def test_sigkilled_rank_ends_the_job_and_a_relaunch_resumes(tmp_path):
    whole = tmp_path / "whole"
    whole.mkdir()
    out = run_ranks(2, "fit_worker.py", "plain", whole)
    check_ok(out, 2)
    want = final_hash(out)

    killed = tmp_path / "killed"
    killed.mkdir()
    t0 = time.monotonic()
    out = run_ranks(2, "fit_worker.py", "kill", killed, timeout=60)
    assert out.returncode != 0 and "OK rank" not in out.stdout
    assert time.monotonic() - t0 < 45
    ck = st.load(str(killed / "run.ckpt"))  # intact: loads, and holds the last finished epoch
    assert ck["epoch"] == 1
    three = tmp_path / "three"
    three.mkdir()
    shutil.copy(killed / "run.ckpt", three / "run.ckpt")

    out = run_ranks(2, "fit_worker.py", "resume", killed)
    check_ok(out, 2)
    assert final_hash(out) == want
    assert st.load(str(killed / "run.ckpt"))["epoch"] == 3

    # The same checkpoint resumes on 3 ranks too (a different split of the data, so other bits).
    check_ok(run_ranks(3, "fit_worker.py", "resume", three), 3)
    assert st.load(str(three / "run.ckpt"))["epoch"] == 3
