"""Step hooks of torch.optim.Optimizer: register_step_pre_hook / register_step_post_hook on an
optimizer. Like torch, the step of an optimizer's class is wrapped once, when the first
instance is made, so a subclass's own `step` (a Python optimizer) runs the hooks too."""
from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any, Callable, Dict

StepHook = Callable[..., Any]


class StepHookHandle:
    """Returned by the register_* calls; remove() unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: Dict[int, StepHook]) -> None:
        self._hooks = hooks
        self.id = StepHookHandle._next_id
        StepHookHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> StepHookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def hook_dicts(optimizer: Any) -> tuple[Dict[int, StepHook], Dict[int, StepHook]]:
    """The optimizer's (pre, post) hook tables, created on first use (also after unpickling)."""
    d = optimizer.__dict__
    if "_optimizer_step_pre_hooks" not in d:
        d["_optimizer_step_pre_hooks"] = OrderedDict()
        d["_optimizer_step_post_hooks"] = OrderedDict()
    return d["_optimizer_step_pre_hooks"], d["_optimizer_step_post_hooks"]


def register(table: Dict[int, StepHook], hook: StepHook) -> StepHookHandle:
    handle = StepHookHandle(table)
    table[handle.id] = hook
    return handle


def patch_step(cls: type) -> None:
    """Wraps cls.step (once) so that it runs the instance's hooks: each pre hook
    hook(optimizer, args, kwargs) may return (new_args, new_kwargs); post hooks run after.
    As torch's, args are step's positional arguments with the optimizer first."""
    step: StepHook = getattr(cls, "step")  # noqa: B009  (a type declares no step for the checker)
    if getattr(step, "_steepest_step_hooked", False):
        return

    @functools.wraps(step)
    def hooked(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        pre, post = hook_dicts(self)
        for hook in list(pre.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"an optimizer step pre hook must return None or (args, kwargs), got {result!r}")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in list(post.values()):
            hook(self, args, kwargs)
        return out

    hooked._steepest_step_hooked = True  # type: ignore[attr-defined]
    cls.step = hooked  # type: ignore[attr-defined]
