"""The convolutional model of `steepest train digits --model cnn`: a small ResNet over the
8x8 digits (a conv stem, residual blocks of two 3x3 convolutions with batch norm, a strided
block that halves the image and doubles the channels, global average pooling, a linear head),
and its optimizer recipe: SGD with Nesterov momentum and weight decay under a one-cycle rate."""
from __future__ import annotations

from typing import Any

from .. import _core, nn, optim
from ..nn import functional as F


class ResidualBlock(nn.Module):
    """relu(x + bn(conv(relu(bn(conv(x)))))): the identity path carries the signal and the
    gradient through depth. When the block changes the shape (stride 2, more channels), the
    skip path is a strided 1x1 convolution with batch norm instead of the identity."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, residual: bool = True) -> None:
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if residual and (stride != 1 or c_in != c_out):
            self.skip: nn.Module = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                                 nn.BatchNorm2d(c_out))
        else:
            self.skip = nn.Identity()

    def forward(self, x: _core.Tensor) -> _core.Tensor:
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(h + self.skip(x)) if self.residual else F.relu(h)


class DigitsResNet(nn.Module):
    """(N, 64) pixels (or (N, 1, 8, 8) images) -> (N, 10) logits. `blocks` residual blocks at
    8x8 with `width` channels, then as many at 4x4 with 2 * width (the first one strided).
    residual=False builds the same depth without skip connections (the plain net)."""

    def __init__(self, width: int = 16, blocks: int = 1, n_classes: int = 10, residual: bool = True) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        layers: list[nn.Module] = []
        for _ in range(blocks):
            layers.append(ResidualBlock(width, width, residual=residual))
        for i in range(blocks):
            layers.append(ResidualBlock(width if i == 0 else 2 * width, 2 * width, stride=2 if i == 0 else 1,
                                        residual=residual))
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(2 * width, n_classes)

    def forward(self, x: _core.Tensor) -> _core.Tensor:
        if x.ndim == 2:
            x = x.reshape(x.shape[0], 1, 8, 8)
        h = self.layers(self.stem(x))
        return self.head(F.adaptive_avg_pool2d(h, 1).flatten(1))


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on the conv and linear weights only: decaying batch norm's scales and the
    biases only fights the normalization."""
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    rest = [p for n, p in model.named_parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def one_cycle(optimizer: Any, total_steps: int) -> Any:
    """OneCycleLR peaking at the optimizer's lr after 25% of the steps, annealing by cosine to
    lr / 1000. Momentum (or Adam's beta1) cycles 0.95 -> 0.85 -> 0.95 against the rate, except
    for SGD without momentum, which it would otherwise turn into momentum SGD."""
    peak = [g["lr"] for g in optimizer.param_groups]
    plain = any(g.get("momentum", None) == 0 for g in optimizer.param_groups)
    return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak, total_steps=max(total_steps, 1), pct_start=0.25,
                                         div_factor=25.0, final_div_factor=40.0, cycle_momentum=not plain)
