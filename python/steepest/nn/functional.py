"""st.nn.functional: torch's functional API. Each function checks its arguments here (clear
ValueError/TypeError naming the argument and shapes) and then calls its math: one fused C++ kernel
per function (_fused.py), or the core op itself for relu/sigmoid/tanh."""
from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional, TypeVar, Union, cast

from .. import _core
from . import _fused as _impl
from ._inplace import write_into

Tensor = _core.Tensor
_REDUCTIONS = ("none", "mean", "sum")
_INDEX_DTYPES = (_core.int64, _core.int32)
_F = TypeVar("_F", bound=Callable[..., Tensor])


# ---- shared checks ------------------------------------------------------------------------------

def _fast_path(fast: Callable[..., Tensor]) -> Callable[[_F], _F]:
    """Runs the C++ kernel straight away (it validates its arguments too); only when it raises
    do the Python checks below run, to report the problem with torch's message. Keeps the
    per-call cost of hot functions (linear, cross_entropy, layer_norm) at one C++ call."""
    def deco(checked: _F) -> _F:
        @functools.wraps(checked)
        def f(*args: Any, **kwargs: Any) -> Tensor:
            try:
                return fast(*args, **kwargs)
            except (TypeError, ValueError, IndexError, RuntimeError):
                return checked(*args, **kwargs)
        return cast(_F, f)
    return deco


def _linear_fast(input, weight, bias=None):
    return _core._nn_linear(input, weight, bias)


def _layer_norm_fast(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return _core._nn_layer_norm(input, normalized_shape, weight, bias, eps)


def _cross_entropy_fast(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                        reduction="mean", label_smoothing=0.0):
    if size_average is not None or reduce is not None:
        raise TypeError("legacy arguments: take the checked path")
    return _core._nn_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)

def _shape(t):
    return tuple(t.shape)


def _check_tensor(fn, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _check_float(fn, name, x):
    _check_tensor(fn, name, x)
    if not x.is_floating_point():
        raise TypeError(f"{fn}(): argument '{name}' must be a floating-point tensor, got {x.dtype}")


def _check_optional_tensor(fn, name, x):
    if x is not None:
        _check_tensor(fn, name, x)


def _reduction(fn, reduction, size_average=None, reduce=None):
    """torch's legacy size_average/reduce pair, when given, overrides `reduction`."""
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else size_average
        rd = True if reduce is None else reduce
        reduction = "none" if not rd else ("mean" if sa else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}(): {reduction!r} is not a valid value for reduction "
                         "(expected 'none', 'mean' or 'sum')")
    return reduction


def _check_prob(fn, name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"{fn}(): {name} must be a number, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}(): {name} has to be between 0 and 1, but got {p}")


def _check_dim(fn, x, dim):
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{fn}(): dim must be an int, got {type(dim).__name__}")
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{fn}(): dim {dim} is out of range for a tensor with {x.ndim} dimensions "
                         f"(expected to be in range of [{-n}, {n - 1}])")


