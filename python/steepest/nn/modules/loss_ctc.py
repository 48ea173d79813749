"""nn.CTCLoss: the module form of F.ctc_loss, with torch's constructor arguments."""
from __future__ import annotations

from ..._typing import Tensor
from .._f_ctc import Lengths, ctc_loss
from .loss import _Loss


class CTCLoss(_Loss):
    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Lengths, target_lengths: Lengths) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)
