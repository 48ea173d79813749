"""st.amp: automatic mixed precision (autocast, custom_fwd/custom_bwd for autograd.Function)
and dynamic loss scaling for float16 training (GradScaler), with torch.amp's semantics.
Besides autocast, bfloat16/float16 params with float32 master weights in the optimizer
(st.optim's master_weights) give mixed precision without per-op casting."""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_enabled  # noqa: F401
from .grad_scaler import GradScaler, OptState  # noqa: F401
