"""The construction-time check that every rank holds the same model: names, shapes, dtypes of
parameters and buffers gathered from every rank and compared with rank 0's, so a mismatch is a
clear error on every rank instead of a hang or silently averaged garbage."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ... import distributed as dist

Entry = Tuple[str, str, Tuple[int, ...], str, bool]


def describe(module: Any) -> List[Entry]:
    """(kind, name, shape, dtype, requires_grad) of every parameter, then every buffer."""
    out: List[Entry] = [("parameter", n, tuple(p.shape), p.dtype.name, bool(p.requires_grad))
                        for n, p in module.named_parameters()]
    out += [("buffer", n, tuple(b.shape), b.dtype.name, False) for n, b in module.named_buffers()]
    return out


def first_mismatch(ref: List[Entry], other: List[Entry]) -> Optional[str]:
    """What first differs between rank 0's description and another rank's, in words."""
    for i, (a, b) in enumerate(zip(ref, other)):
        if a[:2] != b[:2]:
            return f"entry #{i} is {a[0]} {a[1]!r} on rank 0 but {b[0]} {b[1]!r} on rank {{rank}}"
        for i, what in ((2, "shape"), (3, "dtype"), (4, "requires_grad")):
            if a[i] != b[i]:
                return f"{a[0]} {a[1]!r} has {what} {a[i]} on rank 0 but {b[i]} on rank {{rank}}"
    if len(ref) != len(other):
        longer, r = (ref, "0") if len(ref) > len(other) else (other, "{rank}")
        extra = longer[min(len(ref), len(other))]
        return f"{extra[0]} {extra[1]!r} exists only on rank {r} (rank 0 has {len(ref)} entries, rank {{rank}} " \
               f"{len(other)})"
    return None


def check_same_model(module: Any, group: Any) -> None:
    """Raises ValueError on every rank (they all see the same gathered descriptions) naming the
    first difference between rank 0's model and the first rank whose model differs."""
    mine = describe(module)
    every: List[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(every, mine, group=group)
    for rank in range(1, len(every)):
        why = first_mismatch(every[0], every[rank])
        if why is not None:
            raise ValueError("DistributedDataParallel: the model differs across ranks (every rank must build the "
                             f"same model): {why.format(rank=rank)}")
