"""Tests of the `steepest` command line, run as a user runs it (a subprocess): the demo end
to end with its F1 on the held-out split above a justified bar, train spam's --metrics-out
JSON, predict's output, digits, charlm and lr-find, and bad input of every kind giving one
line on stderr, a non-zero exit and no traceback."""
import json
import math
import os
import re
import shutil
import subprocess
import sys

import pytest


def child_env():
    """This process's environment with PYTHONPATH made absolute, so a child finds the same
    steepest (the working tree under `PYTHONPATH=python`, or the installed package)."""
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    return env


def steepest(*args, cwd=None, timeout=300):
    """Runs `python -m steepest.cli ARGS` (the console script's code) -> CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "steepest.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=child_env())


def one_line_error(r, *needles):
    """Asserts a failure reported as exactly one stderr line (no traceback) containing needles."""
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------------- demo
@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = steepest("demo", "--quick", "--out", out, "--metrics-out", out / "m.json")
    assert r.returncode == 0, r.stderr
    return r, out


def test_demo_f1_clears_the_bar(demo_run):
    r, out = demo_run
    m = re.search(r"test accuracy ([\d.]+)\s+precision ([\d.]+)\s+recall ([\d.]+)\s+F1 ([\d.]+)", r.stdout)
    assert m, r.stdout
    acc, prec, rec, f1 = map(float, m.groups())
    # The bar. On this split (853 held-out messages, 115 spam) always answering "ham" scores
    # accuracy 0.865 but F1 = 0, so F1 is the number that shows learning. Measured for --quick
    # (60 full-batch steps): 0.974 at seed 0; the full 300 steps reach 0.982
    # (tests/test_spam_baseline.py). 0.85 still fails a model missing a quarter of the spam.
    assert f1 >= 0.85, r.stdout
    assert acc > 0.9 and prec > 0.8 and rec > 0.7
    # the confusion matrix rows add up to the held-out counts the demo reports
    cm = re.search(r"ham\s+(\d+)\s+(\d+)\n\s*spam\s+(\d+)\s+(\d+)", r.stdout)
    tn, fp, fn, tp = map(int, cm.groups())
    assert tn + fp + fn + tp == 853 and fn + tp == 115
    assert math.isclose(2 * tp / (2 * tp + fp + fn), f1, abs_tol=1e-4)
    assert math.isclose((tp + tn) / 853, acc, abs_tol=1e-4)


def test_demo_writes_checkpoint_plot_and_metrics(demo_run):
    r, out = demo_run
    assert (out / "spam_classifier.safetensors").is_file()
    png = (out / "loss_curve.png").read_bytes()  # drawn with or without matplotlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads((out / "m.json").read_text())
    assert {"accuracy", "precision", "recall", "f1"} <= set(doc)


def test_predict_with_demo_checkpoint(demo_run):
    _, out = demo_run
    texts = ["WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim now",
             "Are we still meeting for lunch tomorrow?"]
    r = steepest("predict", "--checkpoint", out / "spam_classifier.safetensors", *texts)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 2
    parsed = [ln.split("\t") for ln in lines]
    assert [p[0] for p in parsed] == ["spam", "ham"]
    for (label, score, text), original in zip(parsed, texts):
        # the SVM score: > 0 is spam, and these two are clear cases, past half a margin
        assert float(score) > 0.5 if label == "spam" else float(score) < -0.5
        assert original.startswith(text.rstrip("."))


# ------------------------------------------------------------------------------- train spam
def _write(path, rows):
    path.write_text("".join(f"{a}\t{b}\n" for a, b in rows), encoding="utf-8")
    return path


def _toy(n, offset=0):
    """Separable messages: spam talks of prizes, ham of lunch."""
    spam = [f"claim your free prize {i + offset} call now to win cash" for i in range(n)]
    ham = [f"see you at lunch {i + offset} later today my friend" for i in range(3 * n)]
    return [("spam", s) for s in spam] + [("ham", h) for h in ham]


def test_train_spam_on_own_files_metrics_json(tmp_path):
    train = _write(tmp_path / "train.tsv", _toy(30))
    test = _write(tmp_path / "test.tsv", _toy(10, offset=1000))
    r = steepest("train", "spam", "--data", train, "--test-data", test, "--metrics-out", tmp_path / "m.json",
                 "--optimizer", "adam", "--epochs", "5", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "m.json").read_text())
    assert {"accuracy", "precision", "recall", "f1"} <= set(doc)
    # A perfectly separable task: every test message right.
    assert doc["accuracy"] == 1.0 and doc["f1"] == 1.0
    assert doc["confusion_matrix"] == [[30, 0], [0, 10]] and doc["n_test"] == 40
    r = steepest("predict", "--checkpoint", tmp_path / "o" / "spam_classifier.safetensors", "win a free prize")
    assert r.returncode == 0 and r.stdout.startswith("spam\t")


def test_train_spam_mlp_learns(tmp_path):
    train = _write(tmp_path / "train.tsv", _toy(30))
    r = steepest("train", "spam", "--data", train, "--hidden", "8", "--epochs", "30", "--metrics-out",
                 tmp_path / "m.json", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert "MLP (hidden 8)" in r.stdout and "adamw" in r.stdout  # the MLP's default optimizer
    assert json.loads((tmp_path / "m.json").read_text())["f1"] == 1.0
    r = steepest("predict", "--checkpoint", tmp_path / "o" / "spam_classifier.safetensors", "win a free prize")
    assert r.returncode == 0 and r.stdout.startswith("spam\t"), r.stdout + r.stderr


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "lion"])
def test_train_spam_other_optimizers_learn(tmp_path, optimizer):
    train = _write(tmp_path / "train.tsv", _toy(30))
    r = steepest("train", "spam", "--data", train, "--optimizer", optimizer, "--epochs", "5",
                 "--metrics-out", tmp_path / "m.json", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "m.json").read_text())["f1"] == 1.0


# ------------------------------------------------------------------------ digits, charlm
def test_train_digits(tmp_path):
    r = steepest("train", "digits", "--epochs", "8", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    acc = float(re.search(r"test accuracy ([\d.]+)", r.stdout).group(1))
    assert acc >= 0.93, r.stdout  # measured 0.97 at 20 epochs; chance is 0.1
    assert (tmp_path / "digits_mlp.safetensors").is_file()


def test_train_charlm_quick_learns_and_samples(tmp_path):
    r = steepest("train", "charlm", "--quick", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("--- sample at step") == 2 and "And God said" in r.stdout
    val = float(re.search(r"validation loss ([\d.]+) nats/char \(uniform guessing: ([\d.]+)\)", r.stdout).group(1))
    vocab_loss = float(re.search(r"uniform guessing: ([\d.]+)", r.stdout).group(1))
    # 60 steps already beat uniform guessing by a wide margin (measured 2.51 vs 4.11): it
    # learns letter frequencies and common pairs.
    assert val < vocab_loss - 1.0
    assert (tmp_path / "charlm.safetensors").is_file()


def test_lr_find_digits(tmp_path):
    r = steepest("lr-find", "digits", "--num-iter", "60", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    lr = float(re.search(r"suggested lr: ([\d.e+-]+)", r.stdout).group(1))
    assert 1e-5 < lr < 1.0  # Adam-like on an MLP: somewhere in the usual range
    assert (tmp_path / "lr_find_digits.png").read_bytes()[:4] == b"\x89PNG"


def test_lr_find_spam(tmp_path):
    r = steepest("lr-find", "spam", "--optimizer", "momentum", "--start-lr", "1e-3", "--num-iter", "40",
                 "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r"suggested lr: (none|[\d.e+-]+)", r.stdout), r.stdout
    m = re.search(r"lowest smoothed loss ([\d.]+)", r.stdout)
    assert float(m.group(1)) < 1.0  # below the squared hinge of an all-zero model (1 per message)
    assert (tmp_path / "lr_find_spam.png").read_bytes()[:4] == b"\x89PNG"


# -------------------------------------------------------------------------------- help
@pytest.mark.parametrize("cmd", [[], ["demo"], ["train"], ["train", "spam"], ["train", "digits"],
                                 ["train", "charlm"], ["predict"], ["lr-find"]])
def test_help(cmd):
    r = steepest(*cmd, "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: steepest")
    if cmd[-1:] in (["spam"], ["digits"], ["charlm"]):
        assert "--optimizer" in r.stdout and "--lr" in r.stdout


def test_console_script_installed():
    exe = shutil.which("steepest", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("steepest is not pip-installed in this environment (the console script comes with the install)")
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "demo" in r.stdout


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def files(tmp_path):
    f = {"missing": tmp_path / "missing.tsv", "empty": tmp_path / "empty.tsv", "notab": tmp_path / "notab.tsv",
         "label": tmp_path / "label.tsv", "digits": tmp_path / "digits.csv", "dir": tmp_path}
    f["empty"].write_text("")
    f["notab"].write_text("ham\thello\nham\tfine\nspam WIN money now\n")
    f["label"].write_text("ham\thello\nspam\twin\nphish\tclick here\n")
    f["digits"].write_text("1,2,3\n")
    return f


@pytest.mark.parametrize("args, needles", [
    (["train", "spam", "--data", "{missing}"], ["no such file", "missing.tsv"]),
    (["train", "spam", "--data", "{empty}"], ["empty.tsv is empty"]),
    (["train", "spam", "--data", "{notab}"], ["notab.tsv, line 3", "no tab"]),
    (["train", "spam", "--data", "{label}"], ["line 3", "unknown label 'phish'"]),
    (["train", "spam", "--test-data", "{notab}"], ["line 3"]),
    (["train", "spam", "--data", "{dir}"], ["is a directory"]),
    (["train", "digits", "--data", "{digits}"], ["line 1", "expected 65"]),
    (["train", "charlm", "--data", "{empty}"], ["is empty"]),
    (["train", "poetry"], ["invalid choice: 'poetry'"]),
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    (["lr-find", "poetry"], ["invalid choice: 'poetry'"]),
    (["train", "digits", "--optimizer", "adamx"], ["unknown optimizer 'adamx'"]),
    (["train", "spam", "--epochs", "0"], ["--epochs", "at least 1"]),
    (["train", "spam", "--epochs", "two"], ["--epochs", "not an integer"]),
    (["train", "digits", "--lr", "-0.1"], ["--lr", "positive"]),
    (["train", "digits", "--lr", "nan"], ["--lr", "positive finite"]),
    (["demo", "--test-fraction", "1.5"], ["--test-fraction"]),
    (["predict", "--checkpoint", "{missing}", "hi"], ["no such file"]),
    (["predict", "--checkpoint", "{notab}", "hi"], ["notab.tsv"]),
    (["predict", "hi"], ["--checkpoint"]),
    (["demo", "--out", "{notab}"], ["not a directory"]),
])
def test_bad_input_one_line_no_traceback(files, tmp_path, args, needles):
    args = [a.format(**files) for a in args]
    if args[0] in ("train", "demo") and "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    one_line_error(steepest(*args), *needles)


def test_debug_shows_traceback(files):
    r = steepest("--debug", "train", "spam", "--data", files["missing"])
    assert r.returncode != 0 and "Traceback" in r.stderr and "FileNotFoundError" in r.stderr
    r = steepest("train", "spam", "--data", files["missing"], "--debug")
    assert "Traceback" in r.stderr


def test_main_returns_status(tmp_path, capsys):
    from steepest.cli import main
    assert main(["train", "spam", "--data", str(tmp_path / "nope.tsv"), "--out", str(tmp_path)]) == 1
    assert "no such file" in capsys.readouterr().err
