"""Bilinear (y = x1^T W_k x2 + b_k per output k), and the CosineSimilarity and PairwiseDistance
layers."""
from __future__ import annotations

import math
from typing import Optional

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import _factory


class Bilinear(Module):
    """weight (out, in1, in2) and bias (out,), both U(-1/sqrt(in1), 1/sqrt(in1)) as torch's."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        for name, v in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Bilinear(): {name} must be a non-negative int, got {v!r}")
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        dt = _factory(device, dtype)
        self.weight = Parameter(_core.empty((out_features, in1_features, in2_features), dtype=dt))
        if bias:
            self.bias = Parameter(_core.empty((out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.in1_features) if self.in1_features else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class CosineSimilarity(Module):
    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
