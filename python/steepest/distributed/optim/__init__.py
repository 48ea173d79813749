"""st.distributed.optim: ZeroRedundancyOptimizer (optimizer state, and with stage=2 gradients,
sharded across ranks)."""
from .zero import ZeroRedundancyOptimizer  # noqa: F401

__all__ = ["ZeroRedundancyOptimizer"]
