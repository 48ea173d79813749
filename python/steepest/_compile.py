"""st.compile: torch.compile's signature, as the identity. steepest has no graph compiler
(its ops are already fused kernels), so the model or function comes back unchanged and runs
eagerly; every option is accepted and ignored. Works as a call and as a decorator, with or
without arguments."""
from __future__ import annotations

from typing import Any, Callable, Optional


def compile(model: Optional[Callable[..., Any]] = None, *, fullgraph: bool = False, dynamic: Optional[bool] = None,
            backend: Any = "inductor", mode: Optional[str] = None, options: Optional[dict[str, Any]] = None,
            disable: bool = False) -> Any:
    """Returns `model` itself (or, called without a model, a decorator that does)."""
    if model is None:
        return lambda m: m
    if not callable(model):
        raise TypeError(f"st.compile: expected a module or function, got {type(model).__name__}")
    return model
