"""st.nn.utils: torch.nn.utils' gradient clipping (clip_grad_norm_, clip_grad_value_,
get_total_norm, clip_grads_with_norm_; fused multi-tensor C++ passes, see optim/clip.py) and
the flat-vector helpers parameters_to_vector / vector_to_parameters."""
from __future__ import annotations

import warnings
from typing import Optional

from .. import _core
from .._typing import Tensor, TensorOrTensors
from ..optim.clip import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm  # noqa: F401


def clip_grad_norm(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Deprecated alias of clip_grad_norm_ (as torch's)."""
    warnings.warn("nn.utils.clip_grad_norm is now deprecated in favor of nn.utils.clip_grad_norm_.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def _param_list(parameters, what):
    if isinstance(parameters, _core.Tensor):
        return [parameters]
    params = list(parameters)
    for p in params:
        if not isinstance(p, _core.Tensor):
            raise TypeError(f"{what}: expected an iterable of tensors, got an element of type {type(p).__name__}")
    return params


def parameters_to_vector(parameters: TensorOrTensors) -> Tensor:
    """All parameters flattened and concatenated into one new 1-D tensor (records autograd)."""
    params = _param_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: expected at least one parameter")
    return _core.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: TensorOrTensors) -> None:
    """Copies consecutive slices of the 1-D tensor `vec` into the parameters, in place (torch
    instead re-points each param's .data at a slice of vec; here the params keep their own
    storage, so e.g. a flat arena stays intact)."""
    if not isinstance(vec, _core.Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got {type(vec).__name__}")
    if vec.dim() != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = _param_list(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements, the parameters {total}")
    from ..autograd import no_grad
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(vec[offset:offset + n].reshape(list(p.shape)))
            offset += n


# st.nn.utils.rnn (pad_sequence, pack_padded_sequence, ...): importable by that dotted name too.
import sys as _sys  # noqa: E402

from . import _rnn_utils as rnn  # noqa: E402

_sys.modules[__name__ + ".rnn"] = rnn
