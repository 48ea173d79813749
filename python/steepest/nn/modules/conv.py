"""Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d: torch's constructors, attributes,
parameter names (weight, bias) and initialisation (kaiming_uniform_(a=sqrt(5)) for the weight,
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias), so a torch state_dict loads unchanged."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Optional, Union

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import _conv_functional as CF
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import _factory

_size = Union[int, Sequence[int]]


def _ntuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    """An int repeated n times, or a sequence of n ints, as a tuple (torch's _pair/_single)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got bool")
    if isinstance(value, int):
        return (value,) * n
    try:
        t = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {type(value).__name__}") from None
    if len(t) == 1:
        return t * n
    if len(t) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    return t


class _ConvNd(Module):
    """What every convolution module shares: argument checks, parameters, initialisation and
    the padding modes (zeros inside the op; reflect, replicate and circular as a gather)."""

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size, stride: _size,
                 padding: Union[str, _size], dilation: _size, transposed: bool, output_padding: _size, groups: int,
                 bias: bool, padding_mode: str, device: Optional[DeviceLike] = None,
                 dtype: Optional[_core.dtype] = None) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"{name}(): {arg} must be a positive int, got {v!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{name}(): groups must be a positive integer, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}(): in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{name}(): out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in CF._PADDING_MODES:
            raise ValueError(f"{name}(): padding_mode must be one of {list(CF._PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        n = self._nd
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size")
        self.stride = _ntuple(stride, n, "stride")
        self.dilation = _ntuple(dilation, n, "dilation")
        self.padding: Union[str, tuple[int, ...]]
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}(): invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}(): padding='same' is not supported for strided convolutions")
            if transposed:
                raise ValueError(f"{name}(): padding must be int(s) for a transposed convolution, got "
                                 f"{padding!r}")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, n, "padding")
        for arg, vals, lo in (("kernel_size", self.kernel_size, 1), ("stride", self.stride, 1),
                              ("dilation", self.dilation, 1)):
            if any(v < lo for v in vals):
                raise ValueError(f"{name}(): {arg} must be positive, got {vals}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, n, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        dt = _factory(device, dtype)
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(_core.empty(shape + self.kernel_size, dtype=dt))
        if bias:
            self.bias = Parameter(_core.empty((out_channels,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _padded(self, input: Tensor) -> Tensor:
        """The input padded by self.padding with a non-zero padding mode."""
        if isinstance(self.padding, str):
            pads = []
            for k, d in zip(self.kernel_size, self.dilation):
                total = d * (k - 1)
                if total % 2:
                    raise NotImplementedError(f"padding='same' with padding_mode='{self.padding_mode}' needs an "
                                              "even total padding (dilation * (kernel_size - 1))")
                pads.append(total // 2)
            return CF._pad_spatial(input, pads, self.padding_mode)
        return CF._pad_spatial(input, self.padding, self.padding_mode)

    def extra_repr(self) -> str:
        n = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def forward(self, input: Tensor) -> Tensor:
        conv = CF.conv1d if self._nd == 1 else CF.conv2d
        if self.padding_mode != "zeros":  # the padding is applied by _padded, the conv adds none
            return conv(self._padded(input), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L); weight (out_channels, in_channels /
    groups, kernel_size)."""

    _nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size, stride: _size = 1,
                 padding: Union[str, _size] = 0, dilation: _size = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[_core.dtype] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W); weight (out_channels,
    in_channels / groups, kH, kW)."""

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size, stride: _size = 1,
                 padding: Union[str, _size] = 0, dilation: _size = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[_core.dtype] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size, stride: _size = 1,
                 padding: _size = 0, output_padding: _size = 0, groups: int = 1, bias: bool = True,
                 dilation: _size = 1, padding_mode: str = "zeros", device: Optional[DeviceLike] = None,
                 dtype: Optional[_core.dtype] = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Optional[Sequence[int]]) -> tuple[int, ...]:
        """output_padding, or the one that makes the output output_size (torch's forward arg)."""
        if output_size is None:
            return self.output_padding
        n = self._nd
        size = list(output_size)
        if len(size) == n + 2 or (len(size) == n + 1 and input.ndim == n + 1):
            size = size[-n:]
        if len(size) != n:
            raise ValueError(f"{type(self).__name__}: output_size must have {n} or {n + 2} elements, got "
                             f"{len(output_size)}")
        assert not isinstance(self.padding, str)
        pads = []
        for d in range(n):
            in_size = input.shape[input.ndim - n + d]
            lo = ((in_size - 1) * self.stride[d] - 2 * self.padding[d] + self.dilation[d] * (self.kernel_size[d] - 1)
                  + 1)
            hi = lo + self.stride[d] - 1
            if not lo <= size[d] <= hi:
                raise ValueError(f"requested an output size of {list(output_size)}, but valid sizes along spatial "
                                 f"dim {d} range from {lo} to {hi} (for an input of {tuple(input.shape)})")
            pads.append(size[d] - lo)
        return tuple(pads)


class ConvTranspose1d(_ConvTransposeNd):
    """The transposed 1-D convolution (conv1d's input gradient); weight (in_channels,
    out_channels / groups, kernel_size)."""

    _nd = 1

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        assert not isinstance(self.padding, str)
        return CF.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                   self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """The transposed 2-D convolution (conv2d's input gradient); weight (in_channels,
    out_channels / groups, kH, kW)."""

    _nd = 2

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        assert not isinstance(self.padding, str)
        return CF.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                   self._output_padding(input, output_size), self.groups, self.dilation)
