"""st.autocast (st.amp.autocast): torch's automatic mixed precision context manager and
decorator, and the functions reading or setting its thread-local state. The state, the op
policies and the cast cache live in the C++ core (steepest/autocast.hpp); this module only
enters and leaves regions."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Optional, TypeVar

from .. import _core

_F = TypeVar("_F", bound=Callable[..., Any])

_LOW = (_core.bfloat16, _core.float16)


def _check_device_type(device_type: Any) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in ("cpu", "cuda"):
        raise RuntimeError(f"autocast: expected device_type 'cpu' or 'cuda', but got '{device_type}'")
    return device_type


def _cuda_available() -> bool:
    return bool(_core.cuda_is_available())


class autocast:
    """Ops entered inside the region run in mixed precision on `device_type` ("cpu" or
    "cuda"): matrix products, linear, convolutions and attention in `dtype` (bfloat16 or
    float16; default bfloat16 on the CPU, float16 on CUDA), losses in float32, cat/stack in
    their widest input type, every other op in its inputs' dtype. enabled=False turns autocast
    off inside; leaving restores the outer state. A float32 weight (leaf requiring grad) is
    cast once per region when cache_enabled. As a decorator, each call runs in a region.

    As torch on a CPU-only build: an unsupported dtype, or device_type "cuda" without a GPU,
    warns and disables autocast for the region."""

    def __init__(self, device_type: str, dtype: Optional[_core.dtype] = None, enabled: bool = True,
                 cache_enabled: Optional[bool] = None) -> None:
        self.device = _check_device_type(device_type)
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: argument 'enabled' must be bool, not {type(enabled).__name__}")
        self.fast_dtype: Any = _core._autocast_get_dtype(self.device) if dtype is None else dtype
        self._cache_enabled = _core._autocast_is_cache_enabled() if cache_enabled is None else bool(cache_enabled)
        if enabled and self.device == "cuda" and not _cuda_available():
            warnings.warn("CUDA is not available. Disabling autocast.", UserWarning, stacklevel=2)
            enabled = False
        if enabled and self.fast_dtype not in _LOW:
            name = "CPU" if self.device == "cpu" else "CUDA"
            warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"{name} Autocast only supports dtypes of steepest.bfloat16, steepest.float16 "
                          "currently.", UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._saved: list[tuple[bool, Any, bool]] = []

    def __enter__(self) -> autocast:
        d = self.device
        self._saved.append((_core._autocast_is_enabled(d), _core._autocast_get_dtype(d),
                            _core._autocast_is_cache_enabled()))
        if self._enabled:  # a disabled region keeps the outer dtype (fast_dtype may be unsupported)
            _core._autocast_set_dtype(d, self.fast_dtype)
        _core._autocast_set_enabled(d, self._enabled)
        _core._autocast_set_cache_enabled(self._cache_enabled)
        _core._autocast_increment_nesting()
        return self

    def __exit__(self, *exc: object) -> None:
        if _core._autocast_decrement_nesting() == 0:
            _core._autocast_clear_cache()
        enabled, dtype, cache = self._saved.pop()
        _core._autocast_set_enabled(self.device, enabled)
        _core._autocast_set_dtype(self.device, dtype)
        _core._autocast_set_cache_enabled(cache)

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return run  # type: ignore[return-value]


def is_autocast_enabled(device_type: Optional[str] = None) -> bool:
    """Whether autocast is on for device_type on this thread; without it, CUDA's (as torch)."""
    return bool(_core._autocast_is_enabled(_check_device_type("cuda" if device_type is None else device_type)))


def set_autocast_enabled(*args: Any) -> None:
    """set_autocast_enabled(device_type, enabled), or torch's older set_autocast_enabled(enabled)
    for CUDA."""
    if len(args) == 1:
        device_type, enabled = "cuda", args[0]
    elif len(args) == 2:
        device_type, enabled = args
    else:
        raise TypeError(f"set_autocast_enabled() takes (device_type, enabled) or (enabled), got {len(args)} "
                        "arguments")
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' must be bool, not {type(enabled).__name__}")
    _core._autocast_set_enabled(_check_device_type(device_type), enabled)


def get_autocast_dtype(device_type: str) -> Any:
    return _core._autocast_get_dtype(_check_device_type(device_type))


def set_autocast_dtype(device_type: str, dtype: Any) -> None:
    _core._autocast_set_dtype(_check_device_type(device_type), dtype)


def is_autocast_cpu_enabled() -> bool:
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype() -> Any:
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype() -> Any:
    return get_autocast_dtype("cuda")


def is_autocast_cache_enabled() -> bool:
    return bool(_core._autocast_is_cache_enabled())


def set_autocast_cache_enabled(enabled: bool) -> None:
    _core._autocast_set_cache_enabled(bool(enabled))


def clear_autocast_cache() -> None:
    _core._autocast_clear_cache()


def autocast_increment_nesting() -> int:
    return int(_core._autocast_increment_nesting())


def autocast_decrement_nesting() -> int:
    return int(_core._autocast_decrement_nesting())


def _cast_floats(value: Any, device_type: str, dtype: Any) -> Any:
    """custom_fwd's cast_inputs: floating tensors on device_type become dtype, through
    tuples, lists and dict values."""
    if isinstance(value, _core.Tensor):
        if value.is_floating_point() and value.device.type == device_type:
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_floats(v, device_type, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast_floats(v, device_type, dtype) for k, v in value.items()}
    return value


def custom_fwd(fwd: Optional[Callable[..., Any]] = None, *, device_type: str,
               cast_inputs: Optional[Any] = None) -> Any:
    """Decorates an autograd.Function's forward. Without cast_inputs, forward runs in the
    caller's autocast state and backward (with custom_bwd) will run in the same one. With
    cast_inputs, when autocast is on, forward's floating inputs on device_type are cast to
    cast_inputs and forward runs with autocast off (backward too)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    _check_device_type(device_type)

    @functools.wraps(fwd)
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        on = is_autocast_enabled(device_type)
        ctx._autocast_dtype = get_autocast_dtype(device_type)
        ctx._fwd_used_autocast = on and cast_inputs is None
        if cast_inputs is None or not on:
            return fwd(ctx, *args, **kwargs)
        with autocast(device_type, enabled=False):
            return fwd(ctx, *_cast_floats(args, device_type, cast_inputs),
                       **_cast_floats(kwargs, device_type, cast_inputs))
    return forward


def custom_bwd(bwd: Optional[Callable[..., Any]] = None, *, device_type: str) -> Any:
    """Decorates an autograd.Function's backward: it runs in the autocast state its forward
    (decorated with custom_fwd) ran in."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    _check_device_type(device_type)

    @functools.wraps(bwd)
    def backward(ctx: Any, *grads: Any) -> Any:
        with autocast(device_type, dtype=ctx._autocast_dtype, enabled=ctx._fwd_used_autocast):
            return bwd(ctx, *grads)
    return backward
