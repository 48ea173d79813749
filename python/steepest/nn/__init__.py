"""st.nn: torch-shaped building blocks for models — Module, Parameter, layers, losses,
st.nn.functional, st.nn.init and st.nn.utils."""
from . import functional, init  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Parameter  # noqa: F401

# isort: split
# utils last: it imports steepest.optim, whose param-group recipes read nn's layer classes.
from . import utils  # noqa: F401  (clip_grad_norm_, parameters_to_vector, ...)
