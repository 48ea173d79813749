"""Learning-rate schedulers with torch.optim.lr_scheduler's classes, arguments and values.

They drive any optimizer object with a `param_groups` list of dicts holding "lr" (and
"momentum" or "betas" for the cycling schedulers). Like torch, the chainable schedulers
compute each value from the group's current lr (the recursive form, whose last bits differ
from the closed form, docs/optimizers.md §8.1); closed forms and the cyclical and warmup shapes are
the C++ functions in `schedule` (steepest.optim.lr_scheduler.schedule.cosine etc., from
steepest/schedule.hpp). No warnings in normal use.
"""
from __future__ import annotations

import math
import numbers
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from typing import Any, Callable, Optional, Protocol, SupportsFloat, Union, cast

from .._core import schedule

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
    "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau", "WarmupCosineLR",
    "WarmupStableDecayLR", "warmup_cosine", "warmup_stable_decay",
]



class _OptimizerLike(Protocol):
    """What a scheduler drives: any object with torch's param_groups."""

    param_groups: list[dict[str, Any]]


# A value for every param group (a list or tuple), or one for all of them.
_PerGroup = Union[float, list[float], tuple[float, ...]]
# LambdaLR's lr_lambda: a function of the epoch, or one per param group.
_LrLambda = Union[Callable[[int], float], Sequence[Callable[[int], float]]]


# --- small shared checks -------------------------------------------------------------------

def _check_optimizer(optimizer: object) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise TypeError(f"{type(optimizer).__name__} is not an optimizer: expected a `param_groups` "
                        "list of dicts with an 'lr' entry")


