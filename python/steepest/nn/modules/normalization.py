"""LayerNorm over the trailing normalized_shape dims, with optional affine weight and bias."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import _factory


def add_affine(module: Module, shape: tuple[int, ...], affine: bool, bias: bool, dt: Optional[_core.dtype]) -> None:
    """The weight (and, with bias, the bias) Parameters of shape `shape` that norm layers
    carry when affine, registered as None otherwise, so state_dict keys match torch's."""
    for name, wanted in (("weight", affine), ("bias", affine and bias)):
        module.register_parameter(name, Parameter(_core.empty(shape, dtype=dt)) if wanted else None)


def reset_affine(module: Module) -> None:
    """Weight to ones and bias to zeros, as torch's norm layers start."""
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape)
    dims; weight starts at ones and bias at zeros."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        add_affine(self, self.normalized_shape, elementwise_affine, bias, _factory(device, dtype))
        self.reset_parameters()

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
