"""Parameter: a tensor that a Module registers as trainable state. It shares the data of
the tensor it wraps (st.Tensor(other) aliases it) and requires grad by default, as torch's."""
from __future__ import annotations

from typing import Optional

from .. import _core


class Parameter(_core.Tensor):
    """A tensor that Module.__setattr__ registers as a parameter. `Parameter(t)` shares t's
    storage; `Parameter()` holds an empty float tensor."""

    def __init__(self, data: Optional[_core.Tensor] = None, requires_grad: bool = True) -> None:
        if data is None:
            data = _core.empty(0)
        if not isinstance(data, _core.Tensor):
            raise TypeError(f"Parameter(data): expected a tensor, got {type(data).__name__}")
        super().__init__(data)
        self.requires_grad_(bool(requires_grad))

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        key = id(self)
        if key not in memo:
            memo[key] = type(self)(self.clone(), self.requires_grad)
        return memo[key]
