"""st.backends: torch.backends' switches that scripts set at start-up. They are plain flags
here: steepest's CPU kernels have no TF32 or cuDNN, so setting them changes no CPU result
(cuda.matmul.allow_tf32 is the one that reaches the core: CUDA float32 products use TF32).
cudnn.deterministic = True asks for reproducible convolutions; steepest's CPU results are
already reproducible run to run, and st.use_deterministic_algorithms(True) is the switch that
makes matrix products bit-identical across machines (see README)."""
from __future__ import annotations

from types import SimpleNamespace

from .. import cuda as _cuda


class _Flags(SimpleNamespace):
    """A namespace of flags that scripts assign to; assignment is accepted and recorded."""


class _Cudnn(_Flags):
    def is_available(self) -> bool:
        return False

    def version(self) -> None:
        return None


class _Mps(_Flags):
    def is_available(self) -> bool:
        return False

    def is_built(self) -> bool:
        return False


class _CudaMatmul(_Flags):
    """backends.cuda.matmul: allow_tf32 is a view of the core's float32 matmul precision
    (True means 'high', False 'highest', as in torch); the reduced-precision-reduction flags
    are recorded (cuBLAS's default for 16-bit products already accumulates in float32)."""

    @property
    def allow_tf32(self) -> bool:
        from .. import _core
        return _core._float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, on: bool) -> None:
        from .. import _core
        _core._set_float32_matmul_precision("high" if on else "highest")


class _CudaBackend(_Flags):
    def is_built(self) -> bool:
        return _cuda.is_available()


class _Cpu(_Flags):
    def get_cpu_capability(self) -> str:
        from .. import _core
        return str(_core.current_isa()).upper()


cuda = _CudaBackend(matmul=_CudaMatmul(allow_fp16_reduced_precision_reduction=True,
                                       allow_bf16_reduced_precision_reduction=True))
cudnn = _Cudnn(enabled=True, allow_tf32=True, benchmark=False, deterministic=False)
mps = _Mps()
cpu = _Cpu()
