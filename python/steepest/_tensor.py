"""Tensor construction from Python data, and package-level helpers (config, CMake dir)."""
import os

import numpy as np

from . import _core

_NUMPY_TO_DTYPE = {
    np.dtype(np.bool_): _core.bool,
    np.dtype(np.int32): _core.int32,
    np.dtype(np.int64): _core.int64,
    np.dtype(np.float16): _core.float16,
    np.dtype(np.float32): _core.float32,
    np.dtype(np.float64): _core.float64,
}


def _as_numpy(data):
    """Python data -> (ndarray, dtype it should become when none is asked for)."""
    if isinstance(data, np.ndarray):
        arr = data
        natural = _NUMPY_TO_DTYPE.get(arr.dtype)
        if natural is None and arr.dtype.kind in "iu":
            natural, arr = _core.int64, arr.astype(np.int64)
        if natural is None:
            raise TypeError(f"can't convert a numpy array of dtype {arr.dtype} to a tensor; "
                            "supported: bool, int32, int64, float16, float32, float64")
        return arr, natural
    if isinstance(data, _core.Tensor):
        return data, data.dtype
    arr = np.asarray(data)
    if arr.dtype == object:
        raise TypeError(f"can't build a tensor from {type(data).__name__} data: "
                        "expected numbers or (nested, rectangular) sequences of numbers")
    if arr.dtype.kind == "f":
        return arr, _core.get_default_dtype()
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False), _core.int64
    if arr.dtype.kind == "b":
        return arr, _core.bool
    raise TypeError(f"can't build a tensor from data of numpy kind {arr.dtype}")


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (numbers, nested lists, numpy arrays, tensors).

    Without `dtype`: Python floats give the default dtype (float32), ints int64, bools bool;
    numpy arrays keep their dtype.
    """
    arr, natural = _as_numpy(data)
    if isinstance(arr, _core.Tensor):
        src = arr
    else:
        if any(s < 0 for s in arr.strides):  # from_numpy shares memory only for positive strides
            arr = arr.copy(order="C")
        src = _core.from_numpy(arr)
    target = natural if dtype is None else dtype
    out = src._to_dtype(target, copy=True)
    if device is not None and _core.device(device) != out.device:
        out = out.to(device)
    if requires_grad:
        out.requires_grad_(True)
    return out


def cmake_dir():
    """The folder that holds steepestConfig.cmake: put it on CMAKE_PREFIX_PATH (or pass it as
    -Dsteepest_DIR=...) and `find_package(steepest)` finds this installed copy."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib", "cmake", "steepest")


def show_config(file=None):
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
