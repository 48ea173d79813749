"""Process groups: the world (init_process_group over MPI.COMM_WORLD, or a one-rank local group
that needs no MPI), sub-groups (new_group), rank/size queries, and the two safety nets that turn
a failure on one rank into a bounded-time end of the whole job: an excepthook that aborts the MPI
job after printing the error once, and a watchdog that aborts a collective stuck past `timeout`."""
from __future__ import annotations

import datetime
import os
import sys
import threading
import time
import traceback
from typing import Any, List, Optional, Sequence

from ._mpi import launched_size, load_mpi

# torch's default: 30 minutes. STEEPEST_DIST_TIMEOUT (seconds) overrides it for every group.
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class ProcessGroup:
    """A set of ranks that run collectives together. `ranks` are global (world) ranks in group
    order; `comm` is the mpi4py communicator (None for the one-rank local group, and on ranks
    that are not members of a sub-group)."""

    def __init__(self, comm: Any, ranks: Sequence[int], backend: str, timeout: float) -> None:
        self.comm = comm
        self.ranks: List[int] = list(ranks)
        self.backend = backend
        self.timeout = timeout
        self._global_to_group = {g: i for i, g in enumerate(self.ranks)}

    def rank(self) -> int:
        return self._global_to_group.get(_world_rank(), -1)

    def size(self) -> int:
        return len(self.ranks)

    @property
    def is_member(self) -> bool:
        return _world_rank() in self._global_to_group

    def group_rank(self, global_rank: int, what: str) -> int:
        """The rank inside this group of a global rank (torch's src/dst arguments are global)."""
        r = self._global_to_group.get(global_rank)
        if r is None:
            raise ValueError(f"steepest.distributed: {what}={global_rank} is not a rank of this group "
                             f"(its global ranks: {self.ranks})")
        return r

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks})"


class _World:
    """The state init_process_group sets up (one per process)."""

    def __init__(self) -> None:
        self.group: Optional[ProcessGroup] = None
        self.mpi: Any = None
        self.watchdog: Optional[_Watchdog] = None
        self.prev_excepthook: Any = None


_world = _World()


def _world_rank() -> int:
    g = _world.group
    if g is None or g.comm is None:
        return 0
    return int(g.comm.Get_rank())


class _Watchdog:
    """A daemon thread that aborts the MPI job when one blocking operation (a collective, a
    Work.wait) has run longer than its group's timeout: the only way out of a collective that
    some ranks never call, since MPI cannot cancel one. Arming is two attribute writes."""

    def __init__(self, mpi: Any) -> None:
        self.mpi = mpi
        self.what: Optional[str] = None
        self.started = 0.0
        self.limit = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="steepest-dist-watchdog", daemon=True)
        self._thread.start()

    def arm(self, what: str, limit: float) -> None:
        self.started, self.limit = time.monotonic(), limit
        self.what = what

    def disarm(self) -> None:
        self.what = None

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            what = self.what
            if what is not None and time.monotonic() - self.started > self.limit:
                rank = self.mpi.COMM_WORLD.Get_rank()
                sys.stderr.write(f"steepest.distributed: rank {rank}: {what} did not complete within "
                                 f"{self.limit:g} s (a rank did not call it, called a different collective, "
                                 "or died); aborting the job\n")
                sys.stderr.flush()
                self.mpi.COMM_WORLD.Abort(1)

    def stop(self) -> None:
        self._stop.set()


class _Blocking:
    """Context manager arming the watchdog around one blocking MPI call."""

    __slots__ = ("what", "limit")

    def __init__(self, what: str, group: ProcessGroup) -> None:
        self.what, self.limit = what, group.timeout

    def __enter__(self) -> None:
        w = _world.watchdog
        if w is not None:
            w.arm(self.what, self.limit)

    def __exit__(self, *exc: Any) -> None:
        w = _world.watchdog
        if w is not None:
            w.disarm()


def _abort_on_uncaught(exc_type: Any, exc: Any, tb: Any) -> None:
    """sys.excepthook while a multi-rank group exists: print this rank's error once, then end
    every rank (the others would otherwise wait forever in their next collective)."""
    mpi = _world.mpi
    rank = mpi.COMM_WORLD.Get_rank() if mpi is not None else 0
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"steepest.distributed: rank {rank} raised an uncaught exception; aborting all ranks\n{text}")
    sys.stderr.flush()
    if mpi is not None and mpi.COMM_WORLD.Get_size() > 1:
        mpi.COMM_WORLD.Abort(1)
    os._exit(1)


def _timeout_seconds(timeout: Optional[datetime.timedelta]) -> float:
    env = os.environ.get("STEEPEST_DIST_TIMEOUT")
    if env:
        try:
            return float(env)
        except ValueError:
            raise ValueError(f"STEEPEST_DIST_TIMEOUT={env!r} is not a number of seconds") from None
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"timeout must be a datetime.timedelta, got {type(timeout).__name__}")
    if timeout.total_seconds() <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return timeout.total_seconds()


def is_available() -> bool:
    """True: steepest.distributed exists (the mpi backend needs the steepest[mpi] extra)."""
    return True


def is_mpi_available() -> bool:
    try:
        load_mpi()
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    """False: the NCCL backend needs steepest's CUDA backend, which does not exist yet."""
    return False


