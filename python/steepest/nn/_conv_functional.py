"""Convolution, unfold/fold and pooling of st.nn.functional, with torch's names, argument
order and defaults. Each is one call into the C++ op (steepest._core._nn_<name>), which checks
every size and raises ValueError/TypeError naming the argument; only the return_indices choice
and the padding modes other than zeros are decided here."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

from .. import _core
from .._tensor import tensor as _tensor

Tensor = _core.Tensor
_size = Union[int, Sequence[int]]
_size_opt = Union[int, Sequence[Optional[int]], None]
_padding = Union[str, _size]
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_tensors(fn: str, **tensors: object) -> None:
    for name, t in tensors.items():
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


# ---- convolution ---------------------------------------------------------------------------------

def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _size = 1,
           padding: _padding = 0, dilation: _size = 1, groups: int = 1) -> Tensor:
    """1-D convolution: input (N, C_in, L) or (C_in, L), weight (C_out, C_in / groups, k)."""
    _check_tensors("conv1d", input=input, weight=weight, bias=bias)
    return _core._nn_conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _size = 1,
           padding: _padding = 0, dilation: _size = 1, groups: int = 1) -> Tensor:
    """2-D convolution: input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in / groups,
    kH, kW). padding: int(s), 'valid' (none) or 'same' (stride 1; output the input's size)."""
    _check_tensors("conv2d", input=input, weight=weight, bias=bias)
    return _core._nn_conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _size = 1,
                     padding: _size = 0, output_padding: _size = 0, groups: int = 1,
                     dilation: _size = 1) -> Tensor:
    """The gradient of conv1d with respect to its input: weight (C_in, C_out / groups, k)."""
    _check_tensors("conv_transpose1d", input=input, weight=weight, bias=bias)
    return _core._nn_conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _size = 1,
                     padding: _size = 0, output_padding: _size = 0, groups: int = 1,
                     dilation: _size = 1) -> Tensor:
    """The gradient of conv2d with respect to its input: weight (C_in, C_out / groups, kH, kW);
    output size (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    _check_tensors("conv_transpose2d", input=input, weight=weight, bias=bias)
    return _core._nn_conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


# ---- patches ---------------------------------------------------------------------------------------

def unfold(input: Tensor, kernel_size: _size, dilation: _size = 1, padding: _size = 0,
           stride: _size = 1) -> Tensor:
    """Sliding blocks as columns (im2col): (N, C, H, W) -> (N, C * kH * kW, L)."""
    _check_tensors("unfold", input=input)
    return _core._nn_unfold(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size: _size, kernel_size: _size, dilation: _size = 1, padding: _size = 0,
         stride: _size = 1) -> Tensor:
    """Columns summed back into an image (col2im): (N, C * kH * kW, L) -> (N, C, *output_size)."""
    _check_tensors("fold", input=input)
    return _core._nn_fold(input, output_size, kernel_size, dilation, padding, stride)


# ---- pooling ----------------------------------------------------------------------------------------

def max_pool1d_with_indices(input: Tensor, kernel_size: _size, stride: Optional[_size] = None,
                            padding: _size = 0, dilation: _size = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    _check_tensors("max_pool1d", input=input)
    return _core._nn_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input: Tensor, kernel_size: _size, stride: Optional[_size] = None,
                            padding: _size = 0, dilation: _size = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    _check_tensors("max_pool2d", input=input)
    return _core._nn_max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d(input: Tensor, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0,
               dilation: _size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Window maxima over the last dim; with return_indices also their positions (int64)."""
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool2d(input: Tensor, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0,
               dilation: _size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    """Window maxima over the last two dims (stride defaults to kernel_size); with
    return_indices also their flat positions h * W + w in each input plane (int64)."""
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool1d(input: Tensor, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    _check_tensors("avg_pool1d", input=input)
    return _core._nn_avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input: Tensor, kernel_size: _size, stride: Optional[_size] = None, padding: _size = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> Tensor:
    """Window means over the last two dims; count_include_pad counts padded zeros in the
    divisor, divisor_override replaces it."""
    _check_tensors("avg_pool2d", input=input)
    return _core._nn_avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                divisor_override)


def adaptive_avg_pool1d(input: Tensor, output_size: _size) -> Tensor:
    _check_tensors("adaptive_avg_pool1d", input=input)
    return _core._nn_adaptive_avg_pool1d(input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: _size_opt) -> Tensor:
    """Means over windows [floor(i * in / out), ceil((i + 1) * in / out)); None keeps a size."""
    _check_tensors("adaptive_avg_pool2d", input=input)
    return _core._nn_adaptive_avg_pool2d(input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size: _size,
                        return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    _check_tensors("adaptive_max_pool1d", input=input)
    out, idx = _core._nn_adaptive_max_pool1d(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(input: Tensor, output_size: _size_opt,
                        return_indices: bool = False) -> Union[Tensor, tuple[Tensor, Tensor]]:
    _check_tensors("adaptive_max_pool2d", input=input)
    out, idx = _core._nn_adaptive_max_pool2d(input, output_size)
    return (out, idx) if return_indices else out


# ---- padding modes of the conv modules ----------------------------------------------------------

def _pad_index(n: int, lo: int, hi: int, mode: str) -> list[int]:
    """The source position of each of the lo + n + hi padded positions along one dim."""
    idx = []
    for i in range(-lo, n + hi):
        if mode == "circular":
            idx.append(i % n)
        elif mode == "replicate":
            idx.append(min(max(i, 0), n - 1))
        else:  # reflect: mirror without repeating the edge
            period = 2 * (n - 1)
            j = abs(i) % period if period else 0
            idx.append(period - j if j >= n else j)
    return idx


def _pad_spatial(input: Tensor, padding: Sequence[int], mode: str) -> Tensor:
    """Pads the trailing len(padding) dims by padding[d] on both sides ('reflect',
    'replicate' or 'circular'), as gathers that autograd differentiates."""
    nd = len(padding)
    for d, p in enumerate(padding):
        dim = input.ndim - nd + d
        n = input.shape[dim]
        if p == 0:
            continue
        if mode == "reflect" and p >= n:
            raise ValueError(f"padding_mode='reflect': padding ({p}) must be smaller than the input's size "
                             f"({n}) along dim {dim}")
        if mode == "circular" and p > n:
            raise ValueError(f"padding_mode='circular': padding ({p}) must be at most the input's size "
                             f"({n}) along dim {dim}")
        index = _tensor(_pad_index(n, p, p, mode), dtype=_core.int64)
        input = input.index_select(dim, index)
    return input
