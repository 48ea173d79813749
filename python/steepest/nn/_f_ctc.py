"""F.ctc_loss, torch's connectionist temporal classification loss. The core checks every
argument and computes the loss and its gradient (cpp/src/nn/ctc_loss.cpp)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from .. import _core

Tensor = _core.Tensor
# Lengths: integer tensors, or sequences of ints (a lone int for unbatched input).
Lengths = Union[Tensor, int, Sequence[int]]


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Lengths, target_lengths: Lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """-log p(target | input) summed over every alignment, per sequence. log_probs (T, N, C) or
    unbatched (T, C) holds log-probabilities (a log_softmax over C); targets are labels in
    [0, C) other than `blank`, padded (N, S) or concatenated (sum(target_lengths),). 'mean'
    divides each loss by its target length (at least 1), then averages over the batch.
    zero_infinity zeroes the infinite losses (no alignment fits) and their gradients. As in
    torch, the gradient is taken with respect to the logits of that log_softmax."""
    for name, t in (("log_probs", log_probs), ("targets", targets)):
        if not isinstance(t, Tensor):
            raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise TypeError(f"ctc_loss(): argument 'blank' must be an int, not {type(blank).__name__}")
    return _core._nn_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                              bool(zero_infinity))
