"""How ZeroRedundancyOptimizer splits parameters among ranks: whole tensors, largest first, each
to the rank holding the fewest elements so far (ties to the lower rank). Whole tensors keep every
rule correct, including those that need a tensor's full norm or shape (LAMB, LARS, Adafactor,
Muon); the balance is within one tensor's size of even."""
from __future__ import annotations

from typing import List, Sequence

from ... import _core


def partition(params: Sequence[_core.Tensor], size: int) -> List[int]:
    """The owning rank of each param (same on every rank: it depends only on the shapes)."""
    load = [0] * size
    owner = [0] * len(params)
    for i in sorted(range(len(params)), key=lambda k: (-params[k].numel(), k)):
        r = min(range(size), key=lambda q: (load[q], q))
        owner[i] = r
        load[r] += params[i].numel()
    return owner
