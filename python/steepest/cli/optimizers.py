"""The optimizers the CLI offers by name (--optimizer), each with its settings, so the seeds'
update rules can be compared on the same task: plain SGD, heavy-ball momentum, Nesterov, the
Adam family, Lion and the adaptive-per-coordinate ones."""
from __future__ import annotations

from typing import Any, Optional

from .. import optim
from .errors import UsageError

# name -> (constructor, fixed settings, one-line description). Learning rates come from the
# task (each task knows a sensible rate per optimizer family) or from --lr.
OPTIMIZERS = {
    "sgd": (optim.SGD, {}, "plain stochastic gradient descent: p -= lr * g"),
    "momentum": (optim.SGD, {"momentum": 0.9}, "SGD with heavy-ball momentum 0.9"),
    "nesterov": (optim.SGD, {"momentum": 0.9, "nesterov": True}, "SGD with Nesterov momentum 0.9"),
    "adam": (optim.Adam, {}, "Adam (per-coordinate step from running gradient moments)"),
    "adamw": (optim.AdamW, {"weight_decay": 0.01}, "AdamW: Adam with decoupled weight decay 0.01"),
    "nadam": (optim.NAdam, {}, "Adam with Nesterov momentum"),
    "radam": (optim.RAdam, {}, "Adam with a rectified (warmup-free) variance estimate"),
    "adamax": (optim.Adamax, {}, "Adam with an infinity-norm second moment"),
    "lion": (optim.Lion, {"weight_decay": 0.01}, "Lion: the sign of an interpolated momentum"),
    "adagrad": (optim.Adagrad, {}, "Adagrad: steps shrink with the summed squared gradients"),
    "rmsprop": (optim.RMSprop, {}, "RMSprop: steps scaled by a running RMS of the gradient"),
}

# Which rate scale an optimizer needs: sign-based steps (Lion) move every coordinate by lr, so
# they want ~3-10x smaller rates than Adam; plain SGD wants larger ones.
FAMILY = {"sgd": "sgd", "momentum": "sgd", "nesterov": "sgd", "lion": "sign", "adagrad": "adagrad"}


def optimizer_help() -> str:
    return "; ".join(f"{k}: {v[2]}" for k, v in OPTIMIZERS.items())


def check_name(name: str) -> str:
    if name not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return name


def default_lr(name: str, rates: dict[str, float]) -> float:
    """The task's rate for this optimizer: rates maps a family ('adam', 'sgd', 'sign',
    'adagrad') to a learning rate; families default to 'adam'."""
    return rates.get(FAMILY.get(name, "adam"), rates["adam"])


def make_optimizer(name: str, params: Any, lr: float, weight_decay: Optional[float] = None) -> Any:
    cls, settings, _ = OPTIMIZERS[check_name(name)]
    kwargs = dict(settings)
    if weight_decay is not None:
        kwargs["weight_decay"] = weight_decay
    return cls(params, lr=lr, **kwargs)
