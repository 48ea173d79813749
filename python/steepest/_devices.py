"""Device arguments: one check that every `device=` goes through (Tensor.to, Module.to,
creation functions, set_default_device, load's map_location), so a request for a device
this build or machine cannot serve fails the same clear way everywhere: NotImplementedError
on a build without a CUDA backend, RuntimeError "no CUDA device" on a CUDA build without a
GPU."""
from __future__ import annotations

from typing import Optional, Union

from . import _core

DeviceArg = Union[str, int, _core.device, None]

_default_device: Optional[_core.device] = None


def _no_cuda_reason() -> str:
    return "this build of steepest has no CUDA backend (st.cuda.is_available() is False)"


def as_device(device: DeviceArg, what: str) -> Optional[_core.device]:
    """`device` as a st.device (None stays None); TypeError for something that is not one.
    A bare int means cuda:<int>, as torch reads it."""
    if device is None or isinstance(device, _core.device):
        return device
    if isinstance(device, bool):
        raise TypeError(f"{what}: expected a device (str or st.device), got bool")
    if isinstance(device, int):
        return _core.device(f"cuda:{device}")
    if isinstance(device, str):
        try:
            return _core.device(device)
        except Exception as e:
            raise ValueError(f"{what}: {e}") from None
    kind = f"{type(device).__module__}.{type(device).__qualname__}"
    if type(device).__module__.startswith("torch"):
        raise TypeError(f"{what}: got a torch device ({device}); pass a string such as 'cpu' or a st.device")
    raise TypeError(f"{what}: expected a device (str or st.device), got {kind}")


def check_device(device: DeviceArg, what: str) -> Optional[_core.device]:
    """`device` as a st.device if tensors can live there: NotImplementedError for CUDA on a
    build without the backend, RuntimeError when the CUDA build finds no GPU."""
    d = as_device(device, what)
    if d is None or d.type == "cpu":
        return d
    if not _core.build_info()["cuda"]:
        raise NotImplementedError(f"{what}: can't use device {d}: {_no_cuda_reason()}")
    if not _core.cuda_is_available():
        raise RuntimeError(f"{what}: can't use device {d}: no CUDA device is available "
                           "(this CUDA build of steepest found no GPU)")
    count = _core._cuda.device_count()
    if d.index is not None and d.index >= count:
        raise RuntimeError(f"{what}: invalid device {d}: only {count} CUDA device(s) are available")
    return d


def check_host(device: DeviceArg, what: str) -> None:
    """The checks of check_device, for callers that only validate."""
    check_device(device, what)


def set_default_device(device: DeviceArg) -> None:
    """torch.set_default_device: tensors made by st.tensor and the creation functions without
    a device= land on `device` (None: back to the CPU)."""
    global _default_device
    d = check_device(device, "set_default_device")
    if d is not None and d.type == "cuda" and d.index is None:
        d = _core.device("cuda", int(_core._cuda.current_device()))  # as torch: the concrete device
    _default_device = None if d is None or d.type == "cpu" else d
    _core._set_default_device(_default_device)


def get_default_device() -> _core.device:
    """The device new tensors are created on (the CPU unless set_default_device chose another)."""
    return _default_device if _default_device is not None else _core.device("cpu")
