"""Type aliases shared by the package's annotations: what a Number, a tensor-or-tensors and a
dtype/device argument accept."""
import os
from typing import Iterable, Union

from . import _core

Tensor = _core.Tensor
# A Python number as the C++ core takes it (bool and int become integer scalars, float double).
Number = Union[bool, int, float]
# parameters(), a list of tensors, or one tensor: what clipping and the flat-vector helpers take.
TensorOrTensors = Union[Tensor, Iterable[Tensor]]
# A device as a string ("cpu", "cuda:0") or a st.device.
DeviceLike = Union[str, _core.device]
# A file path as open() takes it, and one that is text (for paths that appear in messages).
StrPath = Union[str, "os.PathLike[str]"]
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