def _int_at_least(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _per_group(name: str, optimizer: _OptimizerLike, value: Any) -> list[Any]:
    """One value per param group: a list/tuple of the right length, or a scalar repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one value per param group: got {len(value)} values "
                             f"for {n} param groups")
        return list(value)
    return [value] * n


def _lrs(optimizer: _OptimizerLike) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


def _momentum_key(optimizer: _OptimizerLike, who: str) -> str:
    """'betas' or 'momentum': which hyperparameter a cycling scheduler moves (torch looks at
    optimizer.defaults; a bare param_groups object is judged by its groups)."""
    defaults = getattr(optimizer, "defaults", None)
    keys = defaults if isinstance(defaults, dict) else (optimizer.param_groups[0] if optimizer.param_groups else {})
    if "betas" in keys:
        return "betas"
    if "momentum" in keys:
        return "momentum"
    raise ValueError(f"{who}: cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
                     "(or pass cycle_momentum=False)")


def _set_momentum(group: dict[str, Any], key: str, value: float) -> None:
    if key == "betas":
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _lambdas_state(lambdas: Sequence[Callable[[int], float]]) -> list[Optional[dict[str, Any]]]:
    # Plain functions can't be saved; callable objects are saved by their attributes (as torch).
    return [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__) for fn in lambdas]


# --- the base class ------------------------------------------------------------------------

class LRScheduler:
    """Base of the epoch-indexed schedulers. Construction records each group's `initial_lr`
    (base_lrs) and takes the step to epoch 0; each step() advances `last_epoch` by one and
    writes get_lr() into the groups. Subclasses define get_lr() (recursive, from the current
    lr) and, where one exists, _get_closed_form_lr() (used by step(epoch))."""

    def __init__(self, optimizer: _OptimizerLike, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param_groups[{i}] has no 'initial_lr': resuming a scheduler with "
                                   f"last_epoch={last_epoch} needs the optimizer state it was saved with "
                                   "(or use last_epoch=-1 for a fresh run)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step wrote into the param groups."""
        return self._last_lr

    def step(self, epoch: Optional[int] = None) -> None:
        self._step_count += 1
        if epoch is not None:
            warnings.warn("scheduler.step(epoch) is deprecated (as in torch): it jumps to the closed "
                          "form at `epoch`; call step() once per epoch instead", UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: Optional[int] = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(f"{type(self).__name__}: {len(values)} learning rates for {len(groups)} param groups")
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, for load_state_dict (and checkpoints)."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})


def _copy(value: Any) -> Any:
    # Lists and dicts are copied so that a state dict and its scheduler never share them.
    if isinstance(value, Counter):
        return Counter(value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


class _LambdaScheduler(LRScheduler):
    """LambdaLR and MultiplicativeLR: one callable per param group."""

    def __init__(self, optimizer: _OptimizerLike, lr_lambda: _LrLambda, last_epoch: int) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be callable, got {type(fn).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = {k: _copy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = _lambdas_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        super().load_state_dict(state)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                fn.__dict__.update(attrs)


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr * lr_lambda(epoch)."""

    def __init__(self, optimizer: _OptimizerLike, lr_lambda: _LrLambda, last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """lr = previous lr * lr_lambda(epoch) (from epoch 1 on)."""

    def __init__(self, optimizer: _OptimizerLike, lr_lambda: _LrLambda, last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return _lrs(self.optimizer)
        return [g["lr"] * fn(self.last_epoch) for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups)]


# --- decays --------------------------------------------------------------------------------

class StepLR(LRScheduler):
    """Multiplies the lr by gamma every step_size epochs."""

    def __init__(self, optimizer: _OptimizerLike, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _int_at_least("step_size", step_size, 1)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t == 0 or t % self.step_size != 0:
            return _lrs(self.optimizer)
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [schedule.step(b, self.last_epoch, self.step_size, self.gamma) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiplies the lr by gamma at each milestone (a repeated milestone applies gamma again)."""

    def __init__(self, optimizer: _OptimizerLike, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for m in milestones:
            _int_at_least("each milestone", m, 0)
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        hits = self.milestones.get(self.last_epoch, 0)
        if hits == 0:
            return _lrs(self.optimizer)
        return [g["lr"] * self.gamma ** hits for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        ms = sorted(self.milestones.elements())
        return [schedule.multistep(b, self.last_epoch, ms, self.gamma) for b in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr = initial_lr * factor for the first total_iters epochs, then initial_lr."""

    def __init__(self, optimizer: _OptimizerLike, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if not 0 <= factor <= 1:
            raise ValueError(f"factor must be in [0, 1], got {factor!r}")
        self.factor = factor
        self.total_iters = _int_at_least("total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t == 0:
            return [g["lr"] * self.factor for g in self.optimizer.param_groups]
        if t != self.total_iters:
            return _lrs(self.optimizer)
        return [g["lr"] * (1.0 / self.factor) for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [schedule.constant(b, self.last_epoch, self.factor, self.total_iters) for b in self.base_lrs]


class LinearLR(LRScheduler):
    """The factor on initial_lr moves linearly from start_factor to end_factor over total_iters."""

    def __init__(self, optimizer: _OptimizerLike, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = _int_at_least("total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, s, e, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return [g["lr"] * s for g in self.optimizer.param_groups]
        if self._is_initial or t > T:
            return _lrs(self.optimizer)
        # The ratio of consecutive closed-form factors: (s + (e-s) t/T) / (s + (e-s)(t-1)/T).
        ratio = 1.0 + (e - s) / (T * s + (t - 1) * (e - s))
        return [g["lr"] * ratio for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [schedule.linear(b, self.last_epoch, self.start_factor, self.end_factor, self.total_iters)
                for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiplies the lr by gamma every epoch."""

    def __init__(self, optimizer: _OptimizerLike, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return _lrs(self.optimizer)
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [schedule.exponential(b, self.last_epoch, self.gamma) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial_lr * (1 - epoch / total_iters) ** power, reaching 0 at total_iters."""

    def __init__(self, optimizer: _OptimizerLike, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = _int_at_least("total_iters", total_iters, 1)
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T = self.last_epoch, self.total_iters
        if self._is_initial or t > T:
            return _lrs(self.optimizer)
        factor = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [g["lr"] * factor for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [schedule.polynomial(b, self.last_epoch, self.total_iters, self.power) for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine from initial_lr down to eta_min over T_max epochs (and back up after, as torch)."""

    def __init__(self, optimizer: _OptimizerLike, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = _int_at_least("T_max", T_max, 1)
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and t > 0:
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:
            # Leaving the trough, where the ratio form below would divide by zero.
            return [g["lr"] + (b - eta) * (1 - math.cos(math.pi / T)) / 2 for b, g in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (g["lr"] - eta) + eta for g in groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [schedule.cosine(b, self.last_epoch, self.T_max, self.eta_min) for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine from initial_lr to eta_min over T_0 epochs, then restarts; each period is
    T_mult times longer than the one before. step(epoch) accepts fractional epochs."""

    def __init__(self, optimizer: _OptimizerLike, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_0 = _int_at_least("T_0", T_0, 1)
        self.T_i = self.T_0
        self.T_mult = _int_at_least("T_mult", T_mult, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise ValueError(f"eta_min must be a number, got {eta_min!r}")
        self.eta_min: float = eta_min
        self.T_cur: float = last_epoch  # fractional after step(epoch) with a fractional epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        eta = self.eta_min
        return [eta + (b - eta) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2 for b in self.base_lrs]

    def step(self, epoch: Optional[float] = None) -> None:  # fractional epochs too (the base takes ints)
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"epoch must be >= 0, got {epoch}")
            self.T_i, self.T_cur = self._period_at(epoch)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def _period_at(self, epoch: float) -> tuple[int, float]:
        """(period length, position in it) at a possibly fractional epoch."""
        T_0, m = self.T_0, self.T_mult
        if epoch < T_0:
            return T_0, epoch
        if m == 1:
            return T_0, epoch % T_0
        n = int(math.log(epoch / T_0 * (m - 1) + 1, m))
        return T_0 * m ** n, epoch - T_0 * (m ** n - 1) / (m - 1)


# --- cyclical ------------------------------------------------------------------------------

class CyclicLR(LRScheduler):
    """Cyclical learning rate (Smith 2017): triangles between base_lr and max_lr, with the
    momentum moving the other way. Meant to be stepped every batch."""

    _MODES = ("triangular", "triangular2", "exp_range")

    def __init__(self, optimizer: _OptimizerLike, base_lr: _PerGroup, max_lr: _PerGroup, step_size_up: float = 2000,
                 step_size_down: Optional[float] = None, mode: str = "triangular", gamma: float = 1.0,
                 scale_fn: Optional[Callable[[float], float]] = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: _PerGroup = 0.8, max_momentum: _PerGroup = 0.9,
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        if not (up > 0 and down > 0):
            raise ValueError(f"step_size_up and step_size_down must be > 0, got {step_size_up!r} and "
                             f"{step_size_down!r}")
        self.step_size_up, self.step_size_down = up, down
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in self._MODES:
            raise ValueError(f"mode must be one of {self._MODES} (or pass scale_fn), got {mode!r}")
        if scale_fn is not None and scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        # A built-in mode fixes the scale mode (as torch does); a custom scale_fn uses the given one.
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._momentum_key = _momentum_key(optimizer, "CyclicLR")
            self.use_beta1 = self._momentum_key == "betas"
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for hi, lo, group in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                    _set_momentum(group, self._momentum_key, hi)
                    group["max_momentum"] = hi
                    group["base_momentum"] = lo
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _custom_amplitude(self, t: int, scale_fn: Callable[[float], float]) -> tuple[float, float]:
        """(position 0..1..0 in the cycle) * scale_fn(...), for a user's scale_fn."""
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        scale = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        return scale, scale_fn(cycle if self.scale_mode == "cycle" else t)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        scale_fn = self._scale_fn_custom
        custom = scale_fn is not None
        if scale_fn is not None:
            scale, f = self._custom_amplitude(t, scale_fn)
            lrs = [b + (m - b) * scale * f for b, m in zip(self.base_lrs, self.max_lrs)]
        else:
            lrs = [schedule.cyclic(b, m, t, self.step_size_up, self.step_size_down, self.mode, self.gamma)
                   for b, m in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for lo, hi, group in zip(self.base_momentums, self.max_momentums, self.optimizer.param_groups):
                if custom:
                    mom = hi - (hi - lo) * scale * f
                else:
                    mom = schedule.cyclic_momentum(lo, hi, t, self.step_size_up, self.step_size_down,
                                                   self.mode, self.gamma)
                _set_momentum(group, self._momentum_key, mom)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        state = {k: _copy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "_scale_fn_custom")}
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = None if fn is None or isinstance(fn, types.FunctionType) else dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        attrs = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if attrs is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(attrs)


class OneCycleLR(LRScheduler):
    """1cycle (Smith & Topin 2018): warm up from max_lr/div_factor to max_lr over pct_start of
    the steps, then anneal to max_lr/div_factor/final_div_factor, with the momentum (or beta1)
    moving the other way. Stepped every batch, total_steps times."""

    def __init__(self, optimizer: _OptimizerLike, max_lr: _PerGroup, total_steps: Optional[int] = None,
                 epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True, base_momentum: _PerGroup = 0.85,
                 max_momentum: _PerGroup = 0.95, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            self.total_steps = _int_at_least("total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_int_at_least("epochs", epochs, 1)
                                * _int_at_least("steps_per_epoch", steps_per_epoch, 1))
        else:
            raise ValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch")
        if isinstance(pct_start, bool) or not isinstance(pct_start, numbers.Real) or not 0 <= pct_start <= 1:
            raise ValueError(f"pct_start must be a number in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if not (div_factor > 0 and final_div_factor > 0):
            raise ValueError(f"div_factor and final_div_factor must be > 0, got {div_factor!r} and "
                             f"{final_div_factor!r}")
        self.pct_start: float = float(pct_start)
        self.anneal_strategy: str = anneal_strategy
        self.div_factor: float = float(div_factor)
        self.final_div_factor: float = float(final_div_factor)
        self.three_phase: bool = bool(three_phase)
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum: bool = cycle_momentum
        if cycle_momentum:
            self._momentum_key: str = _momentum_key(optimizer, "OneCycleLR")
            self.use_beta1 = self._momentum_key == "betas"
            if last_epoch == -1:
                his = _per_group("max_momentum", optimizer, max_momentum)
                los = _per_group("base_momentum", optimizer, base_momentum)
                for hi, lo, group in zip(his, los, optimizer.param_groups):
                    _set_momentum(group, self._momentum_key, hi)
                    group["max_momentum"] = hi
                    group["base_momentum"] = lo
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {t} times, but total_steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(schedule.one_cycle(group["max_lr"], t, self.total_steps, self.pct_start,
                                          self.anneal_strategy, self.div_factor, self.final_div_factor,
                                          self.three_phase))
            if self.cycle_momentum:
                mom = schedule.one_cycle_momentum(group["base_momentum"], group["max_momentum"], t,
                                                  self.total_steps, self.pct_start, self.anneal_strategy,
                                                  self.three_phase)
                _set_momentum(group, self._momentum_key, mom)
        return lrs


# --- combinators ---------------------------------------------------------------------------

def _check_children(who: str, optimizer: Optional[_OptimizerLike], schedulers: Sequence[LRScheduler]) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{who} needs at least one scheduler")
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{who}: schedulers[{i}] ({type(s).__name__}) is not a scheduler")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{who}: schedulers[{i}] is a ReduceLROnPlateau, whose step() needs a metric; "
                             "step it separately")
        if s.optimizer is not optimizer:
            raise ValueError(f"{who}: schedulers[{i}] ({type(s).__name__}) drives a different optimizer")


def _combined_state(sched: Union[SequentialLR, ChainedScheduler]) -> dict[str, Any]:
    state = {k: _copy(v) for k, v in sched.__dict__.items() if k not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [s.state_dict() for s in sched._schedulers]
    return state


def _load_combined_state(sched: Union[SequentialLR, ChainedScheduler], state_dict: dict[str, Any]) -> None:
    state = {k: _copy(v) for k, v in state_dict.items() if k != "_schedulers"}
    sched.__dict__.update(state)
    for s, sd in zip(sched._schedulers, state_dict["_schedulers"]):
        s.load_state_dict(sd)


class SequentialLR(LRScheduler):
    """Runs schedulers one after another: schedulers[i] from milestones[i-1] on, each restarted
    at its own epoch 0 when its turn comes."""

    def __init__(self, optimizer: _OptimizerLike, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        schedulers = list(schedulers)
        _check_children("SequentialLR", optimizer, schedulers)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # The children's construction already stepped the groups: start again from initial_lr,
        # take back those steps, and let only the first active child make its initial step.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _undo(self, sched: LRScheduler) -> None:
        if hasattr(sched, "_schedulers"):
            for s in sched._schedulers:
                self._undo(s)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    # No epoch argument (as torch's SequentialLR, which ignores the override check the same way):
    # the children's own epochs are what moves.
    def step(self) -> None:  # type: ignore[override]
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        child = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            child._update_lr(0)  # its turn starts: its epoch 0, in closed form
        else:
            child.step()
        self._last_lr = child.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        return _combined_state(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_combined_state(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Steps every scheduler in turn each step, so their factors compose."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optional[_OptimizerLike] = None) -> None:
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler needs at least one scheduler")
        optimizer = optimizer if optimizer is not None else getattr(schedulers[0], "optimizer", None)
        _check_children("ChainedScheduler", optimizer, schedulers)
        self._schedulers = schedulers
        # Not None: _check_children has matched it against every child's (a scheduler's is never None).
        self.optimizer = cast(_OptimizerLike, optimizer)
        self._last_lr = _lrs(schedulers[-1].optimizer)

    # No epoch argument (as torch's ChainedScheduler, which ignores the override check the same
    # way): each child steps by one.
    def step(self) -> None:  # type: ignore[override]
        for s in self._schedulers:
            s.step()
        self._last_lr = _lrs(self._schedulers[-1].optimizer)

    def state_dict(self) -> dict[str, Any]:
        return _combined_state(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_combined_state(self, state_dict)


# --- metric-driven -------------------------------------------------------------------------

class ReduceLROnPlateau(LRScheduler):
    """Multiplies the lr by `factor` when the metric passed to step(metric) has not improved
    (by more than `threshold`) for more than `patience` epochs; then waits `cooldown` epochs."""

    def __init__(self, optimizer: _OptimizerLike, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr: _PerGroup = 0,
                 eps: float = 1e-8) -> None:
        _check_optimizer(optimizer)
        if not factor < 1.0:
            raise ValueError(f"factor must be < 1.0, got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = factor
        self.default_min_lr: Optional[float]
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = _int_at_least("patience", patience, 0)
        self.cooldown = _int_at_least("cooldown", cooldown, 0)
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._reset()

    @property
    def mode_worse(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric `a` improves on `best` by more than the threshold."""
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if rel else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if rel else a > best + self.threshold

    # step(metrics) where the base has step(epoch), as torch's ReduceLROnPlateau (which ignores the
    # override check the same way): the metric decides, not the epoch.
    def step(self, metrics: SupportsFloat, epoch: Optional[int] = None) -> None:  # type: ignore[override]
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("ReduceLROnPlateau.step(metrics, epoch) is deprecated (as in torch)", UserWarning,
                          stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown don't count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} param groups but "
                                   f"min_lr has {len(self.min_lrs)} values; set `min_lrs` to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                group["lr"] = new


# --- warmup helpers ------------------------------------------------------------------------

class WarmupCosineLR(LRScheduler):
    """Linear warmup over warmup_steps from warmup_start_lr to initial_lr, then cosine decay to
    min_lr at total_steps, constant after (schedule.warmup_cosine). min_lr and
    warmup_start_lr are absolute rates: one for all groups or one per group."""

    def __init__(self, optimizer: _OptimizerLike, warmup_steps: int, total_steps: int, min_lr: _PerGroup = 0.0,
                 warmup_start_lr: _PerGroup = 0.0, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.warmup_steps = _int_at_least("warmup_steps", warmup_steps, 0)
        self.total_steps = _int_at_least("total_steps", total_steps, 1)
        if self.warmup_steps > self.total_steps:
            raise ValueError(f"warmup_steps ({warmup_steps}) must be <= total_steps ({total_steps})")
        self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        self.warmup_start_lrs = _per_group("warmup_start_lr", optimizer, warmup_start_lr)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [schedule.warmup_cosine(b, self.last_epoch, self.warmup_steps, self.total_steps, lo, w0)
                for b, lo, w0 in zip(self.base_lrs, self.min_lrs, self.warmup_start_lrs)]

    _get_closed_form_lr = get_lr


class WarmupStableDecayLR(LRScheduler):
    """Warmup-stable-decay (WSD), as HF transformers' get_wsd_schedule: the factor on
    initial_lr rises over warmup_steps, holds 1 for stable_steps, falls over decay_steps to
    min_lr_ratio and stays there (schedule.wsd). Shapes: 'linear', 'cosine', '1-sqrt'."""

    _SHAPES = ("linear", "cosine", "1-sqrt")

    def __init__(self, optimizer: _OptimizerLike, warmup_steps: int, stable_steps: int, decay_steps: int,
                 min_lr_ratio: float = 0.0, warmup_type: str = "linear", decay_type: str = "cosine",
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.warmup_steps = _int_at_least("warmup_steps", warmup_steps, 0)
        self.stable_steps = _int_at_least("stable_steps", stable_steps, 0)
        self.decay_steps = _int_at_least("decay_steps", decay_steps, 0)
        if not 0 <= min_lr_ratio <= 1:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {min_lr_ratio!r}")
        for name, shape in (("warmup_type", warmup_type), ("decay_type", decay_type)):
            if shape not in self._SHAPES:
                raise ValueError(f"{name} must be one of {self._SHAPES}, got {shape!r}")
        self.min_lr_ratio = min_lr_ratio
        self.warmup_type = warmup_type
        self.decay_type = decay_type
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [schedule.wsd(b, self.last_epoch, self.warmup_steps, self.stable_steps, self.decay_steps,
                             self.min_lr_ratio, self.warmup_type, self.decay_type) for b in self.base_lrs]

    _get_closed_form_lr = get_lr


def warmup_cosine(optimizer: _OptimizerLike, warmup_steps: int, total_steps: int, min_lr: _PerGroup = 0.0,
                  warmup_start_lr: _PerGroup = 0.0) -> WarmupCosineLR:
    """A scheduler (step it once per optimizer step) with linear warmup from warmup_start_lr to
    each group's lr over warmup_steps, then cosine decay to min_lr at total_steps."""
    return WarmupCosineLR(optimizer, warmup_steps, total_steps, min_lr=min_lr, warmup_start_lr=warmup_start_lr)


def warmup_stable_decay(optimizer: _OptimizerLike, warmup_steps: int, decay_steps: int,
                        total_steps: Optional[int] = None, stable_steps: Optional[int] = None,
                        min_lr_ratio: float = 0.0, warmup_type: str = "linear",
                        decay_type: str = "cosine") -> WarmupStableDecayLR:
    """A warmup-stable-decay scheduler (arguments as HF transformers' get_wsd_schedule): give
    total_steps (stable = total - warmup - decay) or stable_steps."""
    if stable_steps is None:
        if total_steps is None:
            raise ValueError("warmup_stable_decay needs total_steps or stable_steps")
        stable_steps = total_steps - warmup_steps - decay_steps
        if stable_steps < 0:
            raise ValueError(f"warmup_steps ({warmup_steps}) + decay_steps ({decay_steps}) exceed total_steps "
                             f"({total_steps})")
    elif total_steps is not None and warmup_steps + stable_steps + decay_steps != total_steps:
        raise ValueError(f"warmup_steps + stable_steps + decay_steps = {warmup_steps + stable_steps + decay_steps}"
                         f" differs from total_steps = {total_steps}")
    return WarmupStableDecayLR(optimizer, warmup_steps, stable_steps, decay_steps, min_lr_ratio=min_lr_ratio,
                               warmup_type=warmup_type, decay_type=decay_type)
