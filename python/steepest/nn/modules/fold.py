"""Unfold (im2col: sliding blocks as columns) and Fold (col2im: columns summed back into an
image), torch's constructors and attributes."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from ..._typing import Tensor
from .. import _conv_functional as CF
from ..module import Module

_size = Union[int, Sequence[int]]


class Unfold(Module):
    """(N, C, H, W) -> (N, C * kH * kW, L)."""

    def __init__(self, kernel_size: _size, dilation: _size = 1, padding: _size = 0, stride: _size = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return CF.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """(N, C * kH * kW, L) -> (N, C, *output_size)."""

    def __init__(self, output_size: _size, kernel_size: _size, dilation: _size = 1, padding: _size = 0,
                 stride: _size = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return CF.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
