"""st.cpu: torch.cpu's namespace; its amp holds the older autocast spelling."""
from . import amp  # noqa: F401
