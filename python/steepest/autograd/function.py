"""User-defined differentiable operations (st.autograd.Function, as torch's): forward runs
without recording, backward is called by the C++ engine with the output gradients."""
from __future__ import annotations

from typing import Any

from .. import _core
from .grad_mode import no_grad


class FunctionCtx:
    """The `ctx` of forward/backward: save_for_backward, saved_tensors, needs_input_grad,
    and any attributes the function wants to keep."""

    def __init__(self) -> None:
        self._saved: tuple[Any, ...] = ()
        self._versions: tuple[Any, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tuple(t.detach() if isinstance(t, _core.Tensor) else t for t in tensors)
        self._versions = tuple(t._version if isinstance(t, _core.Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        for i, (t, v) in enumerate(zip(self._saved, self._versions)):
            if v is not None and t._version != v:
                raise RuntimeError(f"one of the variables needed for gradient computation has been modified by an "
                                   f"inplace operation: saved tensor {i} is at version {t._version}; expected "
                                   f"version {v} instead")
        return self._saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_diff = {id(t) for t in tensors}


class Function:
    """Subclass with @staticmethod forward(ctx, *args) and backward(ctx, *grads); call
    MyFunction.apply(*args)."""

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement forward")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement backward")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, _core.Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, _core.Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        single = isinstance(out, _core.Tensor)
        outs = (out,) if single else tuple(out)
        if _core.is_grad_enabled() and any(t.requires_grad for t in tensor_args):
            # The outputs become new tensors with this node as their grad_fn, except those
            # forward marked non-differentiable (they stay plain tensors without history).
            non_diff: set[int] = getattr(ctx, "_non_diff", set())
            keep = [not (isinstance(o, _core.Tensor) and id(o) in non_diff) for o in outs]
            outs = tuple(o.detach() if isinstance(o, _core.Tensor) else o for o in outs)
            diff_pos = [i for i, (o, k) in enumerate(zip(outs, keep))
                        if k and isinstance(o, _core.Tensor) and o.is_floating_point()]
            diff = [outs[i] for i in diff_pos]
            positions = [i for i, a in enumerate(args) if isinstance(a, _core.Tensor)]

            def backward(*grads):
                # One gradient per output of forward, None for the non-differentiable ones.
                full = [None] * len(outs)
                for i, g in zip(diff_pos, grads):
                    full[i] = g
                res = cls.backward(ctx, *full)
                if not isinstance(res, tuple):
                    res = (res,)
                if len(res) != len(args):
                    raise RuntimeError(f"function {cls.__name__}.backward returned an incorrect number of "
                                       f"gradients (expected {len(args)}, got {len(res)})")
                return tuple(res[i] for i in positions)

            _core._record_function(cls.__name__ + "Backward", tensor_args, diff, backward)
        return outs[0] if single else outs
