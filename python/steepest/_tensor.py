"""Tensor construction from Python data (st.tensor, st.as_tensor), and package-level helpers
(config, CMake dir). dtype inference follows torch: Python floats give the default dtype,
ints int64, bools bool; numpy scalars/arrays and tensors keep their dtype; mixed leaves
promote with st.promote_types."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any, Optional

import numpy as np

from . import _core
from ._devices import check_device, get_default_device
from ._typing import DeviceLike

_NUMPY_TO_DTYPE = {
    np.dtype(np.bool_): _core.bool,
    np.dtype(np.int32): _core.int32,
    np.dtype(np.int64): _core.int64,
    np.dtype(np.float16): _core.float16,
    np.dtype(np.float32): _core.float32,
    np.dtype(np.float64): _core.float64,
}
_SUPPORTED = "bool, int32, int64, bfloat16, float16, float32, float64"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _numpy_natural(npdtype):
    """The steepest dtype a numpy dtype becomes (other integer widths widen to int64)."""
    d = _NUMPY_TO_DTYPE.get(npdtype)
    if d is not None:
        return d
    if npdtype.kind in "iu":
        return _core.int64
    if npdtype.name == "bfloat16":  # ml_dtypes.bfloat16
        return _core.bfloat16
    if npdtype.name in ("float8_e4m3fn", "float8_e5m2"):  # ml_dtypes' FP8 types
        return getattr(_core, npdtype.name)
    raise TypeError(f"can't convert numpy data of dtype {npdtype} to a tensor; supported: {_SUPPORTED}")


def _from_ndarray(arr, natural):
    """A tensor holding `arr`'s values as `natural` (sharing memory when from_numpy can)."""
    if arr.dtype.name == "bfloat16":
        arr = arr.astype(np.float32)  # exact; the copy below rounds nothing
    elif arr.dtype.kind in "iu" and arr.dtype not in _NUMPY_TO_DTYPE:
        if arr.dtype == np.uint64 and arr.size and arr.max() > _INT64_MAX:
            raise ValueError(f"value {arr.max()} of the uint64 array doesn't fit in int64")
        arr = arr.astype(np.int64)
    if (not arr.dtype.isnative or any(s < 0 for s in arr.strides) or not arr.flags.aligned
            or not arr.flags.writeable):
        arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
    return _core.from_numpy(arr)


def _scalar_dtype(x):
    """dtype of one leaf value: Python number, numpy scalar, 0-d array or 0-d tensor."""
    t = type(x)
    if t is float:
        return _core.get_default_dtype()
    if t is bool:
        return _core.bool
    if t is int:
        return _core.int64
    if isinstance(x, (np.generic, np.ndarray)):
        return _numpy_natural(x.dtype)
    if isinstance(x, _core.Tensor):
        return x.dtype
    if isinstance(x, bool):
        return _core.bool
    if isinstance(x, int):
        return _core.int64
    if isinstance(x, float):
        return _core.get_default_dtype()
    if isinstance(x, complex):
        raise TypeError("complex numbers are not supported (steepest has no complex dtype)")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"can't build a tensor from {t.__name__} data ({x!r}): expected numbers")
    raise TypeError(f"Could not infer dtype of {t.__name__}: expected numbers or (nested, "
                    "rectangular) sequences of numbers")


def _is_seq(x):
    return isinstance(x, (list, tuple, range)) or (
        isinstance(x, Sequence) and not isinstance(x, (str, bytes)))


_PY_LEAF = {float, int, bool}


class _Scan:
    """Walks nested sequences once: checks they are rectangular, collects leaf dtypes."""

    def __init__(self, data):
        self.shape: list[int] = []
        x = data
        while True:  # the shape, from the first element at each depth (as torch does)
            if isinstance(x, (_core.Tensor, np.ndarray)):
                self.shape.extend(x.shape)
                break
            if not _is_seq(x):
                break
            self.shape.append(len(x))
            if len(x) == 0:
                break
            x = x[0]
        self.py_types = set()
        self.dtypes = set()
        self.has_tensors = False
        self._check(data, 0)

    def _check(self, x, dim):
        shape = self.shape
        if isinstance(x, (_core.Tensor, np.ndarray)):
            if tuple(x.shape) != tuple(shape[dim:]):
                raise ValueError(f"expected a sequence of shape {tuple(shape[dim:])} at dim {dim} "
                                 f"(got {type(x).__name__} of shape {tuple(x.shape)})")
            self.dtypes.add(_scalar_dtype(x) if isinstance(x, np.ndarray) else x.dtype)
            self.has_tensors |= isinstance(x, _core.Tensor)
            return
        if dim == len(shape):
            if _is_seq(x):
                raise ValueError(f"expected a number at dim {dim}, got a {type(x).__name__} "
                                 "(the data is not rectangular)")
            self.dtypes.add(_scalar_dtype(x))
            return
        if not _is_seq(x):
            if isinstance(x, (str, bytes)):
                _scalar_dtype(x)  # raises the TypeError naming the string
            raise ValueError(f"expected a sequence of length {shape[dim]} at dim {dim}, got "
                             f"{type(x).__name__} (the data is not rectangular)")
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        if dim == len(shape) - 1:
            types = set(map(type, x))
            if types <= _PY_LEAF:  # the common case: a row of plain Python numbers
                self.py_types |= types
                return
        for item in x:
            self._check(item, dim + 1)

    def dtype(self):
        out = None
        for d in self.dtypes | {_scalar_dtype(t()) for t in self.py_types}:
            out = d if out is None else _core.promote_types(out, d)
        return _core.get_default_dtype() if out is None else out


