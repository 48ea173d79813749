"""Deterministic algorithms: torch's switch, with what it guarantees here.

Always (switch on or off): reductions (sum, mean, var, std, norms), softmax, log_softmax,
cross-entropy, layer norm and gradient norms add their terms in a fixed association, so their
results do not depend on the thread count or the CPU's instruction set (scalar, AVX2,
AVX-512). Elementwise math is computed by one algorithm on every instruction set.

With ``use_deterministic_algorithms(True)``, matrix products (matmul, linear, and their
backward) also do: every output element is one chain of fused multiply-adds over k in order,
so a whole training run gives the same bits on 1 or 64 threads and on any of those CPUs.
It costs speed (an in-house GEMM instead of OpenBLAS; bench/determinism.py measures it).
"""

from __future__ import annotations

from . import _core

_warn_only = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Turn deterministic matrix products on or off for the whole process.

    ``warn_only`` is accepted for torch compatibility: every CPU operation in steepest has a
    deterministic form under this switch, so there is nothing to warn about or refuse.
    """
    global _warn_only
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms: mode must be a bool, got {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms: warn_only must be a bool, got {type(warn_only).__name__}")
    _core._set_deterministic(mode)
    _warn_only = warn_only if mode else False


def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) is in effect."""
    return _core._deterministic()


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether it was turned on with warn_only=True."""
    return _warn_only and _core._deterministic()
