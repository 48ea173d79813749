"""DataLoader(pin_memory=True) on a machine with a GPU: each batch's tensors are copied into
page-locked host memory, so `.to("cuda", non_blocking=True)` can overlap with compute."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import _core


def pin_tree(obj: Any) -> Any:
    """obj with every CPU tensor in it (nested in dicts, lists, tuples) pinned."""
    if isinstance(obj, _core.Tensor):
        return obj.pin_memory() if obj.device.type == "cpu" else obj
    if isinstance(obj, dict):
        return type(obj)({k: pin_tree(v) for k, v in obj.items()}) if type(obj) is dict else \
            _rebuild_mapping(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(pin_tree(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(pin_tree(v) for v in obj)
    return obj


def _rebuild_mapping(obj: Any) -> Any:
    out = type(obj)()
    for k, v in obj.items():
        out[k] = pin_tree(v)
    return out


def pinned(batches: Iterator[Any]) -> Iterator[Any]:
    for b in batches:
        yield pin_tree(b)
