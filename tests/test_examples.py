"""Each script in examples/ runs with --quick, says what it found, and writes its PNG (the
scripts that plot a training History always do; the others only with matplotlib). The
residual-MLP example must show its point:
the residual network trains where the plain one of the same depth stays at chance."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False


# These draw History.plot, which has a built-in PNG writer when matplotlib is missing.
HISTORY_PLOTS = {"spam_classifier.py", "digits_mlp.py", "char_transformer.py"}


def run_example(name, tmp_path, *args):
    script = EXAMPLES / name
    if not script.is_file():
        pytest.skip(f"{script} not present (examples live in the source tree)")
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep))
    out = tmp_path / "plot.png"
    r = subprocess.run([sys.executable, str(script), "--quick", "--out", str(out), *args], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    if HAVE_MPL or name in HISTORY_PLOTS:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "matplotlib is not installed" in r.stdout
    return r.stdout


def test_spam_classifier(tmp_path):
    out = run_example("spam_classifier.py", tmp_path)
    f1 = float(re.search(r"F1 ([\d.]+)", out).group(1))
    assert f1 >= 0.85  # the same bar as the CLI demo (see tests/test_cli.py)
    assert re.search(r"^\s+spam \S+\s+WINNER", out, re.M)


def test_digits_mlp(tmp_path):
    out = run_example("digits_mlp.py", tmp_path)
    accs = [float(a) for a in re.findall(r"test accuracy ([\d.]+)", out)]
    assert len(accs) == 2 and min(accs) > 0.85  # 3 epochs; chance is 0.1


def test_char_transformer(tmp_path):
    out = run_example("char_transformer.py", tmp_path)
    m = re.search(r"final validation loss ([\d.]+) nats per character \(uniform guessing: ([\d.]+)\)", out)
    assert float(m.group(1)) < float(m.group(2)) - 1.0
    assert "And God said" in out


def test_optimizer_landscapes(tmp_path):
    out = run_example("optimizer_landscapes.py", tmp_path)
    for landscape in ("Rosenbrock", "saddle point", "Beale"):
        assert landscape in out
    for opt in ("SGD", "momentum", "Nesterov", "Adam", "Lion", "sign", "orthogonalized"):
        assert len(re.findall(rf"^\s+{opt}\s+lr", out, re.M)) == 3
    # Adam walks from (1, 1.5), 2.24 away from Beale's minimum (3, 0.5), to within 0.5 of it in
    # 200 steps (measured 0.17; 3e-7 after 1000).
    beale = out[out.index("Beale"):]
    adam = float(re.search(r"Adam\s+lr \S+\s+final f\s+\S+\s+distance to the minimum (\S+)", beale).group(1))
    assert adam < 0.5


def test_residual_mlp(tmp_path):
    out = run_example("residual_mlp.py", tmp_path)
    plain = re.search(r"plain .*final loss ([\d.]+), training accuracy ([\d.]+)", out)
    res = re.search(r"residual .*final loss ([\d.]+), training accuracy ([\d.]+)", out)
    # plain: stuck at chance (loss ~ log 10 = 2.30, accuracy ~0.1); residual: learning
    assert float(plain.group(1)) > 2.2 and float(plain.group(2)) < 0.2
    assert float(res.group(1)) < 1.0 and float(res.group(2)) > 0.8
