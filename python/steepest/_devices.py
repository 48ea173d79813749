"""Device arguments on a build whose tensors live on the CPU: one check that every `device=`
goes through (Tensor.to, Module.to, set_default_device, load's map_location), so a CUDA
request fails the same clear way everywhere instead of somewhere deep in the core."""
from __future__ import annotations

from typing import Optional, Union

from . import _core

DeviceArg = Union[str, int, _core.device, None]


def _no_cuda_reason() -> str:
    if _core.build_info()["cuda"]:
        return "tensors cannot be moved to CUDA from Python yet (steepest's CUDA backend is partial)"
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


def check_host(device: DeviceArg, what: str) -> None:
    """Raises NotImplementedError unless `device` is None or the CPU."""
    d = as_device(device, what)
    if d is not None and d.type != "cpu":
        raise NotImplementedError(f"{what}: can't use device {d}: {_no_cuda_reason()}")


def set_default_device(device: DeviceArg) -> None:
    """torch.set_default_device: only the CPU exists in this build, so 'cpu' (or None) is
    accepted and changes nothing; any other device raises NotImplementedError."""
    check_host(device, "set_default_device")


def get_default_device() -> _core.device:
    """The device new tensors are created on: always the CPU in this build."""
    return _core.device("cpu")
