"""steepest: small, fast training by gradient descent.

A C++17 core (tensors, autodiff, fused optimizers) with a PyTorch-shaped Python API:
most code moves between the two by changing an import.
"""
from . import _core
from ._core import *  # noqa: F401,F403  (tensors, dtypes, ops: the bound C++ API)
from ._core import Tensor, dtype, device  # noqa: F401
from ._tensor import tensor, as_tensor, show_config, cmake_dir  # noqa: F401
from . import _tensor_methods  # noqa: F401  (adds Python conveniences to Tensor)
from . import _pickle  # noqa: F401  (pickle and copy.deepcopy of tensors)
from ._tensor_surface import erf, is_complex, numel  # noqa: F401
from ._pointwise_extras import (  # noqa: F401
    addcdiv, addcmul, all, allclose, any, clamp_max, clamp_min, equal, frac, isclose, isfinite, isinf,
    isnan, lerp, square,
)
from ._shape_extras import (  # noqa: F401
    diag, diagonal, flip, outer, repeat_interleave, roll, tile, trace, tril, tril_indices, triu, triu_indices,
)
from ._reduce_extras import logsumexp, norm  # noqa: F401
from ._einsum import einsum  # noqa: F401
from ._count_extras import masked_scatter, unique, unique_consecutive  # noqa: F401
from . import _sampling  # noqa: F401  (Tensor.bernoulli)
from ._foreach import *  # noqa: F401,F403  (st._foreach_add_, _foreach_lerp_, ...)
from ._devices import get_default_device, set_default_device  # noqa: F401
from ._memory_format import (  # noqa: F401
    channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format,
)
from ._compile import compile  # noqa: F401  (identity: st.compile(model) is model)
from ._like import clone  # noqa: F401  (torch.clone)
from . import autograd, utils  # noqa: F401
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from .serialization import save, load  # noqa: F401
from ._determinism import (  # noqa: F401
    are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled,
    use_deterministic_algorithms,
)
from ._matmul_precision import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: F401

from . import nn  # noqa: F401  (st.nn: modules, functional, init)
from . import data  # noqa: F401  (st.data: Dataset, DataLoader, random_split)
from . import optim  # noqa: F401  (st.optim: fused optimizers, lr_scheduler, clipping, arena)
from . import amp  # noqa: F401  (st.amp: GradScaler)
from . import train  # noqa: F401  (st.train: fit, evaluate, lr_find, diagnostics, plots)
from . import datasets  # noqa: F401  (st.datasets: the bundled data sets, loaders, text hashing)
from ._softmax_surface import log_softmax, softmax  # noqa: F401  (and the Tensor methods)
from . import distributed  # noqa: F401  (st.distributed: process groups, collectives on MPI, ZeRO)
from . import cuda, accelerator, backends, onnx, linalg  # noqa: F401  (torch's device and export namespaces)
from ._core import _scaled_mm  # noqa: F401  (FP8 scaled matrix product, as torch._scaled_mm)

__version__ = _core.build_info()["version"]
from . import cpu  # noqa: F401,E402  (st.cpu.amp.autocast)
from .amp.autocast_mode import (  # noqa: F401,E402  (torch's top-level autocast names)
    autocast, autocast_decrement_nesting, autocast_increment_nesting, clear_autocast_cache, get_autocast_cpu_dtype,
    get_autocast_dtype, get_autocast_gpu_dtype, is_autocast_cache_enabled, is_autocast_cpu_enabled,
    is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled,
)
