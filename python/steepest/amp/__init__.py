"""st.amp: dynamic loss scaling for low-precision training (GradScaler, torch.amp's semantics).
autocast is not provided: steepest runs each op in the dtype of its inputs, so mixed precision
means bfloat16/float16 params with float32 master weights in the optimizer (st.optim's
master_weights) rather than per-op casting."""
from .grad_scaler import GradScaler, OptState  # noqa: F401
