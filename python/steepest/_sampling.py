"""Tensor.bernoulli, as glue over the C++ sampler (st.normal's tensor forms are C++ too).

Seeding: every draw takes its numbers from `generator` when given, else from the default
generator that st.manual_seed(seed) resets. Both are counter-based Philox streams (the
algorithm is written down in steepest/ops/random.hpp), so the same seed and the same
sequence of calls give the same values on every machine, thread count and instruction set.
"""
from __future__ import annotations

from typing import Optional

from . import _core

Tensor = _core.Tensor


def _bernoulli(self: Tensor, p: Optional[float] = None, *, generator: Optional[_core.Generator] = None) -> Tensor:
    """0/1 samples shaped like self: with probability self[i], or p when given."""
    return _core.bernoulli(self, p, generator=generator)


setattr(Tensor, "bernoulli", _bernoulli)  # noqa: B010  (declared in _core.pyi)
