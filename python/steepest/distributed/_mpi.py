"""Loading mpi4py (the optional `steepest[mpi]` extra) and turning steepest tensors into the
zero-copy numpy buffers its uppercase methods (Allreduce, Iallreduce, ...) read and write."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import _core

INSTALL_HINT = "pip install steepest[mpi]  (brings mpi4py and the MPICH wheel)"

# The dtypes MPI reduces natively. float16/bfloat16 have no portable MPI datatype and ops.
_DTYPES = ("float32", "float64", "int32", "int64")


def load_mpi() -> Any:
    """mpi4py's MPI module, initialized with thread support MULTIPLE (the watchdog thread may
    call Abort while the main thread waits in a collective); ImportError with the install
    command when mpi4py (or its MPI library) is missing."""
    try:
        import mpi4py
    except ImportError as e:
        raise ImportError(f"steepest.distributed: the mpi backend needs mpi4py, which is not installed: "
                          f"{INSTALL_HINT}") from e
    mpi4py.rc.thread_level = "multiple"
    try:
        from mpi4py import MPI
    except ImportError as e:  # mpi4py present but its MPI library is not
        raise ImportError(f"steepest.distributed: mpi4py is installed but cannot load an MPI library ({e}); "
                          f"{INSTALL_HINT}") from e
    return MPI


def launched_size() -> int:
    """How many ranks the launcher (mpiexec: MPICH's PMI or Open MPI's variables) started,
    read from the environment without loading MPI; 1 when not launched by one."""
    for key in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        v = os.environ.get(key)
        if v and v.isdigit():
            return int(v)
    return 1


def buffer(t: Any, what: str = "tensor") -> np.ndarray:
    """A 1-D numpy view of a steepest tensor's memory (no copy), for handing to MPI. Raises a
    clear error for anything MPI cannot read or write in place."""
    if not isinstance(t, _core.Tensor):
        raise TypeError(f"steepest.distributed: {what} must be a steepest Tensor, got {type(t).__name__}")
    dev = t.device.type
    if dev != "cpu":
        raise ValueError(f"steepest.distributed: {what} is on device {t.device}, but the mpi backend handles CPU "
                         "tensors only (the NCCL backend for CUDA tensors needs steepest's CUDA backend, "
                         "which does not exist yet)")
    name = t.dtype.name
    if name not in _DTYPES:
        raise TypeError(f"steepest.distributed: {what} has dtype {name}, which the mpi backend does not "
                        f"handle (supported: {', '.join(_DTYPES)})")
    if not t.is_contiguous():
        raise ValueError(f"steepest.distributed: {what} is not contiguous; collectives work in place on "
                         "contiguous memory (pass t.contiguous() and copy the result back)")
    a = (t.detach() if t.requires_grad else t).numpy()
    return a if a.ndim == 1 else a.reshape(-1)
