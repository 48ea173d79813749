"""st.nn: torch-shaped building blocks for models — Module, Parameter, layers, losses,
st.nn.functional, st.nn.init and st.nn.utils."""
from . import functional, init  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Parameter  # noqa: F401
from . import utils  # noqa: F401,E402  (clip_grad_norm_, parameters_to_vector, ...)
