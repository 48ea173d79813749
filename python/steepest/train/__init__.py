"""st.train: the training loop (fit), evaluation and metrics, checkpoints that resume bit for
bit, failure diagnostics (non-finite values, gradient norms, loss spikes), the learning-rate
range test (lr_find) and plots of all of it (matplotlib, optional: steepest[plot])."""
from .callbacks import EarlyStopping, TrainState  # noqa: F401
from .diagnostics import GradNormMonitor, LossSpikeMonitor, NonFiniteError  # noqa: F401
from .history import History  # noqa: F401
from .loop import fit  # noqa: F401
from .lr_finder import LRFinderResult, lr_find  # noqa: F401
from .metrics import accuracy, evaluate  # noqa: F401
from .plots import plot_grad_norms, plot_history, plot_lr_find  # noqa: F401

__all__ = ["fit", "evaluate", "accuracy", "lr_find", "LRFinderResult", "History", "EarlyStopping", "TrainState",
           "NonFiniteError", "GradNormMonitor", "LossSpikeMonitor", "plot_history", "plot_grad_norms",
           "plot_lr_find"]
