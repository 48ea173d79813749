"""st.backends: torch.backends' switches that scripts set at start-up. They are plain flags
here: steepest's CPU kernels have no TF32 or cuDNN, so setting them changes no result.
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


class _CudaBackend(_Flags):
    def is_built(self) -> bool:
        return _cuda.is_available()


class _Cpu(_Flags):
    def get_cpu_capability(self) -> str:
        from .. import _core
        return str(_core.current_isa()).upper()


cuda = _CudaBackend(matmul=_Flags(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                  allow_bf16_reduced_precision_reduction=True))
cudnn = _Cudnn(enabled=True, allow_tf32=True, benchmark=False, deterministic=False)
mps = _Mps()
cpu = _Cpu()
