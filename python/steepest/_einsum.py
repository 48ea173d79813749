"""st.einsum: torch.einsum's equations ('bhqd,bhkd->bhqk', 'ij,jk', 'i,i->', '...ij,...jk')
for one or two operands, lowered onto the core's differentiable sum, permute, reshape and
matmul: indices only one operand has and the output lacks are summed first, then the two
operands become (batch, left, contracted) @ (batch, contracted, right) and the result is
permuted into the output's order. Repeated indices within one operand (diagonals) and more
than two operands are refused."""
from __future__ import annotations

import string
from typing import Any

from . import _core

Tensor = _core.Tensor
_LETTERS = set(string.ascii_letters)


def _parse(equation: str, operands: tuple) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum(): the equation has {len(terms)} operands but {len(operands)} tensors were given")
    # '...' becomes fresh upper-case-free letters, right-aligned like broadcasting dims
    used = set(eq) & _LETTERS
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    ell_dims = max((t.dim() - len(term.replace("...", "")) for term, t in zip(terms, operands) if "..." in term),
                   default=0)
    ell = "".join(spare[:ell_dims])
    fixed = []
    for term, t in zip(terms, operands):
        if "..." in term:
            n = t.dim() - len(term.replace("...", ""))
            term = term.replace("...", ell[len(ell) - n:] if n else "")
        if not set(term) <= _LETTERS:
            raise ValueError(f"einsum(): invalid subscript in {equation!r} (letters, ',', '->' and '...' only)")
        if len(term) != t.dim():
            raise ValueError(f"einsum(): the subscript {term!r} has {len(term)} indices but its operand has "
                             f"{t.dim()} dimensions")
        if len(set(term)) != len(term):
            raise NotImplementedError(f"einsum(): repeated indices within one operand ({term!r}) are not supported")
        fixed.append(term)
    if arrow:
        out = out.replace("...", ell)
        if not set(out) <= set("".join(fixed)):
            raise ValueError(f"einsum(): output index in {out!r} does not appear in the inputs")
        if len(set(out)) != len(out):
            raise ValueError(f"einsum(): output subscript {out!r} repeats an index")
    else:  # implicit output: ellipsis dims, then the indices seen once, alphabetically
        counts: dict[str, int] = {}
        for term in fixed:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return fixed, out


def _sum_out(t: Tensor, term: str, keep: set) -> tuple[Tensor, str]:
    """Sums away the indices of `term` not in keep."""
    drop = [i for i, c in enumerate(term) if c not in keep]
    if drop:
        t = t.sum(drop)
        term = "".join(c for c in term if c in keep)
    return t, term


def _to_order(t: Tensor, term: str, order: str) -> Tensor:
    return t.permute([term.index(c) for c in order]) if term != order else t


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums of products of the operands' elements over the indices an equation names."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not 1 <= len(operands) <= 2:
        raise NotImplementedError(f"einsum(): {len(operands)} operands; steepest supports one or two")
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operands must be steepest Tensors, got {type(t).__module__}.{type(t).__name__}")
    terms, out = _parse(equation, operands)
    if len(operands) == 1:
        t, term = _sum_out(operands[0], terms[0], set(out))
        return _to_order(t, term, out)
    a, b = operands
    ta, tb = terms
    a, ta = _sum_out(a, ta, set(tb) | set(out))
    b, tb = _sum_out(b, tb, set(ta) | set(out))
    size: dict[str, int] = {}
    pairs: list[tuple[Tensor, str]] = [(a, ta), (b, tb)]
    for t, term in pairs:
        for c, n in zip(term, t.shape):
            if c not in size or size[c] == 1:
                size[c] = n
            elif n not in (1, size[c]):
                raise ValueError(f"einsum(): index {c!r} has size {size[c]} in one operand and {n} in the other")
    batch = [c for c in out if c in ta and c in tb]
    left = [c for c in out if c in ta and c not in tb]
    right = [c for c in out if c in tb and c not in ta]
    contract = [c for c in ta if c in tb and c not in out]

    def prod(cs):
        p = 1
        for c in cs:
            p *= size[c]
        return p

    def as_matrix(t, term, rows, cols):
        t = _to_order(t, term, "".join(batch + rows + cols))
        t = t.expand([size[c] for c in batch + rows + cols])  # broadcast size-1 dims of batch indices
        return t.reshape([prod(batch), prod(rows), prod(cols)])

    am = as_matrix(a, ta, left, contract)
    bm = as_matrix(b, tb, contract, right)
    r = am.matmul(bm).reshape([size[c] for c in batch + left + right])
    return _to_order(r, "".join(batch + left + right), out)
