"""st.nn: torch-shaped building blocks for models — Module, Parameter, layers, losses,
st.nn.functional and st.nn.init."""
from . import functional, init  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Parameter  # noqa: F401
