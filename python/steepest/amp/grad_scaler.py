"""GradScaler: torch.amp.GradScaler's rules (docs/optimizers.md §10) over st.optim. The inf/NaN check
is one read-only multi-tensor C++ pass, and unless unscale_() was called explicitly the
optimizer's fused step takes 1/scale as its grad factor and skips itself on inf/NaN, so an
unscaled-and-checked step reads the grads twice and writes them never. A skipped step changes
nothing: params, state and step counts stay bit-identical."""
from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import _core
from .._typing import DeviceLike

if TYPE_CHECKING:
    from ..optim.optimizer import Optimizer


class OptState(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _f32(x):
    """x rounded to float32, as torch keeps the scale (overflow gives inf, on purpose)."""
    with np.errstate(over="ignore"):
        return float(np.float32(x))


def _grads_of(optimizer):
    return [p.grad for g in optimizer.param_groups for p in g["params"] if p.grad is not None]


class GradScaler:
    """Scales the loss so small low-precision grads don't flush to zero, unscales the grads
    for the step, skips steps whose grads hold inf/NaN and adapts the scale: halve (backoff)
    after an inf/NaN, double (growth) after growth_interval clean steps in a row.

    `device` is accepted for torch compatibility and ignored (steepest steps on the CPU).

    After step() without an explicit unscale_(), p.grad keeps its scaled values (the step
    unscales inside its kernel, as torch's fused optimizers); call unscale_(optimizer) first
    to read or clip unscaled grads."""

    def __init__(self, device: DeviceLike = "cpu", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        if not growth_factor > 1.0:
            raise ValueError(f"Invalid growth_factor: {growth_factor!r} (growth_factor must be > 1)")
        if not backoff_factor < 1.0:
            raise ValueError(f"Invalid backoff_factor: {backoff_factor!r} (backoff_factor must be < 1)")
        if isinstance(growth_interval, bool) or not isinstance(growth_interval, int) or growth_interval <= 0:
            raise ValueError(f"Invalid growth_interval: {growth_interval!r} (growth_interval must be a positive int)")
        self._device = device
        self._enabled = bool(enabled)
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._scale: Optional[float] = None  # float32 value, created by the first scale()
        self._growth_tracker: Optional[int] = None
        self._init_growth_tracker = 0
        self._per_optimizer_states: dict[int, dict[str, Any]] = {}

    # -- scale --------------------------------------------------------------------------------
    def _lazy_init(self):
        if self._scale is None:
            self._scale = _f32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker

    def scale(self, outputs: Any) -> Any:
        """outputs * scale, for a tensor or (nested) lists/tuples/dicts of them."""
        if not self._enabled:
            return outputs
        self._lazy_init()
        factor = self._scale
        assert factor is not None  # set by _lazy_init

        def apply(x):
            if isinstance(x, _core.Tensor):
                return x * _core.full([], factor, dtype=_core.float32).to(x.dtype)
            if isinstance(x, (list, tuple)):
                return type(x)(apply(v) for v in x)
            if isinstance(x, dict):
                return {k: apply(v) for k, v in x.items()}
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _state(self, optimizer):
        st = self._per_optimizer_states.get(id(optimizer))
        if st is None:
            st = {"stage": OptState.READY, "found_inf": None, "optimizer": optimizer}
            self._per_optimizer_states[id(optimizer)] = st
        return st

    # -- unscale ------------------------------------------------------------------------------
    def unscale_(self, optimizer: Optimizer) -> None:
        """Divides the optimizer's grads by the scale in place (one C++ pass that also checks
        for inf/NaN, recorded for step()). At most once between update()s, before step()."""
        if not self._enabled:
            return
        if self._scale is None:
            raise RuntimeError("Attempted unscale_ but _scale is None.  This may indicate your script did not use "
                               "scaler.scale(loss or outputs) earlier in the iteration.")
        st = self._state(optimizer)
        if st["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if st["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        grads = _grads_of(optimizer)
        if any(g.dtype == _core.float16 for g in grads):
            raise ValueError("Attempting to unscale FP16 gradients.")
        inv = _f32(1.0 / float(self._scale))  # f32(1 / f64(scale)), as torch's reciprocal
        # _unscale_, _any_nonfinite: bound in bind_optim.cpp, whose stub entries come with the rule registry.
        st["found_inf"] = 1.0 if _core._unscale_(grads, inv) else 0.0
        st["stage"] = OptState.UNSCALED

    # -- step ---------------------------------------------------------------------------------
    def step(self, optimizer: Optimizer, *args: Any, **kwargs: Any) -> Any:
        """Unscales (fused into the step unless unscale_() ran) and steps unless the grads held
        inf/NaN; returns the step's return value (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs or args:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        if self._scale is None:
            raise RuntimeError("Attempted step but _scale is None.  This may indicate your script did not use "
                               "scaler.scale(loss or outputs) earlier in the iteration.")
        st = self._state(optimizer)
        if st["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        fused = getattr(optimizer, "_step_supports_amp_scaling", False)
        if st["stage"] is OptState.READY:
            if fused:
                st["found_inf"] = 1.0 if _core._any_nonfinite(_grads_of(optimizer)) else 0.0
            else:
                self.unscale_(optimizer)
        found = st["found_inf"]
        retval = None
        if fused:
            # The step divides by grad_scale in its kernel (None once unscale_ ran) and does
            # nothing at all when found_inf is set. (Optimizer.step reads these two attributes,
            # which the Optimizer class does not declare.)
            opt: Any = optimizer
            opt.grad_scale = None if st["stage"] is OptState.UNSCALED else self._scale
            opt.found_inf = _core.full([], found, dtype=_core.float32)
            try:
                retval = opt.step()
            finally:
                del opt.grad_scale
                del opt.found_inf
        elif not found:
            retval = optimizer.step()
        st["stage"] = OptState.STEPPED
        return retval

    # -- update -------------------------------------------------------------------------------
    def update(self, new_scale: Optional[Union[float, _core.Tensor]] = None) -> None:
        """Sets the scale for the next iteration: new_scale if given, else backoff after an
        inf/NaN in any optimizer stepped since the last update, growth after growth_interval
        clean iterations (if the grown scale is finite). Float32 arithmetic, as torch."""
        if not self._enabled:
            return
        if self._scale is None:
            raise RuntimeError("Attempted update but _scale is None.  This may indicate your script did not use "
                               "scaler.scale(loss or outputs) earlier in the iteration.")
        if new_scale is not None:
            if isinstance(new_scale, _core.Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise ValueError("new_scale should be a float or a 1-element tensor with requires_grad=False.")
                new_scale = float(new_scale.item())
            elif not isinstance(new_scale, (int, float)) or isinstance(new_scale, bool):
                raise ValueError("new_scale should be a float or a 1-element tensor with requires_grad=False.")
            self._scale = _f32(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if sum(found) != 0:
                self._scale = _f32(self._scale * self._backoff_factor)
                self._growth_tracker = 0
            else:
                assert self._growth_tracker is not None  # set with _scale
                successful = self._growth_tracker + 1
                if successful == self._growth_interval:
                    grown = _f32(self._scale * self._growth_factor)
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
                else:
                    self._growth_tracker = successful
        self._per_optimizer_states = {}

    # -- accessors and checkpoints ----------------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return 0 if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """{scale, growth_factor, backoff_factor, growth_interval, _growth_tracker}; {} when disabled."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._scale = _f32(self._init_scale)
        if self._growth_tracker is not None:
            self._growth_tracker = self._init_growth_tracker
