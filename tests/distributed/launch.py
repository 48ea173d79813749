"""Running a worker script on N real ranks with the MPICH wheel's mpiexec (found next to the
test interpreter), with steepest importable from where this process imported it, a bounded
wall time, and every rank's output captured."""
import os
import shutil
import subprocess
import sys

import pytest

import steepest as st

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(st.__file__)))


def mpiexec():
    """The mpiexec beside sys.executable (the mpich wheel's), else one on PATH; skips the test
    when MPI is not installed (pip install steepest[mpi])."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed (pip install steepest[mpi])")
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec (pip install steepest[mpi])")
    return found


def env(**extra):
    e = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""),
             OMP_NUM_THREADS="1")
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run_ranks(n, script, *args, timeout=90, extra_env=None):
    """Runs tests/distributed/<script> on n ranks; returns the CompletedProcess."""
    cmd = [mpiexec(), "-n", str(n), sys.executable, os.path.join(HERE, script), *map(str, args)]
    return subprocess.run(cmd, env=env(**(extra_env or {})), capture_output=True, text=True, timeout=timeout)


def check_ok(out, n):
    """Asserts the job succeeded and every rank printed its OK line."""
    msg = f"rc={out.returncode}\nstdout:\n{out.stdout[-3000:]}\nstderr:\n{out.stderr[-3000:]}"
    assert out.returncode == 0, msg
    for r in range(n):
        assert f"OK rank {r}" in out.stdout, msg
