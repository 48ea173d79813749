"""Pooling layers — MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d —
with torch's constructors and attributes; each forwards to st.nn.functional."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from ..._typing import Tensor
from .. import _conv_functional as CF
from ..module import Module

_size = Union[int, Sequence[int]]
_size_opt = Union[int, Sequence[Optional[int]], None]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0, dilation: _size = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Window maxima over (N, C, L) or (C, L)."""

    def forward(self, input: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        return CF.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                             self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Window maxima over (N, C, H, W) or (C, H, W)."""

    def forward(self, input: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        return CF.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                             self.return_indices)


class AvgPool1d(Module):
    """Window means over (N, C, L) or (C, L)."""

    def __init__(self, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return CF.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Window means over (N, C, H, W) or (C, H, W)."""

    def __init__(self, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return CF.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: _size_opt) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Means over output_size windows that tile the last dim."""

    def forward(self, input: Tensor) -> Tensor:
        assert self.output_size is not None
        return CF.adaptive_avg_pool1d(input, self.output_size)  # type: ignore[arg-type]


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Means over output_size windows that tile the last two dims (None keeps a size)."""

    def forward(self, input: Tensor) -> Tensor:
        return CF.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: _size_opt, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Maxima over output_size windows that tile the last dim."""

    def forward(self, input: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        return CF.adaptive_max_pool1d(input, self.output_size, self.return_indices)  # type: ignore[arg-type]


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Maxima over output_size windows that tile the last two dims (None keeps a size)."""

    def forward(self, input: Tensor) -> Union[Tensor, tuple[Tensor, Tensor]]:
        return CF.adaptive_max_pool2d(input, self.output_size, self.return_indices)
