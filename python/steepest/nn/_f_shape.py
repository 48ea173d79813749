"""torch's resampling and reshaping functions: pad (constant, reflect, replicate, circular),
interpolate (nearest, nearest-exact, linear/bilinear/trilinear with align_corners),
pixel_shuffle / pixel_unshuffle and one_hot. Composed from differentiable ops: cat, narrow,
index_select (whose backward scatters), reshape and permute; the source indices and
interpolation weights are computed once per call in numpy."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .. import _core

Tensor = _core.Tensor
_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_NEAREST = ("nearest", "nearest-exact")


def _check_tensor(fn: str, name: str, x: object) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _ints(fn: str, name: str, v: Any) -> tuple[int, ...]:
    try:
        out = tuple(v)
    except TypeError:
        raise TypeError(f"{fn}(): {name} must be a sequence of ints, got {type(v).__name__}") from None
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in out):
        raise TypeError(f"{fn}(): {name} must be a sequence of ints, got {out!r}")
    return tuple(int(p) for p in out)


def _index(x: Tensor, dim: int, idx: np.ndarray[Any, Any]) -> Tensor:
    return x.index_select(dim, _core.from_numpy(np.ascontiguousarray(idx, dtype=np.int64)))


# ---- pad ------------------------------------------------------------------------------------------
def _pad_constant(x: Tensor, pads: tuple[int, ...], value: float) -> Tensor:
    for k in range(len(pads) // 2):
        d = x.ndim - 1 - k
        lo, hi = pads[2 * k], pads[2 * k + 1]
        size = x.shape[d]
        start, stop = max(-lo, 0), size - max(-hi, 0)
        if stop < start:
            raise ValueError(f"pad(): the input size {size} at dim {d}, plus negative padding {lo} and {hi}, "
                             "gives a negative output size")
        if start or stop != size:
            x = x.narrow(d, start, stop - start)
        parts = []
        for n in (max(lo, 0), None, max(hi, 0)):
            if n is None:
                parts.append(x)
            elif n:
                shape = list(x.shape)
                shape[d] = n
                parts.append(_core.full(tuple(shape), value, dtype=x.dtype))
        if len(parts) > 1:
            x = _core.cat(parts, d)
    return x


def _pad_source(mode: str, size: int, lo: int, hi: int) -> np.ndarray[Any, Any]:
    """The input position each output position along one padded dim reads."""
    p = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(p, 0, size - 1)
    if mode == "circular":
        return np.mod(p, size)
    period = 2 * (size - 1)  # reflect: mirrored about the edge elements
    if period == 0:
        return np.zeros_like(p)
    q = np.mod(np.abs(p), period)
    return np.where(q >= size, period - q, q)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pads the last len(pad) // 2 dims: pad = (last_lo, last_hi, second_last_lo, ...). Negative
    amounts crop. reflect, replicate and circular pad 1 to 3 trailing dims of a batched or
    unbatched input, as torch does."""
    fn = "pad"
    _check_tensor(fn, "input", input)
    pads = _ints(fn, "pad", pad)
    if len(pads) % 2:
        raise ValueError(f"{fn}(): padding length must be divisible by 2, got {len(pads)}")
    k = len(pads) // 2
    if k > input.ndim:
        raise ValueError(f"{fn}(): padding length should be less than or equal to two times the input "
                         f"dimension but got padding length {len(pads)} and input of dimension {input.ndim}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"{fn}(): unrecognised padding mode {mode!r} (expected one of "
                                  f"{', '.join(_PAD_MODES)})")
    if mode == "constant":
        v = 0.0 if value is None else value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{fn}(): value must be a number, got {type(v).__name__}")
        return _pad_constant(input, pads, v)
    if value is not None:
        raise ValueError(f"{fn}(): padding mode {mode!r} doesn't take in value argument")
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"{fn}(): padding size {len(pads)} is not supported for {input.ndim}D input "
                                  f"in mode {mode!r}: pad 2, 4 or 6 values for a 2D/3D, 3D/4D or 4D/5D input")
    x = input
    for j in range(k):
        d = x.ndim - 1 - j
        lo, hi = pads[2 * j], pads[2 * j + 1]
        size = x.shape[d]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise ValueError(f"{fn}(): padding size should be less than the corresponding input dimension, "
                             f"but got padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise ValueError(f"{fn}(): padding value causes wrapping around more than once: padding ({lo}, {hi}) "
                             f"at dimension {d} of input {list(input.shape)}")
        if size == 0 or size + lo + hi < 0:
            raise ValueError(f"{fn}(): cannot pad dimension {d} of size {size} with ({lo}, {hi}) in mode {mode!r}")
        x = _index(x, d, _pad_source(mode, size, lo, hi))
    return x


# ---- interpolate --------------------------------------------------------------------------------------
def _per_dim(fn: str, name: str, v: Any, n: int, kind: type) -> list[Any]:
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"{fn}(): input and output must have the same number of spatial dimensions, but got "
                             f"input with {n} spatial dimensions and {name} {tuple(v)}")
        vals = list(v)
    else:
        vals = [v] * n
    for e in vals:
        if isinstance(e, bool) or not isinstance(e, (int, float) if kind is float else int):
            raise TypeError(f"{fn}(): {name} must be {'a number' if kind is float else 'an int'} or a tuple of "
                            f"them, got {v!r}")
    return [kind(e) for e in vals]


