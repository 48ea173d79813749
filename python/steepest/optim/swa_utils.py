"""st.optim.swa_utils: weight averaging as torch.optim.swa_utils has it (AveragedModel for SWA
and EMA, the averaging functions, SWALR, update_bn), plus ExponentialMovingAverage, an EMA of
a list of params with a warm-up and apply/restore for evaluation. Each average is one C++
lerp_ or add_ per tensor; the loops here are over tensors, never elements."""
from __future__ import annotations

import contextlib
import itertools
import math
from copy import deepcopy
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from .. import _core
from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from .lr_scheduler import LRScheduler

Tensor = _core.Tensor
ParamList = Union[List[Tensor], tuple]
AvgFn = Callable[[Tensor, Tensor, Union[Tensor, int]], Tensor]
MultiAvgFn = Callable[[ParamList, ParamList, Union[Tensor, int]], None]

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn", "ExponentialMovingAverage"]


def _check_decay(decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _is_float(t: Tensor) -> bool:
    return bool(t.is_floating_point())


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """In-place EMA of lists: ema = decay * ema + (1 - decay) * current (a lerp for floats)."""
    _check_decay(decay)

    def ema_update(ema: ParamList, current: ParamList, _: Union[Tensor, int]) -> None:
        with no_grad():
            for a, c in zip(ema, current):
                if _is_float(a):
                    a.lerp_(c, 1 - decay)
                else:  # integer buffers: the weighted sum, truncated back into the buffer's dtype
                    a.copy_(a * decay + c * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """In-place running mean of lists: avg += (current - avg) / (n + 1)."""
    def swa_update(avg: ParamList, current: ParamList, num_averaged: Union[Tensor, int]) -> None:
        with no_grad():
            n = float(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)
            for a, c in zip(avg, current):
                if _is_float(a):
                    a.lerp_(c, 1 / (n + 1))
                else:
                    a.copy_(a + (c - a) / (n + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The EMA of one tensor, returned: decay * ema + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(ema: Tensor, current: Tensor, num_averaged: Union[Tensor, int]) -> Tensor:
        with no_grad():
            return decay * ema + (1 - decay) * current
    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """The running mean of one tensor, returned: avg + (current - avg) / (n + 1)."""
    def swa_update(avg: Tensor, current: Tensor, num_averaged: Union[Tensor, int]) -> Tensor:
        with no_grad():
            return avg + (current - avg) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of `model` whose params (and buffers with use_buffers=True) are a running
    average of the model's, updated by update_parameters(model): the first call copies, later
    calls apply `multi_avg_fn` (lists, in place), `avg_fn` (one tensor, returned), or by default
    the equal-weight mean (SWA). Without use_buffers the buffers are copied from the model on
    each update. `n_averaged` (an int64 buffer) counts the updates. forward runs the copy.
    Args: model, device=None (where the copy lives), avg_fn=None, multi_avg_fn=None,
    use_buffers=False."""

    n_averaged: Tensor

    def __init__(self, model: Module, device: Any = None, avg_fn: Optional[AvgFn] = None,
                 multi_avg_fn: Optional[MultiAvgFn] = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _core.full([], 0, dtype=_core.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _averaged(self, model: Module) -> tuple[List[Tensor], List[Tensor]]:
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        return [p.detach() for p in mine], [p.detach().to(m.device) for p, m in zip(theirs, mine)]

    def update_parameters(self, model: Module) -> None:
        """Folds model's current values into the average (copies them on the first call)."""
        with no_grad():
            mine, theirs = self._averaged(model)
            n = int(self.n_averaged.item())
            if n == 0:
                for a, c in zip(mine, theirs):
                    a.copy_(c)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, self.n_averaged)
            else:  # avg_fn, or the equal-weight mean one tensor at a time (as torch on CPU)
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for a, c in zip(mine, theirs):
                    a.copy_(avg_fn(a, c, self.n_averaged))
            if not self.use_buffers:
                mine_b, theirs_b = list(self.module.buffers()), list(model.buffers())
                if len(mine_b) != len(theirs_b):
                    raise ValueError(f"AveragedModel.update_parameters: the model has {len(theirs_b)} buffers, "
                                     f"the averaged copy {len(mine_b)}")
                for b, mb in zip(mine_b, theirs_b):
                    b.detach().copy_(mb.detach().to(b.device))
            self.n_averaged.fill_(n + 1)


def _is_batch_norm(module: Module) -> bool:
    """A batch-norm layer: one that keeps running statistics it can reset and a momentum."""
    return (hasattr(module, "reset_running_stats") and hasattr(module, "momentum")
            and getattr(module, "running_mean", None) is not None)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recomputes the running statistics of every batch-norm layer of `model` with one pass
    over `loader` (batches are tensors, or lists/tuples whose first item is the input): the
    statistics are reset and momentum set to None for the pass, so they become the
    cumulative mean over the batches; momentum and the train/eval mode are restored after."""
    with no_grad():
        momenta: Dict[Module, Any] = {}
        for module in model.modules():
            if _is_batch_norm(module):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        try:
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
        finally:
            for module, momentum in momenta.items():
                module.momentum = momentum
            model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr from its current value to `swa_lr` over `anneal_epochs` steps
    ("cos": alpha = (1 - cos(pi t)) / 2, "linear": alpha = t, t = step / anneal_epochs), then
    holds it: lr_t = alpha_t * swa_lr + (1 - alpha_t) * lr_0, where lr_0 is recovered from the
    group's lr each step (so another scheduler may have moved it). swa_lr may be one value or
    one per group; it is stored as group["swa_lr"]."""

    def __init__(self, optimizer: Any, swa_lr: Union[float, Sequence[float]], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        groups = optimizer.param_groups
        if isinstance(swa_lr, (list, tuple)):
            if len(swa_lr) != len(groups):
                raise ValueError(f"swa_lr: expected {len(groups)} values (one per param group), got {len(swa_lr)}")
            swa_lrs = list(swa_lr)
        else:
            swa_lrs = [swa_lr] * len(groups)
        for value, group in zip(swa_lrs, groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not isinstance(anneal_epochs, int) or isinstance(anneal_epochs, bool) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _alpha(self, t: float) -> float:
        return t if self._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self._alpha(max(0.0, min(1.0, (step - 1) / span)))
        alpha = self._alpha(max(0.0, min(1.0, step / span)))
        out = []
        for group in self.optimizer.param_groups:
            lr, swa = group["lr"], group["swa_lr"]
            start = swa if prev_alpha == 1 else (lr - prev_alpha * swa) / (1 - prev_alpha)
            out.append(swa * alpha + start * (1 - alpha))
        return out


class ExponentialMovingAverage:
    """An exponential moving average of params, kept beside them for evaluation::

        ema = ExponentialMovingAverage(model.parameters(), decay=0.999)
        ...; opt.step(); ema.update()
        with ema.average_parameters():       # or ema.apply() ... ema.restore()
            evaluate(model)

    update() sets avg = avg + (1 - d) * (p - avg) (a lerp), where d = decay, or with warmup=True
    d = min(decay, (1 + n) / (10 + n)) after n updates, so early averages are not dominated by
    the initial weights. apply() stores the live values and copies the averages in; restore()
    puts the live values back. state_dict()/load_state_dict() save decay, count and averages."""

    def __init__(self, parameters: Iterable[Tensor], decay: float = 0.999, warmup: bool = False) -> None:
        _check_decay(decay)
        self.params: List[Tensor] = list(parameters)
        self.decay = float(decay)
        self.warmup = bool(warmup)
        self.num_updates = 0
        with no_grad():
            self.shadow: List[Tensor] = [p.detach().clone() for p in self.params]
        self._stored: Optional[List[Tensor]] = None

    def current_decay(self) -> float:
        """The decay the next update() uses."""
        if not self.warmup:
            return self.decay
        n = self.num_updates
        return min(self.decay, (1 + n) / (10 + n))

    def update(self, parameters: Optional[Iterable[Tensor]] = None) -> None:
        params = self.params if parameters is None else list(parameters)
        if len(params) != len(self.shadow):
            raise ValueError(f"ExponentialMovingAverage.update: {len(params)} params, the average holds "
                             f"{len(self.shadow)}")
        weight = 1.0 - self.current_decay()
        with no_grad():
            for avg, p in zip(self.shadow, params):
                if _is_float(avg):
                    avg.lerp_(p.detach(), weight)
                else:
                    avg.copy_(p.detach())
        self.num_updates += 1

    def apply(self) -> None:
        """Copies the averages into the params, keeping the live values for restore()."""
        if self._stored is not None:
            raise RuntimeError("ExponentialMovingAverage.apply: the averages are already applied; restore() first")
        with no_grad():
            self._stored = [p.detach().clone() for p in self.params]
            for p, avg in zip(self.params, self.shadow):
                p.copy_(avg)

    def restore(self) -> None:
        """Puts back the values apply() replaced."""
        if self._stored is None:
            raise RuntimeError("ExponentialMovingAverage.restore: nothing to restore (apply() was not called)")
        with no_grad():
            for p, saved in zip(self.params, self._stored):
                p.copy_(saved)
        self._stored = None

    @contextlib.contextmanager
    def average_parameters(self) -> Iterator[None]:
        """The params hold the averages inside the block, their live values after it."""
        self.apply()
        try:
            yield
        finally:
            self.restore()

    def copy_to(self, parameters: Optional[Iterable[Tensor]] = None) -> None:
        """Writes the averages into `parameters` (default: the tracked params) for good."""
        params = self.params if parameters is None else list(parameters)
        with no_grad():
            for p, avg in zip(params, self.shadow):
                p.copy_(avg)

    def state_dict(self) -> Dict[str, Any]:
        return {"decay": self.decay, "warmup": self.warmup, "num_updates": self.num_updates,
                "shadow": [s.clone() for s in self.shadow]}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        shadow = state_dict["shadow"]
        if len(shadow) != len(self.shadow):
            raise ValueError(f"ExponentialMovingAverage.load_state_dict: {len(shadow)} averages saved, "
                             f"{len(self.shadow)} params tracked")
        for i, (s, mine) in enumerate(zip(shadow, self.shadow)):
            if tuple(s.shape) != tuple(mine.shape):
                raise ValueError(f"ExponentialMovingAverage.load_state_dict: average {i} has shape "
                                 f"{list(s.shape)}, the param {list(mine.shape)}")
        _check_decay(float(state_dict["decay"]))
        self.decay = float(state_dict["decay"])
        self.warmup = bool(state_dict.get("warmup", False))
        self.num_updates = int(state_dict["num_updates"])
        with no_grad():
            for s, mine in zip(shadow, self.shadow):
                mine.copy_(s)

