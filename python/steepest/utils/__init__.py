"""st.utils: training utilities that aren't layers (gradient checkpointing), and st.utils.data,
which is the same module as st.data (torch.utils.data's spelling)."""
import sys

from .. import data  # noqa: F401  (st.utils.data is st.data)
from .checkpoint import checkpoint  # noqa: F401

# `import steepest.utils.data` and `from steepest.utils.data import DataLoader` find st.data.
sys.modules[__name__ + ".data"] = data
