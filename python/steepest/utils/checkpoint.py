"""Gradient checkpointing: run a block without keeping its intermediate tensors, and
recompute it during backward. Same gradients, activation memory of the block's inputs only."""
from __future__ import annotations

from typing import Any, Callable, Optional

from .. import _core
from ..autograd.grad_mode import enable_grad, no_grad


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: Optional[bool] = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """function(*args, **kwargs), recorded as one node that recomputes it in backward.

    Parameters the function closes over (a module's weights) get their .grad during that
    recomputation, as with torch's reentrant checkpoint. With preserve_rng_state the
    recomputation draws the same random numbers (dropout masks) as the forward did."""
    tensor_args = [a for a in args if isinstance(a, _core.Tensor)]
    if not _core.is_grad_enabled():
        return function(*args, **kwargs)
    rng = _core.get_rng_state() if preserve_rng_state else None
    with no_grad():
        out = function(*args, **kwargs)
    single = isinstance(out, _core.Tensor)
    outs = (out,) if single else tuple(out)
    outs = tuple(o.detach() if isinstance(o, _core.Tensor) else o for o in outs)
    diff_outs = [o for o in outs if isinstance(o, _core.Tensor) and o.is_floating_point()]

    def backward(*grads):
        detached = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, _core.Tensor) else a for a in args]
        if rng is not None:
            saved = _core.get_rng_state()
            _core.set_rng_state(rng)
        try:
            with enable_grad():
                re = function(*detached, **kwargs)
        finally:
            if rng is not None:
                _core.set_rng_state(saved)
        re = (re,) if isinstance(re, _core.Tensor) else tuple(re)
        re = [o for o in re if isinstance(o, _core.Tensor) and o.is_floating_point()]
        pairs = [(o, g) for o, g in zip(re, grads) if g is not None and o.requires_grad]
        if pairs:
            _core._autograd_backward([o for o, _ in pairs], [g for _, g in pairs], False)
        return tuple(d.grad if d.requires_grad else None for d in detached if isinstance(d, _core.Tensor))

    # Recorded even when no argument requires grad: the closed-over parameters need the node.
    _core._record_function("CheckpointFunctionBackward", tensor_args, diff_outs, backward)
    return outs[0] if single else outs
