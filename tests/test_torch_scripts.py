"""The torch-idiom scripts of tests/torch_scripts, each run unchanged twice in a subprocess:
once with real torch, once with `torch` bound to steepest (tests/torch_scripts/run.py). The
torch run exports its initial weights (numpy .npz), the steepest run imports them, data comes
from numpy, and every number a script reports (per-step losses, evaluations, learning rates)
must agree to float32 rounding. Results whose name starts with "_" (samples drawn from each
library's own random stream) are checked for validity here instead.

A script that needs something a build of steepest lacks (SCRIPTS lists what beyond the basics
each uses) has what it reported before stopping compared, and is skipped naming the missing
piece. tests/test_torch_surface_scripts.py has two more scripts, in-process."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import steepest as st

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "torch_scripts", "run.py")
# the steepest this test imported (the source tree's python/ in a dev checkout, site-packages
# when installed), so the scripts' subprocess runs the same build
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(st.__file__)))

# script: (what it needs from steepest beyond the basics, rtol for the reported numbers)
SCRIPTS = {
    "gpt_char.py": (["topk", "multinomial"], 2e-5),                             # (a)
    "vae_digits.py": ([], 2e-5),                                                 # (b)
    "python_optimizers.py": ([], 2e-5),                                          # (c)
    "checkpoint_resume.py": ([], 2e-5),                                          # (d)
    "regression.py": ([], 2e-5),                                                 # (e)
    "cnn_digits.py": (["nn.Conv2d", "nn.BatchNorm2d", "nn.MaxPool2d"], 2e-5),   # (f)
    "lstm_lm.py": (["nn.LSTM"], 2e-5),                                           # (g)
}


def _has(name):
    obj = st
    for part in name.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _run_all(lib, scripts, out_dir, mode):
    """Every script under one library, in one subprocess (one import; one thread each, as
    the machine's cores are shared)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore",
               PYTHONPATH=os.pathsep.join([os.path.abspath(PYTHON_DIR), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, RUN, lib, str(out_dir), mode, *scripts], env=env, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"run.py under {lib} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """{script: (steepest's results, torch's results)}: torch runs first and exports weights."""
    out = tmp_path_factory.mktemp("torch_scripts")
    scripts = sorted(SCRIPTS)
    _run_all("torch", scripts, out, "export")
    _run_all("steepest", scripts, out, "import")

    def load(lib, script):
        with open(out / lib / f"{script}.json") as f:
            return json.load(f)
    return load


def _compare(ours, theirs, rtol):
    assert set(ours) == set(theirs)
    for key, want in theirs.items():
        if key.startswith("_"):
            continue
        got = ours[key]
        numeric = isinstance(want, float) or (isinstance(want, list) and all(isinstance(v, (int, float)) for v in want))
        if numeric and not isinstance(want, int):
            np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64), rtol=rtol,
                                       atol=1e-7, err_msg=key)
        else:
            assert got == want, key


def _check_samples(script, ours, theirs):
    if script == "checkpoint_resume.py":  # resuming from the checkpoint changed nothing, in either library
        assert ours["identical"] is True and ours["resumed"] == ours["continuous"]
    if script == "gpt_char.py":
        for res in (ours, theirs):
            ids = res["_sample_ids"]
            assert len(ids) == 4 + 40 and res["_sample"].startswith("And ")
            assert all(0 <= i < 100 for i in ids)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_runs_unchanged_and_matches_torch(script, results):
    """A script whose needs steepest lacks must fail on one of them; what it reported before
    failing is still compared, and the test is skipped naming the missing pieces."""
    needs, rtol = SCRIPTS[script]
    missing = [n for n in needs if not _has(n)]
    theirs = results("torch", script)
    ours = results("steepest", script)
    assert "__error__" not in theirs, f"{script} failed under torch:\n{theirs['__error__']}"
    if missing and "__error__" in ours:
        last = ours["__error__"].strip().splitlines()[-1]
        assert any(n.split(".")[-1] in last for n in missing), \
            f"{script} failed for another reason:\n{ours['__error__']}"
        shared = {k: v for k, v in theirs.items() if k in ours}
        _compare({k: ours[k] for k in shared}, shared, rtol)
        pytest.skip(f"{script} needs torch.{', torch.'.join(missing)}, which steepest lacks; {len(shared)} of "
                    f"{len(theirs)} results agreed before it stopped ({last})")
    assert "__error__" not in ours, f"{script} failed under steepest:\n{ours['__error__']}"
    _compare(ours, theirs, rtol)
    _check_samples(script, ours, theirs)


def test_the_runner_binds_torch_to_steepest(tmp_path):
    """The alias is real: under the steepest run, `torch` is steepest (and the script sees it)."""
    script = tmp_path / "probe.py"
    script.write_text("import torch, torch.nn.functional as F\nimport _harness\n"
                      "_harness.report('name', torch.__name__)\n_harness.report('F', F.__name__)\n")
    _run_all("steepest", [str(script)], tmp_path, "import")
    with open(tmp_path / "steepest" / "probe.py.json") as f:
        assert json.load(f) == {"name": "steepest", "F": "steepest.nn.functional"}
