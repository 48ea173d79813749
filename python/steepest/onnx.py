"""st.onnx: present so that scripts importing torch.onnx load; exporting is not implemented."""
from __future__ import annotations

from typing import Any, NoReturn


def export(*args: Any, **kwargs: Any) -> NoReturn:
    """torch.onnx.export: not implemented in steepest (raises NotImplementedError)."""
    raise NotImplementedError("st.onnx.export: ONNX export is not implemented in steepest; "
                              "save weights with st.save (safetensors) instead")


def dynamo_export(*args: Any, **kwargs: Any) -> NoReturn:
    raise NotImplementedError("st.onnx.dynamo_export: ONNX export is not implemented in steepest")


def is_in_onnx_export() -> bool:
    """False: nothing is ever being exported."""
    return False
