"""The command line validates its arguments before it creates anything: every bad value is one
stderr line naming its option (negative seeds and sizes, typo-sized epochs, models too large to
allocate, an empty prompt, a metrics file in a missing folder), and a run that fails leaves no
--out folder, checkpoint or metrics file behind. Run as a user runs it (a subprocess)."""
import os

import pytest

from test_cli import one_line_error, steepest


@pytest.mark.parametrize("args, option", [
    (["demo", "--seed", "-1"], "--seed"),
    (["train", "spam", "--hidden", "-1"], "--hidden"),
    (["train", "digits", "--hidden", "-1"], "--hidden"),
    (["demo", "--epochs", "1e20"], "--epochs"),
    (["demo", "--epochs", "100000000000"], "--epochs"),
    (["demo", "--features", "1000000000"], "--features"),
    (["train", "digits", "--hidden", "10000000"], "--hidden"),
    (["demo", "--batch-size", "0"], "--batch-size"),
    (["train", "charlm", "--prompt", ""], "--prompt"),
    (["lr-find", "spam", "--features", "0"], "--features"),
])
def test_bad_values_name_their_option(tmp_path, args, option):
    out = tmp_path / "out"
    r = steepest(*args, "--out", out, timeout=60)
    one_line_error(r, option)
    assert r.returncode == 2
    assert "MemoryError" not in r.stderr and "internal error" not in r.stderr
    assert not out.exists()


def test_a_model_too_large_says_which_limit(tmp_path):
    r = steepest("demo", "--features", "10000000", "--hidden", "60000", "--out", tmp_path / "o", timeout=60)
    one_line_error(r, "--features/--hidden", "limit")
    assert not (tmp_path / "o").exists()


def test_metrics_out_into_a_missing_folder_fails_at_once(tmp_path):
    out = tmp_path / "run"
    r = steepest("demo", "--quick", "--metrics-out", tmp_path / "missing" / "m.json", "--out", out, timeout=60)
    one_line_error(r, "--metrics-out", "does not exist")
    assert r.returncode == 2
    assert not out.exists()  # nothing was trained or written


def test_a_failing_run_leaves_no_out_folder(tmp_path):
    out = tmp_path / "run"
    bad = tmp_path / "bad.tsv"
    bad.write_text("not a label\thello\n", encoding="utf-8")
    r = steepest("train", "spam", "--data", bad, "--out", out, timeout=120)
    one_line_error(r)
    assert not out.exists(), os.listdir(out)


def test_out_that_is_a_file_is_refused_before_training(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = steepest("demo", "--out", f, timeout=60)
    one_line_error(r, "--out", "not a directory")
    assert f.read_text() == "x"
