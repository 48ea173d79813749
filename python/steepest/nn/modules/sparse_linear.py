"""SparseLinear: y = x W + b for rows x given sparsely (st.datasets.SparseRows), computed
from the non-zero entries only, so a vocabulary of 100k columns costs what the texts hold."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import _factory

if TYPE_CHECKING:
    from ...datasets.sparse import SparseRows


class SparseLinear(Module):
    """weight (in_features, out_features): row j is what column j of the input adds to each
    output, so a row's output gathers the weight rows of its column ids (F.embedding), scales
    each by its value and sums them per row (scatter_add); both have gradients. Initialised as
    Linear, U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"SparseLinear(): {name} must be a positive int, got {v!r}")
        dt = _factory(device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_core.empty((in_features, out_features), dtype=dt))
        if bias:
            self.bias = Parameter(_core.empty((out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: SparseRows) -> Tensor:
        if not hasattr(input, "tensors") or not hasattr(input, "n_cols"):
            raise TypeError(f"SparseLinear: input must be st.datasets.SparseRows, got {type(input).__name__}")
        if input.n_cols != self.in_features:
            raise ValueError(f"SparseLinear: input has {input.n_cols} columns but in_features is {self.in_features}")
        rows, cols, values = input.tensors()
        parts = F.embedding(cols, self.weight) * values.unsqueeze(1)  # (nnz, out): each entry's contribution
        index = rows.unsqueeze(1).expand(parts.shape[0], self.out_features)
        out = _core.zeros((len(input), self.out_features), dtype=self.weight.dtype).scatter_add(0, index, parts)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
