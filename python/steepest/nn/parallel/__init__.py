"""st.nn.parallel: DistributedDataParallel (gradients averaged across ranks during backward)."""
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DistributedDataParallel"]