def _broadcast_target(fn, x, y):
    if _shape(x) != _shape(y):
        warnings.warn(f"{fn}(): using a target size ({_shape(y)}) that is different to the input size "
                      f"({_shape(x)}); this will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


# ---- activations -------------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    _check_tensor("relu", "input", input)
    return input.relu_() if inplace else _impl.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    _check_tensor("sigmoid", "input", input)
    return _impl.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    _check_tensor("tanh", "input", input)
    return _impl.tanh(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    _check_float("silu", "input", input)
    return write_into(input, _impl.silu) if inplace else _impl.silu(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (approximate='none', exact through erf) or its tanh approximation."""
    _check_float("gelu", "input", input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return _impl.gelu(input, approximate)


def _softmax_dim(fn, x, dim):
    if dim is None:  # torch's legacy implicit choice
        warnings.warn(f"Implicit dimension choice for {fn} has been deprecated. Change the call to "
                      "include dim=X as an argument.", UserWarning, stacklevel=3)
        return 0 if x.ndim in (0, 1, 3) else 1
    _check_dim(fn, x, dim)
    return dim


def _softmax_input(fn, input, dim, dtype):
    _check_tensor(fn, "input", input)
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        raise TypeError(f"{fn}(): expected a floating-point input (or dtype=), got {input.dtype}")
    return input, _softmax_dim(fn, input, dim)


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
            dtype: Optional[_core.dtype] = None) -> Tensor:
    input, dim = _softmax_input("softmax", input, dim, dtype)
    if input.ndim == 0:
        return _impl.softmax(input.reshape(1), 0).reshape(())
    return _impl.softmax(input, dim)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
                dtype: Optional[_core.dtype] = None) -> Tensor:
    input, dim = _softmax_input("log_softmax", input, dim, dtype)
    if input.ndim == 0:
        return _impl.log_softmax(input.reshape(1), 0).reshape(())
    return _impl.log_softmax(input, dim)


# ---- layers --------------------------------------------------------------------------------------
@_fast_path(_linear_fast)
def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """input @ weight.T + bias; weight is (out_features, in_features) (or (in_features,))."""
    _check_tensor("linear", "input", input)
    _check_tensor("linear", "weight", weight)
    _check_optional_tensor("linear", "bias", bias)
    if weight.ndim not in (1, 2):
        raise ValueError(f"linear(): weight must be 1-D or 2-D, got shape {_shape(weight)}")
    if input.ndim == 0:
        raise ValueError("linear(): input must have at least 1 dimension, got a 0-d tensor")
    if input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear(): input's last dimension ({input.shape[-1]}, input shape "
                         f"{_shape(input)}) must equal weight's in_features ({weight.shape[-1]}, "
                         f"weight shape {_shape(weight)})")
    if bias is not None:
        out_features = weight.shape[0] if weight.ndim == 2 else 1
        if bias.ndim > 1 or (bias.ndim == 1 and bias.shape[0] not in (out_features, 1)):
            raise ValueError(f"linear(): bias shape {_shape(bias)} doesn't match out_features "
                             f"{out_features} (weight shape {_shape(weight)})")
    if input.dtype != weight.dtype:
        raise TypeError(f"linear(): input ({input.dtype}) and weight ({weight.dtype}) must have "
                        "the same dtype")
    return _impl.linear(input, weight, bias)


@_fast_path(_layer_norm_fast)
def layer_norm(input: Tensor, normalized_shape: Union[int, Sequence[int]], weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-5) -> Tensor:
    """Normalises over the trailing dims `normalized_shape` (biased variance), then scales
    by weight and shifts by bias (both of shape normalized_shape, optional)."""
    _check_float("layer_norm", "input", input)
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0:
        raise ValueError("layer_norm(): normalized_shape must have at least one dimension")
    if input.ndim < k or _shape(input)[input.ndim - k:] != normalized_shape:
        raise ValueError(f"layer_norm(): given normalized_shape={list(normalized_shape)}, expected "
                         f"input with shape [*, {', '.join(map(str, normalized_shape))}], but got "
                         f"input of size {_shape(input)}")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_optional_tensor("layer_norm", name, t)
        if t is not None and _shape(t) != normalized_shape:
            raise ValueError(f"layer_norm(): expected {name} of shape {normalized_shape}, got "
                             f"{_shape(t)}")
    if not eps >= 0:
        raise ValueError(f"layer_norm(): eps must be non-negative, got {eps}")
    return _impl.layer_norm(input, k, weight, bias, float(eps))


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) picked by integer `input`; output shape
    input.shape + (embedding_dim,). padding_idx only matters for the gradient (its row gets
    none), which the autograd kernel implements."""
    _check_tensor("embedding", "input", input)
    _check_tensor("embedding", "weight", weight)
    if input.dtype not in _INDEX_DTYPES:
        raise TypeError(f"embedding(): expected input (indices) of dtype int64 or int32, got "
                        f"{input.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding(): weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {_shape(weight)}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding(): padding_idx {padding_idx} must be within num_embeddings "
                             f"({n})")
    if max_norm is not None:
        raise NotImplementedError("embedding(): max_norm is not supported yet")
    if sparse:
        raise NotImplementedError("embedding(): sparse gradients are not supported")
    if input.numel():
        lo, hi = int(input.amin()), int(input.amax())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise IndexError(f"embedding(): index {bad} is out of range for num_embeddings={n}")
    return _impl.embedding(input, weight, padding_idx)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability p (drawn from st's default generator, so
    st.manual_seed makes it repeatable) and scales the rest by 1/(1-p); identity when not
    training or p == 0."""
    _check_float("dropout", "input", input)
    _check_prob("dropout", "dropout probability", p)
    if not training or p == 0:
        return input
    return _impl.dropout(input, float(p), inplace)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor] = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value over the last two dims. query
    (..., L, E), key (..., S, E), value (..., S, Ev). attn_mask: bool (True = may attend)
    or float (added), broadcastable to (..., L, S). is_causal: query i sees keys j <= i."""
    fn = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_float(fn, name, t)
        if t.ndim < 2:
            raise ValueError(f"{fn}(): {name} must have at least 2 dimensions, got shape {_shape(t)}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"{fn}(): query's last dimension ({_shape(query)}) must equal key's "
                         f"({_shape(key)})")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{fn}(): key {_shape(key)} and value {_shape(value)} must have the same "
                         "sequence length (dim -2)")
    if enable_gqa and query.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise ValueError(f"{fn}(): with enable_gqa, query heads ({hq}) must be a multiple of key "
                             f"heads ({hk}), and key and value heads must match ({hv})")
    _check_prob(fn, "dropout_p", dropout_p)
    if attn_mask is not None:
        if is_causal:
            raise ValueError(f"{fn}(): explicit attn_mask should not be set when is_causal=True")
        _check_tensor(fn, "attn_mask", attn_mask)
        if attn_mask.dtype != _core.bool and not attn_mask.is_floating_point():
            raise TypeError(f"{fn}(): attn_mask must be bool or floating point, got {attn_mask.dtype}")
        L, S = query.shape[-2], key.shape[-2]
        m = _shape(attn_mask)
        if len(m) < 2 or m[-2] not in (1, L) or m[-1] not in (1, S):
            raise ValueError(f"{fn}(): attn_mask of shape {m} is not broadcastable to (..., {L}, {S})")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
        raise TypeError(f"{fn}(): scale must be a float or None, got {type(scale).__name__}")
    return _impl.scaled_dot_product_attention(query, key, value, attn_mask, float(dropout_p),
                                              bool(is_causal), scale, bool(enable_gqa))


# ---- losses --------------------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
             reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    _check_float("mse_loss", "input", input)
    _check_tensor("mse_loss", "target", target)
    _check_optional_tensor("mse_loss", "weight", weight)
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    _broadcast_target("mse_loss", input, target)
    return _impl.mse_loss(input, target, reduction, weight)


def l1_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
            reduction: str = "mean", weight: Optional[Tensor] = None) -> Tensor:
    _check_float("l1_loss", "input", input)
    _check_tensor("l1_loss", "target", target)
    _check_optional_tensor("l1_loss", "weight", weight)
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    _broadcast_target("l1_loss", input, target)
    return _impl.l1_loss(input, target, reduction, weight)


def _check_class_weight(fn, weight, C):
    if weight is not None:
        _check_tensor(fn, "weight", weight)
        if _shape(weight) != (C,):
            raise ValueError(f"{fn}(): weight must be a 1-D tensor of size {C} (one per class), "
                             f"got shape {_shape(weight)}")


def _check_index_target(fn, input, target, ignore_index):
    """Class-index targets: integer, shaped like input without its class dim, in [0, C)."""
    if target.dtype not in _INDEX_DTYPES:
        raise TypeError(f"{fn}(): expected target of class indices (int64 or int32) or, for "
                        f"cross_entropy, class probabilities (float), got {target.dtype}")
    shape = _shape(input)
    expected = () if input.ndim == 1 else shape[:1] + shape[2:]
    if _shape(target) != expected:
        if input.ndim >= 2 and (target.ndim == 0 or target.shape[0] != shape[0]):
            raise ValueError(f"{fn}(): expected input batch_size ({shape[0]}) to match target "
                             f"batch_size ({target.shape[0] if target.ndim else '()'})")
        raise ValueError(f"{fn}(): expected target size {expected}, got {_shape(target)} (input "
                         f"shape {shape})")
    if target.numel():
        C = shape[0] if input.ndim == 1 else shape[1]
        t = target.to(_core.int64)
        valid = t != ignore_index
        lo = int(_core.where(valid, t, _core.zeros_like(t)).amin())
        hi = int(_core.where(valid, t, _core.zeros_like(t)).amax())
        if lo < 0 or hi >= C:
            raise IndexError(f"{fn}(): target {lo if lo < 0 else hi} is out of bounds for {C} "
                             f"classes (and is not ignore_index={ignore_index})")


def _check_class_input(fn, input):
    _check_float(fn, "input", input)
    if input.ndim < 1:
        raise ValueError(f"{fn}(): input must have at least 1 dimension (classes), got a 0-d tensor")
    return input.shape[0] if input.ndim == 1 else input.shape[1]


def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
             ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (times weight[target[n]]), averaged over the weights of the
    non-ignored targets for reduction='mean'. input holds log-probabilities, class dim 1."""
    C = _check_class_input("nll_loss", input)
    _check_tensor("nll_loss", "target", target)
    _check_class_weight("nll_loss", weight, C)
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    _check_index_target("nll_loss", input, target, ignore_index)
    return _impl.nll_loss(input, target.to(_core.int64), weight, int(ignore_index), reduction)


@_fast_path(_cross_entropy_fast)
def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                  ignore_index: int = -100, reduce: Optional[bool] = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over dim 1 (dim 0 for unbatched input) followed by the negative
    log-likelihood of `target`: class indices (int) or class probabilities (float, same
    shape as input). label_smoothing mixes the target with the uniform distribution."""
    C = _check_class_input("cross_entropy", input)
    _check_tensor("cross_entropy", "target", target)
    _check_class_weight("cross_entropy", weight, C)
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    _check_prob("cross_entropy", "label_smoothing", label_smoothing)
    if target.is_floating_point():
        if _shape(target) != _shape(input):
            raise ValueError(f"cross_entropy(): class-probability target must have the input's shape "
                             f"{_shape(input)}, got {_shape(target)}")
        return _impl.cross_entropy(input, target, weight, int(ignore_index), reduction,
                                   float(label_smoothing))
    _check_index_target("cross_entropy", input, target, ignore_index)
    return _impl.cross_entropy(input, target.to(_core.int64), weight, int(ignore_index), reduction,
                               float(label_smoothing))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                     size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                     reduction: str = "mean", pos_weight: Optional[Tensor] = None) -> Tensor:
    """-[pos_weight * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))], computed from the
    logits without overflow."""
    fn = "binary_cross_entropy_with_logits"
    _check_float(fn, "input", input)
    _check_tensor(fn, "target", target)
    reduction = _reduction(fn, reduction, size_average, reduce)
    if _shape(target) != _shape(input):
        raise ValueError(f"{fn}(): target size {_shape(target)} must be the same as input size "
                         f"{_shape(input)}")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        _check_optional_tensor(fn, name, t)
        if t is not None:
            try:
                _core.broadcast_to(t, _shape(input))
            except (ValueError, RuntimeError):
                raise ValueError(f"{fn}(): {name} of shape {_shape(t)} is not broadcastable to the "
                                 f"input's shape {_shape(input)}") from None
    return _impl.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


# ---- more of torch's functional API, one family per file ---------------------------------------
# multi-head attention's glue around scaled_dot_product_attention (nn/_attention.py)
from ._attention import multi_head_attention_forward  # noqa: E402,F401
from ._batch_norm import batch_norm  # noqa: E402,F401  (fused kernel; its own file)

# ---- convolution and pooling (nn/_conv_functional.py) ----------------------------------------------
from ._conv_functional import (  # noqa: E402,F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    unfold,
)
from ._f_activation import (  # noqa: E402,F401
    celu,
    elu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    softplus,
    softsign,
    tanhshrink,
)
from ._f_ctc import ctc_loss  # noqa: E402,F401
from ._f_distance import bilinear, cosine_similarity, normalize, pairwise_distance  # noqa: E402,F401
from ._f_loss import (  # noqa: E402,F401
    binary_cross_entropy,
    cosine_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)
from ._f_norm import group_norm, rms_norm  # noqa: E402,F401
from ._f_shape import interpolate, one_hot, pad, pixel_shuffle, pixel_unshuffle  # noqa: E402,F401