def _linear_weights(n_in: int, n_out: int, sf: Optional[float],
                    align_corners: bool) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = np.arange(n_out, dtype=np.float64) * scale
    else:
        scale = 1.0 / sf if sf is not None and sf > 0 else n_in / n_out
        src = np.maximum((np.arange(n_out, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def _nearest_index(n_in: int, n_out: int, sf: Optional[float], exact: bool) -> np.ndarray[Any, Any]:
    # float32 arithmetic, as torch computes these source indices.
    scale = np.float32(1.0 / sf if sf is not None and sf > 0 else n_in / n_out)
    dst = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(dst * scale).astype(np.int64), n_in - 1)


def interpolate(input: Tensor, size: Optional[Union[int, Sequence[int]]] = None,
                scale_factor: Optional[Union[float, Sequence[float]]] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resizes the spatial dims (all after N and C) to `size`, or by `scale_factor`
    (output = floor(input * scale_factor)). Modes: nearest, nearest-exact, and linear /
    bilinear / trilinear for 3-D / 4-D / 5-D input, with or without align_corners."""
    fn = "interpolate"
    _check_tensor(fn, "input", input)
    if mode not in _NEAREST and mode not in _LINEAR:
        raise NotImplementedError(f"{fn}(): mode {mode!r} is not supported (expected nearest, nearest-exact, "
                                  "linear, bilinear or trilinear)")
    if antialias:
        raise NotImplementedError(f"{fn}(): antialias=True is not supported")
    if input.ndim < 3 or input.ndim > 5:
        raise ValueError(f"{fn}(): expected a 3-D, 4-D or 5-D input (N, C, spatial...), got shape "
                         f"{tuple(input.shape)}")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(f"{fn}(): got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input")
    if align_corners is not None and mode in _NEAREST:
        raise ValueError(f"{fn}(): align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{fn}(): " + ("only one of size or scale_factor should be defined" if size is not None
                                        else "either size or scale_factor should be defined"))
    if not input.is_floating_point() and mode in _LINEAR:
        raise TypeError(f"{fn}(): {mode} mode needs a floating-point input, got {input.dtype}")
    spatial = input.shape[2:]
    n = len(spatial)
    scales: list[Optional[float]]
    if size is not None:
        out_size = _per_dim(fn, "size", size, n, int)
        scales = [None] * n
    else:
        sfs = _per_dim(fn, "scale_factor", scale_factor, n, float)
        out_size = [int(math.floor(s * f)) for s, f in zip(spatial, sfs)]
        scales = [None] * n if recompute_scale_factor else list(sfs)
    if any(o <= 0 for o in out_size) or any(s <= 0 for s in spatial):
        raise ValueError(f"{fn}(): input {tuple(spatial)} and output {tuple(out_size)} sizes should be greater "
                         "than 0")
    x = input
    for j in range(n):
        d = 2 + j
        n_in, n_out = spatial[j], out_size[j]
        if mode in _NEAREST:
            if n_in != n_out or mode == "nearest-exact":
                x = _index(x, d, _nearest_index(n_in, n_out, scales[j], mode == "nearest-exact"))
            continue
        i0, i1, lam = _linear_weights(n_in, n_out, scales[j], bool(align_corners))
        shape = [1] * x.ndim
        shape[d] = n_out
        w1 = _core.from_numpy(lam.reshape(shape)).to(x.dtype)
        x0, x1 = _index(x, d, i0), _index(x, d, i1)
        x = x0 + (x1 - x0) * w1
    return x


# ---- pixel shuffle, one_hot ------------------------------------------------------------------------------
def _factor(fn: str, name: str, r: object) -> int:
    if isinstance(r, bool) or not isinstance(r, int) or r <= 0:
        raise ValueError(f"{fn}(): {name} must be a positive int, got {r!r}")
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    fn = "pixel_shuffle"
    _check_tensor(fn, "input", input)
    r = _factor(fn, "upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"{fn}(): expected an input of at least 3 dims (*, C, H, W), got shape {tuple(input.shape)}")
    *lead, c, h, w = tuple(input.shape)
    if c % (r * r):
        raise ValueError(f"{fn}(): expects its input's 'channel' dimension to be divisible by the square of "
                         f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    fn = "pixel_unshuffle"
    _check_tensor(fn, "input", input)
    r = _factor(fn, "downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"{fn}(): expected an input of at least 3 dims (*, C, H, W), got shape {tuple(input.shape)}")
    *lead, c, h, w = tuple(input.shape)
    if h % r or w % r:
        raise ValueError(f"{fn}(): expects height ({h}) and width ({w}) to be divisible by downscale_factor ({r})")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (*, num_classes) with a 1 at each value's position; num_classes=-1 takes max + 1."""
    fn = "one_hot"
    _check_tensor(fn, "tensor", tensor)
    if tensor.dtype != _core.int64:
        raise TypeError(f"{fn}(): is only applicable to index tensors of type int64, got {tensor.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < -1:
        raise ValueError(f"{fn}(): num_classes must be -1 or a non-negative int, got {num_classes!r}")
    if tensor.numel():
        lo, hi = int(tensor.amin()), int(tensor.amax())
        if lo < 0:
            raise ValueError(f"{fn}(): class values must be non-negative, got {lo}")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise ValueError(f"{fn}(): class values must be smaller than num_classes ({num_classes}), got {hi}")
    elif num_classes == -1:
        raise ValueError(f"{fn}(): can not infer the total number of classes from an empty tensor")
    classes = _core.arange(num_classes)
    return (tensor.unsqueeze(-1) == classes).to(_core.int64)
