"""FP8 training for linear layers: Float8Linear (per-tensor delayed scaling, products through
_scaled_mm) and convert_to_float8_training, which swaps a model's nn.Linear layers for it."""
from __future__ import annotations

from typing import Callable, Optional

from ... import _core
from ..._typing import DeviceLike, Tensor
from ..module import Module
from .linear import Linear

_STATE = tuple(f"fp8_{kind}_{name}" for name in ("input", "weight", "grad_output")
               for kind in ("amax_history", "scale"))


class Float8Linear(Linear):
    """y = x @ weight.T + bias with x and weight cast to float8_e4m3fn and the output gradient
    to float8_e5m2, each with its own delayed scale: scale = fp8_max / max(amax_history) /
    2**margin, the history holding the last `amax_history_len` values of max|tensor|. The
    weight and bias stay in their own dtype (the optimizer never sees FP8); the histories and
    scales are buffers, so they travel with state_dict()."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None,
                 amax_history_len: int = 16, margin: float = 0.0) -> None:
        super().__init__(in_features, out_features, bias, device, dtype)
        self._init_scaling(amax_history_len, margin)

    def _init_scaling(self, amax_history_len: int, margin: float) -> None:
        if isinstance(amax_history_len, bool) or not isinstance(amax_history_len, int) or amax_history_len < 1:
            raise ValueError(f"Float8Linear(): amax_history_len must be a positive int, got {amax_history_len!r}")
        self.amax_history_len = amax_history_len
        self.margin = float(margin)
        for name in ("input", "weight", "grad_output"):
            self.register_buffer(f"fp8_amax_history_{name}", _core.zeros((amax_history_len,)))
            self.register_buffer(f"fp8_scale_{name}", _core.ones(()))

    @classmethod
    def from_float(cls, mod: Linear, amax_history_len: int = 16, margin: float = 0.0) -> Float8Linear:
        """A Float8Linear sharing `mod`'s weight and bias Parameters (an optimizer built on the
        model keeps working)."""
        new = cls.__new__(cls)
        Module.__init__(new)  # the Parameters come from mod: nothing to allocate or initialise
        new.in_features, new.out_features = mod.in_features, mod.out_features
        new.weight = mod.weight
        if mod.bias is not None:
            new.bias = mod.bias
        else:
            new.register_parameter("bias", None)
        new._init_scaling(amax_history_len, margin)
        new.train(mod.training)
        return new

    def forward(self, input: Tensor) -> Tensor:
        b = self._buffers
        for name in _STATE:  # the scaling state stays float32 when the model is cast (model.bfloat16())
            if b[name].dtype != _core.float32:
                b[name] = b[name]._to_dtype(_core.float32)
        return _core._float8_linear(
            input, self.weight, self.bias,
            b["fp8_amax_history_input"], b["fp8_scale_input"], b["fp8_amax_history_weight"], b["fp8_scale_weight"],
            b["fp8_amax_history_grad_output"], b["fp8_scale_grad_output"], self.margin)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, amax_history_len={self.amax_history_len}, margin={self.margin}"


def convert_to_float8_training(module: Module, module_filter_fn: Optional[Callable[[Module, str], bool]] = None,
                               amax_history_len: int = 16, margin: float = 0.0) -> Module:
    """Replaces every nn.Linear in `module` (in place; `module` itself too) by a Float8Linear
    sharing its parameters, where module_filter_fn(layer, fully_qualified_name) is true (all
    by default). Returns the converted module."""
    def convert(m: Module, fqn: str) -> Module:
        if isinstance(m, Linear) and not isinstance(m, Float8Linear):
            if module_filter_fn is None or module_filter_fn(m, fqn):
                return Float8Linear.from_float(m, amax_history_len, margin)
            return m
        for name, child in list(m._modules.items()):
            if child is not None:
                new = convert(child, f"{fqn}.{name}" if fqn else name)
                if new is not child:
                    setattr(m, name, new)
        return m

    return convert(module, "")
