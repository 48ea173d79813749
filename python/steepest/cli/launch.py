"""`steepest launch -n N script.py args`: runs a script on N ranks with the MPICH wheel's
mpiexec (the one installed beside this Python by `pip install steepest[mpi]`), and the
re-launch behind `steepest train ... --nproc N`. Hosts and the network interface pass through
to mpiexec for runs across machines."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import List, Optional, Sequence

from ..distributed._mpi import INSTALL_HINT, launched_size
from .errors import UsageError


def find_mpiexec() -> str:
    """mpiexec beside sys.executable (the mpich wheel puts it in the environment's bin), else
    the first on PATH; UsageError saying how to install it otherwise."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec")
    if found is None:
        raise UsageError(f"no mpiexec found beside {sys.executable} or on PATH: {INSTALL_HINT}")
    return found


def mpiexec_command(n: int, program: Sequence[str], hosts: Optional[str] = None, hostfile: Optional[str] = None,
                    iface: Optional[str] = None) -> List[str]:
    """The mpiexec command line running `program` (an argv) on n ranks."""
    cmd = [find_mpiexec(), "-n", str(n)]
    if hosts:
        cmd += ["-hosts", hosts]
    if hostfile:
        if not os.path.isfile(hostfile):
            raise UsageError(f"--hostfile {hostfile}: no such file")
        cmd += ["-f", hostfile]
    if iface:
        cmd += ["-iface", iface]
    return cmd + list(program)


def run_command(cmd: List[str], dry_run: bool = False) -> int:
    if dry_run:
        print(" ".join(cmd))
        return 0
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130


def add_parser(sub: argparse._SubParsersAction, bounded_int: object) -> None:
    p = sub.add_parser("launch", help="run a Python script on N ranks (data-parallel training) with mpiexec",
                       description="Runs `python SCRIPT ARGS` on N ranks with the MPICH wheel's mpiexec "
                       "(pip install steepest[mpi]). In the script, st.distributed.init_process_group() joins "
                       "the ranks, and st.train.fit trains data-parallel by itself. Across machines: the same "
                       "environment and files on each, passwordless ssh between them, and --hosts or "
                       "--hostfile (and --iface to pick the network).")
    p.add_argument("-n", "--nproc", type=bounded_int, required=True, metavar="N", help="number of ranks")
    p.add_argument("--hosts", default=None, metavar="H1,H2", help="comma-separated hosts (mpiexec -hosts)")
    p.add_argument("--hostfile", default=None, metavar="FILE", help="one 'host[:ranks]' per line (mpiexec -f)")
    p.add_argument("--iface", default=None, metavar="NAME", help="network interface to use, e.g. eth0")
    p.add_argument("--dry-run", action="store_true", help="print the mpiexec command instead of running it")
    p.add_argument("-m", dest="module", default=None, metavar="MODULE", help="run a module instead of a script")
    p.add_argument("script", nargs="?", default=None, help="the Python script")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    p.set_defaults(func=run, seed=0, threads=None)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")


def run(args: argparse.Namespace) -> int:
    if args.module is None and args.script is None:
        raise UsageError("give a script to run (or -m MODULE)")
    if args.module is not None:
        program = [sys.executable, "-m", args.module] + ([args.script] if args.script else []) + list(args.args)
    else:
        if not os.path.isfile(args.script):
            raise UsageError(f"{args.script}: no such file")
        program = [sys.executable, args.script, *args.args]
    cmd = mpiexec_command(args.nproc, program, args.hosts, args.hostfile, args.iface)
    return run_command(cmd, args.dry_run)


def relaunch(nproc: int, argv: Sequence[str]) -> Optional[int]:
    """For `--nproc N` (N > 1) outside a launched job: runs this same command line on N ranks and
    returns its exit status; None when this process should just run (N == 1, or it already is
    one of the ranks)."""
    if nproc <= 1 or launched_size() > 1:
        return None
    return run_command(mpiexec_command(nproc, [sys.executable, "-m", "steepest.cli", *argv]))


def rank_from_env() -> int:
    """This process's rank in a launched job (0 outside one), read before MPI starts."""
    for key in ("PMI_RANK", "OMPI_COMM_WORLD_RANK"):
        v = os.environ.get(key)
        if v and v.isdigit():
            return int(v)
    return 0
