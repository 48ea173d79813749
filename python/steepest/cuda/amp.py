"""st.cuda.amp: the older torch.cuda.amp spelling of st.amp.GradScaler (same class)."""
from ..amp import GradScaler  # noqa: F401

__all__ = ["GradScaler"]
