"""Linear (y = x W^T + b, torch's default initialisation) and Identity."""
from __future__ import annotations

import math
from typing import Any, Optional

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


def _factory(device, dtype):
    if device is not None and _core.device(device) != _core.device("cpu"):
        raise NotImplementedError(f"device='{device}': this build of steepest has no CUDA backend")
    return dtype if dtype is not None else _core.get_default_dtype()


class Identity(Module):
    """Returns its input; takes (and ignores) any constructor arguments, as torch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x @ weight.T + bias, weight (out_features, in_features). Initialised as torch's:
    weight by kaiming_uniform_(a=sqrt(5)) (that is U(-1/sqrt(in), 1/sqrt(in))), bias by
    U(-1/sqrt(in_features), 1/sqrt(in_features))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Linear(): {name} must be a non-negative int, got {v!r}")
        dt = _factory(device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_core.empty((out_features, in_features), dtype=dt))
        if bias:
            self.bias = Parameter(_core.empty((out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
