"""multi_head_attention_forward (torch.nn.functional's signature): the head split, mask merge
and projections around the native scaled_dot_product_attention (or, when the attention
weights are asked for, the same product spelled out so the weights can be returned). Glue over
native ops: each step is one fused op (linear, matmul, softmax, sdpa)."""
from __future__ import annotations

import math
from typing import Optional

from .. import _core
from .._typing import Tensor
from . import functional as F

_FN = "multi_head_attention_forward"


def _float_mask(name: str, mask: Optional[Tensor], dtype: _core.dtype) -> Optional[Tensor]:
    """A bool mask (True = not allowed) as an additive float mask; float masks as they are."""
    if mask is None:
        return None
    if not isinstance(mask, _core.Tensor):
        raise TypeError(f"{_FN}: {name} must be a Tensor or None, but got {type(mask).__name__}")
    if mask.dtype == _core.bool:
        return _core.zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, float("-inf"))
    if not mask.is_floating_point():
        raise TypeError(f"{_FN}: only bool and floating types of {name} are supported, but got {mask.dtype}")
    return mask


def _pad_last(mask: Optional[Tensor]) -> Optional[Tensor]:
    """One more allowed key column (the bias_k / zero-attention key)."""
    if mask is None:
        return None
    return _core.cat([mask, _core.zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype)], -1)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
                                 bias_k: Optional[Tensor], bias_v: Optional[Tensor], add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Optional[Tensor],
                                 training: bool = True, key_padding_mask: Optional[Tensor] = None,
                                 need_weights: bool = True, attn_mask: Optional[Tensor] = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Optional[Tensor] = None,
                                 k_proj_weight: Optional[Tensor] = None, v_proj_weight: Optional[Tensor] = None,
                                 static_k: Optional[Tensor] = None, static_v: Optional[Tensor] = None,
                                 average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple[Tensor, Optional[Tensor]]:
    """Multi-head attention over sequence-first inputs: query (L, N, E), key (S, N, kdim),
    value (S, N, vdim), or unbatched (L, E) / (S, kdim) / (S, vdim). attn_mask (L, S) or
    (N * num_heads, L, S) and key_padding_mask (N, S): bool (True = may not attend) or float
    (added). Returns (output (L, N, E), weights (N, L, S) averaged over heads, (N, num_heads,
    L, S) otherwise, or None when not need_weights)."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, _core.Tensor):
            raise TypeError(f"{_FN}: {name} must be a Tensor, but got {type(t).__name__}")
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{_FN}: static_k/static_v are not supported by steepest")
    batched = query.dim() == 3
    if query.dim() not in (2, 3) or key.dim() != query.dim() or value.dim() != query.dim():
        raise ValueError(f"{_FN}: query, key and value must all be 3-D (batched) or all 2-D (unbatched), but got "
                         f"shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    S = key.shape[0]
    if E != embed_dim_to_check:
        raise ValueError(f"{_FN}: was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    if num_heads <= 0 or E % num_heads:
        raise ValueError(f"{_FN}: embed_dim {E} not divisible by num_heads {num_heads}")
    if tuple(key.shape[:2]) != tuple(value.shape[:2]) or key.shape[1] != N:
        raise ValueError(f"{_FN}: key of shape {tuple(key.shape)} and value of shape {tuple(value.shape)} must share "
                         f"their sequence length, and their batch size with query of shape {tuple(query.shape)}")
    hd = E // num_heads
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{_FN}: use_separate_proj_weight is True but q/k/v_proj_weight is None")
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if in_proj_weight is None:
            raise ValueError(f"{_FN}: use_separate_proj_weight is False but in_proj_weight is None")
        wq, wk, wv = in_proj_weight.chunk(3)
    bq, bk, bv = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
    q = F.linear(query, wq, bq)
    k = F.linear(key, wk, bk)
    v = F.linear(value, wv, bv)
    if is_causal and attn_mask is None:  # torch needs the mask itself here; the hint alone suffices
        attn_mask = _core.full((L, S), float("-inf"), dtype=q.dtype).triu(1)
    mask = _float_mask("attn_mask", attn_mask, q.dtype)
    kpm = _float_mask("key_padding_mask", key_padding_mask, q.dtype)
    if mask is not None:
        if mask.dim() == 2:
            if tuple(mask.shape) != (L, S):
                raise ValueError(f"{_FN}: the shape of the 2D attn_mask is {tuple(mask.shape)}, but should be "
                                 f"{(L, S)}.")
            mask = mask.unsqueeze(0)
        elif mask.dim() == 3:
            if tuple(mask.shape) != (N * num_heads, L, S):
                raise ValueError(f"{_FN}: the shape of the 3D attn_mask is {tuple(mask.shape)}, but should be "
                                 f"{(N * num_heads, L, S)}.")
        else:
            raise ValueError(f"{_FN}: attn_mask's dimension {mask.dim()} is not supported")
    if kpm is not None and tuple(kpm.shape) != (N, S):
        raise ValueError(f"{_FN}: expected key_padding_mask of shape {(N, S)}, but got {tuple(kpm.shape)}")
    if bias_k is not None and bias_v is not None:
        k = _core.cat([k, bias_k.repeat(1, N, 1)])
        v = _core.cat([v, bias_v.repeat(1, N, 1)])
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    elif bias_k is not None or bias_v is not None:
        raise ValueError(f"{_FN}: bias_k and bias_v must both be given or both be None")
    q = q.reshape(L, N * num_heads, hd).transpose(0, 1)
    k = k.reshape(k.shape[0], N * num_heads, hd).transpose(0, 1)
    v = v.reshape(v.shape[0], N * num_heads, hd).transpose(0, 1)
    if add_zero_attn:
        k = _core.cat([k, _core.zeros((N * num_heads, 1, hd), dtype=k.dtype)], 1)
        v = _core.cat([v, _core.zeros((N * num_heads, 1, hd), dtype=v.dtype)], 1)
        mask, kpm = _pad_last(mask), _pad_last(kpm)
    Sk = k.shape[1]
    if kpm is not None:
        kp = kpm.reshape(N, 1, 1, Sk).expand(N, num_heads, 1, Sk).reshape(N * num_heads, 1, Sk)
        mask = kp if mask is None else mask + kp
    p = dropout_p if training else 0.0
    if need_weights:
        w = (q * math.sqrt(1.0 / hd)) @ k.transpose(-2, -1)
        if mask is not None:
            w = w + mask
        w = F.softmax(w, dim=-1)
        if p > 0.0:
            w = F.dropout(w, p=p)
        out = (w @ v).transpose(0, 1).reshape(L * N, E)
        out = F.linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
        weights = w.reshape(N, num_heads, L, Sk)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            return out.squeeze(1), weights.squeeze(0)
        return out, weights
    if mask is not None:
        mask = mask.unsqueeze(0) if mask.shape[0] == 1 else mask.reshape(N, num_heads, mask.shape[1], Sk)
    o = F.scaled_dot_product_attention(q.reshape(N, num_heads, L, hd), k.reshape(N, num_heads, Sk, hd),
                                       v.reshape(N, num_heads, Sk, hd), attn_mask=mask, dropout_p=p)
    out = F.linear(o.permute(2, 0, 1, 3).reshape(L * N, E), out_proj_weight, out_proj_bias).reshape(L, N, E)
    return (out if batched else out.squeeze(1)), None