def _untensor(x):
    """Nested data with every tensor replaced by its Python values (for np.asarray)."""
    if isinstance(x, _core.Tensor):
        return x.tolist()
    if _is_seq(x) and not isinstance(x, np.ndarray):
        return [_untensor(i) for i in x]
    return x


def _np_for(d):
    """The numpy dtype that holds values of steepest dtype `d` exactly."""
    if d == _core.bool:
        return np.bool_
    if d.is_floating_point:
        return np.float64
    return np.int64


def _check_int(v):
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise ValueError(f"Overflow: {v} doesn't fit in int64")
    return v


def _build(data, dtype):
    """A fresh tensor from `data` with `dtype` (None: inferred)."""
    if isinstance(data, _core.Tensor):
        return data.detach()._to_dtype(data.dtype if dtype is None else dtype, copy=True)
    if isinstance(data, (bool, int, float)) and not isinstance(data, np.generic):
        if isinstance(data, int) and not isinstance(data, bool):
            _check_int(data)
        return _core.scalar_tensor(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)) or (
            not _is_seq(data) and hasattr(data, "__array__")):
        arr = np.asarray(data)
        natural = _numpy_natural(arr.dtype)
        return _from_ndarray(arr, natural)._to_dtype(natural if dtype is None else dtype, copy=True)
    if not _is_seq(data):
        _scalar_dtype(data)  # raises a TypeError naming the type
    scan = _Scan(data)
    natural = scan.dtype()
    target = natural if dtype is None else dtype
    values = _untensor(data) if scan.has_tensors else data
    try:
        arr = np.asarray(values, dtype=_np_for(natural))
    except OverflowError as e:
        raise ValueError(f"Overflow: an integer in the data doesn't fit in int64 ({e})") from None
    arr = arr.reshape(scan.shape)  # keeps (2, 0)-like shapes numpy may otherwise infer as (2, 0)
    return _core.from_numpy(arr)._to_dtype(target, copy=True)


def tensor(data: Any, dtype: Optional[_core.dtype] = None, device: Optional[DeviceLike] = None,
           requires_grad: bool = False) -> _core.Tensor:
    """A new tensor holding a copy of `data`: a number, nested (rectangular) lists/tuples of
    numbers or 0-d tensors, a numpy array or scalar (its dtype is kept; other integer widths
    become int64, ml_dtypes.bfloat16 becomes bfloat16), or a tensor (copied, detached).

    Without `dtype`: Python floats give the default dtype (float32), ints int64, bools bool;
    mixed leaves promote like st.promote_types. Ragged lists raise ValueError; strings, None
    and complex numbers raise TypeError.
    """
    d = check_device(device, "tensor") or get_default_device()
    out = _build(data, dtype)
    if d.type != "cpu":
        out = _core._to_device(out, d)
    if requires_grad:
        out.requires_grad_(True)
    return out


def as_tensor(data: Any, dtype: Optional[_core.dtype] = None,
              device: Optional[DeviceLike] = None) -> _core.Tensor:
    """`data` as a tensor, without copying when possible: a tensor of the right dtype is
    returned as is, and a numpy array whose dtype steepest has (bool, int32, int64, float16,
    float32, float64) and whose strides are non-negative is shared (writes are seen by both).
    Anything else is converted as st.tensor does."""
    d = check_device(device, "as_tensor")
    if d is not None and d.type != "cpu":
        src = data if isinstance(data, _core.Tensor) else as_tensor(data, dtype)
        out = _core._to_device(src, d)
        return out if dtype is None or dtype == out.dtype else out._to_dtype(dtype)
    if isinstance(data, _core.Tensor):
        return data if dtype is None or dtype == data.dtype else data._to_dtype(dtype)
    if (isinstance(data, np.ndarray) and data.dtype in _NUMPY_TO_DTYPE and data.dtype.isnative
            and all(s >= 0 for s in data.strides) and data.flags.aligned):
        t = _core.from_numpy(data)
        return t if dtype is None or dtype == t.dtype else t._to_dtype(dtype)
    return _build(data, dtype)


def cmake_dir() -> str:
    """The folder that holds steepestConfig.cmake: put it on CMAKE_PREFIX_PATH (or pass it as
    -Dsteepest_DIR=...) and `find_package(steepest)` finds this installed copy."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib", "cmake", "steepest")


def show_config(file: Optional[IO[str]] = None) -> None:
    """Prints the version, the SIMD instruction set in use, threads, BLAS and CUDA."""
    info = _core.build_info()
    lines = [
        f"steepest {info['version']}",
        f"  instruction set: {_core.current_isa()} (compiled: {info['isas_compiled']}; "
        f"this CPU supports: {', '.join(_core.supported_isas())})",
        f"  threads:         {_core.get_num_threads()} (OpenMP and OpenBLAS)",
        f"  BLAS:            {info['blas']}",
        f"  CUDA:            {'built' if info['cuda'] else 'not built'}"
        + (f", available: {_core.cuda_is_available()}" if info['cuda'] else ""),
        f"  compiler:        {info['compiler']}",
    ]
    print("\n".join(lines), file=file)
