"""Helpers of the memory-safety tests: running a snippet in a fresh interpreter (so a crash
fails one test instead of ending the run) and reading the exception an expression raises in
steepest or in torch, to compare the two."""
import os
import subprocess
import sys
import textwrap

import torch

import steepest as st

# The folder this process imported steepest from (the working tree's python/ under
# PYTHONPATH=python, or site-packages for an installed steepest): the child imports the same one.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(st.__file__)))


def run_isolated(code, timeout=120):
    """Runs `code` in a fresh interpreter with steepest importable; returns the completed process."""
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def error_of(lib, expr):
    """(type name, message) of the exception `expr` raises with `lib` bound to steepest or torch."""
    try:
        eval(expr, {"lib": lib, "st": st, "torch": torch})
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever is raised
        return type(e).__name__, str(e)
    return None


def isolated_error(expr):
    """error_of(st, expr), evaluated in a subprocess that must exit cleanly."""
    out = run_isolated(f"""
        import steepest as st
        lib = st
        try:
            {expr}
            print("NO ERROR")
        except Exception as e:
            print(type(e).__name__)
            print(str(e))
    """)
    assert out.returncode == 0, f"{expr} crashed the interpreter (rc {out.returncode}): {out.stderr[-2000:]}"
    kind, _, message = out.stdout.partition("\n")
    return kind, message.strip()