def is_initialized() -> bool:
    return _world.group is not None


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None,
                       timeout: Optional[datetime.timedelta] = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "") -> None:
    """Joins this process to the default group.

    backend "mpi": the ranks mpiexec started (rank and size come from MPI; world_size/rank, if
    given, must agree). backend "local": a one-rank group in this process, no MPI needed.
    backend None: "mpi" when mpi4py is installed or the process was launched with more than one
    rank, else "local". Without mpi4py, "mpi" raises ImportError saying how to install it.
    Under "mpi" with more than one rank, an uncaught exception on any rank prints that rank's
    error once and aborts every rank, and a collective blocked longer than `timeout` (default
    30 min, or STEEPEST_DIST_TIMEOUT seconds) aborts the job instead of hanging."""
    if _world.group is not None:
        raise RuntimeError("steepest.distributed: init_process_group called twice (the default group is "
                           "already initialized; destroy_process_group() first)")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("steepest.distributed: init_method/store are not used: the mpi backend gets ranks "
                         "from mpiexec")
    limit = _timeout_seconds(timeout)
    if backend is None:
        backend = "mpi" if (launched_size() > 1 or is_mpi_available()) else "local"
    backend = str(backend).lower()
    if backend == "nccl":
        raise ValueError("steepest.distributed: backend 'nccl' needs steepest's CUDA backend, which does not "
                         "exist yet; use backend='mpi' for CPU tensors")
    if backend == "local":
        if world_size not in (-1, 1) or rank not in (-1, 0):
            raise ValueError(f"steepest.distributed: backend 'local' is one rank; got world_size={world_size}, "
                             f"rank={rank}")
        _world.group = ProcessGroup(None, [0], "local", limit)
        return
    if backend != "mpi":
        raise ValueError(f"steepest.distributed: unknown backend {backend!r} (available: 'mpi', 'local')")
    mpi = load_mpi()
    comm = mpi.COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, size):
        raise ValueError(f"steepest.distributed: world_size={world_size} but mpiexec started {size} rank(s)")
    if rank not in (-1, me):
        raise ValueError(f"steepest.distributed: rank={rank} but MPI says this process is rank {me}")
    _world.mpi = mpi
    # A duplicate keeps steepest's traffic apart from any the program does on COMM_WORLD itself.
    _world.group = ProcessGroup(comm.Dup(), list(range(size)), "mpi", limit)
    if size > 1:
        _world.watchdog = _Watchdog(mpi)
        _world.prev_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group: Optional[ProcessGroup] = None) -> None:
    """Frees a group's communicator; without an argument, the default group (after which
    init_process_group may be called again)."""
    if group is not None and group is not _world.group:
        if group.comm is not None:
            group.comm.Free()
            group.comm = None
        return
    g = _world.group
    if g is None:
        return
    if g.comm is not None:
        g.comm.Free()
    if _world.watchdog is not None:
        _world.watchdog.stop()
        _world.watchdog = None
    if _world.prev_excepthook is not None:
        sys.excepthook = _world.prev_excepthook
        _world.prev_excepthook = None
    _world.group = None


def _default(group: Optional[ProcessGroup]) -> ProcessGroup:
    if group is None:
        if _world.group is None:
            raise RuntimeError("steepest.distributed: the default process group is not initialized; call "
                               "st.distributed.init_process_group() first")
        return _world.group
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup, got {type(group).__name__}")
    return group


def _member(group: Optional[ProcessGroup], what: str) -> ProcessGroup:
    g = _default(group)
    if not g.is_member:
        raise RuntimeError(f"steepest.distributed: {what}: rank {_world_rank()} is not a member of {g}")
    if g.comm is None and g.size() > 1:
        raise RuntimeError(f"steepest.distributed: {what}: {g} was destroyed")
    return g


def get_rank(group: Optional[ProcessGroup] = None) -> int:
    """This process's rank in the group (default: the world); -1 if it is not a member."""
    return _default(group).rank()


def get_world_size(group: Optional[ProcessGroup] = None) -> int:
    return _default(group).size()


def get_backend(group: Optional[ProcessGroup] = None) -> str:
    return _default(group).backend


def get_process_group_ranks(group: ProcessGroup) -> List[int]:
    return list(_default(group).ranks)


def new_group(ranks: Optional[Sequence[int]] = None, timeout: Optional[datetime.timedelta] = None,
              backend: Optional[str] = None) -> ProcessGroup:
    """A sub-group of the given global ranks (all ranks, by default), in that order. Every rank
    of the world must call it, members or not, as in torch; on a non-member the returned group
    reports rank -1 and its collectives raise."""
    world = _default(None)
    members = list(range(world.size())) if ranks is None else [int(r) for r in ranks]
    if len(set(members)) != len(members):
        raise ValueError(f"steepest.distributed: new_group ranks contain duplicates: {members}")
    bad = [r for r in members if not 0 <= r < world.size()]
    if bad:
        raise ValueError(f"steepest.distributed: new_group ranks {bad} are outside the world of size {world.size()}")
    limit = world.timeout if timeout is None else _timeout_seconds(timeout)
    if world.comm is None:
        return ProcessGroup(None, members, world.backend, limit)
    with _Blocking("new_group", world):
        sub = world.comm.Create(world.comm.Get_group().Incl(members))
    comm = None if sub == _world.mpi.COMM_NULL else sub
    return ProcessGroup(comm, members, world.backend, limit)


def blocking(what: str, group: ProcessGroup) -> _Blocking:
    return _Blocking(what, group)
