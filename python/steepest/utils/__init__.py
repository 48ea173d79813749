"""st.utils: training utilities that aren't layers (gradient checkpointing)."""
from .checkpoint import checkpoint  # noqa: F401
