"""BatchNorm1d, BatchNorm2d and BatchNorm3d: per-channel normalization with batch statistics in training
and running statistics (buffers running_mean, running_var, num_batches_tracked) in eval, as
torch's; the math is F.batch_norm's fused kernel."""
from __future__ import annotations

from typing import Optional

from ... import _core
from ..._typing import DeviceLike, Tensor
from .. import init
from .._batch_norm import batch_norm
from ..module import Module
from .linear import _factory
from .normalization import add_affine


class _BatchNorm(Module):
    """The shared body; subclasses say which input ranks they take."""

    _dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Optional[DeviceLike] = None,
                 dtype: Optional[_core.dtype] = None, *, bias: bool = True) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dt = _factory(device, dtype)
        add_affine(self, (num_features,), affine, bias, dt)
        if track_running_stats:
            self.register_buffer("running_mean", _core.zeros((num_features,), dtype=dt))
            self.register_buffer("running_var", _core.ones((num_features,), dtype=dt))
            self.register_buffer("num_batches_tracked", _core.zeros((), dtype=_core.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if not isinstance(input, _core.Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{type(self).__name__}: expected {want} input (got {input.ndim}D input of shape "
                             f"{tuple(input.shape)})")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average: batch k weighs 1/k
                factor = 1.0 / float(self.num_batches_tracked.item())
        # Eval uses the running statistics, unless there are none (track_running_stats=False).
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                          self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Over (N, C) or (N, C, L) input: each of the C channels normalized over N (and L)."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Over (N, C, H, W) input: each of the C channels normalized over N, H and W."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Over (N, C, D, H, W) input: each of the C channels normalized over N, D, H and W."""

    _dims = (5,)
