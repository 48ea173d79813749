"""The math of st.nn.functional: each function forwards to one fused C++ kernel
(steepest._core._nn_*, forward and backward in cpp/src/nn/). functional.py validates the
arguments first; _composite.py keeps the compositions the kernels are tested against."""
import numpy as _np

from .. import _core
from ._composite import _repeat_heads, relu, sigmoid, tanh  # noqa: F401  (core ops already)
from ._inplace import write_into


def silu(x):
    return _core._nn_silu(x)


def gelu(x, approximate):
    return _core._nn_gelu(x, approximate)


def softmax(x, dim):
    return _core._nn_softmax(x, dim)


def log_softmax(x, dim):
    return _core._nn_log_softmax(x, dim)


def linear(x, weight, bias):
    return _core._nn_linear(x, weight, bias)


def layer_norm(x, ndims, weight, bias, eps):
    return _core._nn_layer_norm(x, tuple(x.shape[x.ndim - ndims:]), weight, bias, eps)


def embedding(indices, weight, padding_idx=None):
    return _core._nn_embedding(indices, weight, padding_idx)


def dropout(x, p, inplace, generator=None):
    if inplace:
        return write_into(x, lambda t: _core._nn_dropout(t, p, True, generator))
    return _core._nn_dropout(x, p, True, generator)


def scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k, v = _repeat_heads(k, rep), _repeat_heads(v, rep)
    return _core._nn_scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)


def _same_shape(x: _core.Tensor, y: _core.Tensor) -> tuple[_core.Tensor, _core.Tensor]:
    """Broadcasts x and y against each other (functional.py has warned, as torch does)."""
    if x.shape == y.shape:
        return x, y
    shape = _np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
    return x.expand(shape), y.expand(shape)


def mse_loss(x, y, reduction, weight):
    if weight is not None:
        from . import _composite
        return _composite.mse_loss(x, y, reduction, weight)
    return _core._nn_mse_loss(*_same_shape(x, y), reduction)


def l1_loss(x, y, reduction, weight):
    if weight is not None:
        from . import _composite
        return _composite.l1_loss(x, y, reduction, weight)
    return _core._nn_l1_loss(*_same_shape(x, y), reduction)


def nll_loss(logp, target, weight, ignore_index, reduction):
    return _core._nn_nll_loss(logp, target, weight, ignore_index, reduction)


def cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing):
    return _core._nn_cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing)


def binary_cross_entropy_with_logits(x, y, weight, pos_weight, reduction):
    return _core._nn_binary_cross_entropy_with_logits(x, y, weight, reduction, pos_weight)

