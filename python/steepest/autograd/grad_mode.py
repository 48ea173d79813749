"""Grad modes as context managers and decorators: st.no_grad(), st.enable_grad(),
st.set_grad_enabled(flag). The mode itself is a per-thread flag in the C++ core."""
from __future__ import annotations

import functools
from typing import Any, Callable, Literal, TypeVar, cast

from .. import _core

_F = TypeVar("_F", bound=Callable[..., Any])


class _GradMode:
    """Base: sets the mode on enter, restores the previous one on exit; also a decorator,
    with or without parentheses (@st.no_grad() and @st.no_grad, as torch)."""

    _enabled = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls in (no_grad, enable_grad) and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])  # bare decorator: cls(fn) is the wrapped function
        return super().__new__(cls)

    def __enter__(self) -> _GradMode:
        self._prev = _core.is_grad_enabled()
        _core._set_grad_enabled(self._enabled)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _core._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)
        return cast(_F, wrapper)


class no_grad(_GradMode):
    """Ops inside don't record the graph (inference, optimizer updates, weight init)."""

    _enabled = False


class enable_grad(_GradMode):
    """Turns recording back on inside a no_grad region."""

    _enabled = True


class set_grad_enabled(_GradMode):
    """set_grad_enabled(False) as a context manager, a decorator, or a plain call."""

    def __init__(self, mode: bool) -> None:
        self._enabled = bool(mode)
        self._prev = _core.is_grad_enabled()
        _core._set_grad_enabled(self._enabled)

    def __enter__(self) -> set_grad_enabled:
        return self

    def __call__(self, fn: _F) -> _F:
        mode = self._enabled
        _core._set_grad_enabled(self._prev)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return cast(_F, wrapper)


class inference_mode(no_grad):
    """torch's inference_mode, here the same as no_grad."""

    def __init__(self, mode: bool = True) -> None:
        self._enabled = not mode
