"""st.distributed: process groups and collectives with torch.distributed's names, on MPI
(mpi4py + MPICH, the steepest[mpi] extra) for CPU tensors; a one-rank "local" group needs no MPI.
Collectives work in place on the tensors' memory, zero-copy."""
from . import optim  # noqa: F401,E402  (ZeroRedundancyOptimizer)
from .collectives import (  # noqa: F401
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter_tensor,
    send,
)
from .process_group import (  # noqa: F401
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    new_group,
)

__all__ = [
    "ReduceOp", "Work", "ProcessGroup", "init_process_group", "destroy_process_group", "is_initialized",
    "is_available", "is_mpi_available", "is_nccl_available", "get_rank", "get_world_size", "get_backend",
    "get_process_group_ranks", "new_group", "all_reduce", "reduce", "broadcast", "all_gather",
    "all_gather_into_tensor", "reduce_scatter_tensor", "all_gather_object", "broadcast_object_list", "send",
    "recv", "isend", "irecv", "barrier", "optim",
]

# isort: split
# st.nn.parallel (DistributedDataParallel) becomes reachable as an attribute after `import steepest`.
from ..nn import parallel as _nn_parallel  # noqa: F401,E402
