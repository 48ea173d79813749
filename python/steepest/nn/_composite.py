"""The math of st.nn.functional, composed from existing (differentiable) tensor ops. Each
function takes arguments already checked by functional.py; fused C++ kernels replace the
heavy ones (softmax, cross_entropy, layer_norm, gelu, ...) behind the same signatures.
Compositions are the numerically stable forms: max-subtracted log-sum-exp, two-pass
variance, log1p-accurate softplus, an erf accurate to float64 rounding."""
import math

from .. import _core

_HALF = (_core.float16, _core.bfloat16)


def _compute_dtype(x):
    """Half-precision inputs are computed in float32 (as torch accumulates), then cast back."""
    return _core.float32 if x.dtype in _HALF else x.dtype


def _up(x):
    d = _compute_dtype(x)
    return x if d == x.dtype else x.to(d)


# ---- erf ------------------------------------------------------------------------------------
# erf(z) = 2/sqrt(pi) * exp(-z^2) * sum_n z (2 z^2)^n / (2n+1)!!  — every term positive, so
# no cancellation; 40 terms reach float64 rounding for |z| < 2.5. Beyond, erfc's continued
# fraction exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))) does, 30 levels deep.
# Both were checked against math.erf/erfc on a dense grid: relative error < 1e-13 (erf) and
# < 1e-11 (erfc) over the whole float64 range (see tests/test_nn_functional_forward.py).
_ERF_SPLIT = 2.5
_SERIES = []
_c = 1.0
for _n in range(41):
    _SERIES.append(_c)
    _c = _c * 2.0 / (2 * _n + 3)
_CF_DEPTH = 30


def _erf_series(a):
    """erf(a) for float64 0 <= a <= _ERF_SPLIT."""
    w = a * a
    r = _core.full_like(a, _SERIES[-1])
    for c in reversed(_SERIES[:-1]):
        r = r * w + c
    return (a * r) * (_core.exp(-w) * (2.0 / math.sqrt(math.pi)))


def _erfc_cf(a):
    """erfc(a) for float64 a >= _ERF_SPLIT."""
    r = a
    for k in range(_CF_DEPTH, 0, -1):
        r = a + (k / 2.0) / r
    return _core.exp(-(a * a)) / (r * math.sqrt(math.pi))


def _erf_parts(z):
    """(small, erf(|z|) on the small side, erfc(|z|) on the large side) for float64 z; each
    branch sees clamped inputs so neither makes inf/nan that a where() would hide."""
    a = z.abs()
    small = a < _ERF_SPLIT
    return small, _erf_series(a.clamp(max=_ERF_SPLIT)), _erfc_cf(a.clamp(min=_ERF_SPLIT))


def erf(z):
    """erf of a tensor, computed in float64, returned in z's dtype."""
    z64 = z.to(_core.float64)
    small, e, c = _erf_parts(z64)
    out = _core.where(small, e, 1.0 - c) * z64.sign()
    return out.to(z.dtype)


def erfc(z):
    """erfc of a tensor, computed in float64 with relative accuracy in the upper tail."""
    z64 = z.to(_core.float64)
    small, e, c = _erf_parts(z64)
    upper = _core.where(small, 1.0 - e, c)  # erfc(|z|)
    out = _core.where(z64 >= 0, upper, 2.0 - upper)
    return out.to(z.dtype)


def normal_cdf(x):
    """Phi(x) = erfc(-x / sqrt(2)) / 2, accurate in the lower tail (float64 in, float64 out)."""
    return erfc(x * (-1.0 / math.sqrt(2.0))) * 0.5


def _log1p(u):
    """log(1 + u) accurate for small u (Goldberg's trick: log(w) * u / (w - 1), w = 1 + u)."""
    w = u + 1.0
    exact = w == 1.0
    denom = _core.where(exact, _core.ones_like(w), w - 1.0)
    return _core.where(exact, u, _core.log(w) * u / denom)


# ---- activations ----------------------------------------------------------------------------
def relu(x):
    return _core.relu(x)


def sigmoid(x):
    return _core.sigmoid(x)


def tanh(x):
    return _core.tanh(x)


def silu(x):
    return x * _core.sigmoid(x)


def gelu(x, approximate):
    if approximate == "tanh":
        xc = _up(x)
        inner = (xc + (xc * xc * xc) * 0.044715) * math.sqrt(2.0 / math.pi)
        return (xc * 0.5 * (_core.tanh(inner) + 1.0)).to(x.dtype)
    cdf = normal_cdf(x.to(_core.float64)).to(_compute_dtype(x))
    return (_up(x) * cdf).to(x.dtype)


# ---- softmax family ----------------------------------------------------------------------------
def log_softmax(x, dim):
    xc = _up(x)
    shifted = xc - xc.amax(dim=dim, keepdim=True)
    return (shifted - _core.log(_core.exp(shifted).sum(dim=dim, keepdim=True))).to(x.dtype)


def softmax(x, dim):
    xc = _up(x)
    e = _core.exp(xc - xc.amax(dim=dim, keepdim=True))
    return (e / e.sum(dim=dim, keepdim=True)).to(x.dtype)


# ---- losses ------------------------------------------------------------------------------------
def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weighted(loss, weight):
    return loss if weight is None else loss * weight


def mse_loss(x, y, reduction, weight):
    d = x - y
    return _reduce(_weighted(d * d, weight), reduction)


def l1_loss(x, y, reduction, weight):
    return _reduce(_weighted((x - y).abs(), weight), reduction)


def _classes_last(x):
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C)."""
    if x.ndim == 1:
        return x.unsqueeze(0)
    if x.ndim == 2:
        return x
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _nll_rows(logp, target, weight, ignore_index):
    """Per-row (-w[t] * logp[t], w[t] with ignored rows 0) for (M, C) logp and (M,) target."""
    valid = target != ignore_index
    safe = _core.where(valid, target, _core.zeros_like(target))
    picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(logp.dtype)
    if weight is not None:
        w = w * weight.index_select(0, safe).to(logp.dtype)
    return -(picked * w), w


def nll_loss(logp, target, weight, ignore_index, reduction):
    rows, w = _nll_rows(_classes_last(logp), target.reshape(-1), weight, ignore_index)
    if reduction == "none":
        return rows.reshape(target.shape)
    if reduction == "sum":
        return rows.sum()
    return rows.sum() / w.sum()


def cross_entropy(x, target, weight, ignore_index, reduction, label_smoothing):
    xc = _up(x)
    class_dim = 0 if x.ndim == 1 else 1
    C = x.shape[class_dim]
    logp = log_softmax(xc, class_dim)
    wshape = [1] * x.ndim
    wshape[class_dim] = C
    if target.is_floating_point():  # class probabilities
        t = target.to(logp.dtype)
        if label_smoothing > 0:
            t = t * (1.0 - label_smoothing) + label_smoothing / C
        prod = logp * t
        if weight is not None:
            prod = prod * weight.to(logp.dtype).reshape(wshape)
        per = -prod.sum(dim=class_dim)
        if reduction == "none":
            out = per
        elif reduction == "sum":
            out = per.sum()
        else:
            out = per.sum() / (x.numel() // C) if x.numel() else per.sum() * float("nan")
        return out.to(x.dtype)

    flat_t = target.reshape(-1)
    rows, w = _nll_rows(_classes_last(logp), flat_t, weight, ignore_index)
    if reduction == "none":
        nll = rows.reshape(target.shape)
    elif reduction == "sum":
        nll = rows.sum()
    else:
        nll = rows.sum() / w.sum()
    if label_smoothing <= 0:
        return nll.to(x.dtype)
    lp = logp if weight is None else logp * weight.to(logp.dtype).reshape(wshape)
    smooth = -lp.sum(dim=class_dim)
    valid = (target != ignore_index).to(logp.dtype)
    smooth = smooth * valid
    if reduction == "none":
        s = smooth
    elif reduction == "sum":
        s = smooth.sum()
    else:
        s = smooth.sum() / w.sum()  # torch normalises both parts by the same weight sum
    return (nll * (1.0 - label_smoothing) + s * (label_smoothing / C)).to(x.dtype)


def binary_cross_entropy_with_logits(x, y, weight, pos_weight, reduction):
    # softplus(-x) = log1p(exp(-|x|)) + max(-x, 0), never overflowing.
    xc, yc = _up(x), y.to(_compute_dtype(x))
    sp_neg = _log1p(_core.exp(-xc.abs())) + (-xc).clamp(min=0.0)
    if pos_weight is None:
        loss = (1.0 - yc) * xc + sp_neg
    else:
        coef = (pos_weight.to(xc.dtype) - 1.0) * yc + 1.0
        loss = (1.0 - yc) * xc + coef * sp_neg
    if weight is not None:
        loss = loss * weight.to(xc.dtype)
    return _reduce(loss, reduction).to(x.dtype)


# ---- layers ------------------------------------------------------------------------------------
def linear(x, weight, bias):
    # weight.mT is a strided view: matmul hands it to BLAS as a transposed operand, no copy.
    out = _core.matmul(x, weight.mT if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def layer_norm(x, ndims, weight, bias, eps):
    xc = _up(x)
    dims = tuple(range(x.ndim - ndims, x.ndim))
    mean = xc.mean(dim=dims, keepdim=True)
    centred = xc - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    out = centred * _core.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.to(x.dtype)


def embedding(indices, weight):
    rows = weight.index_select(0, indices.reshape(-1))
    return rows.reshape(tuple(indices.shape) + (weight.shape[1],))


def dropout(x, p, inplace, generator=None):
    if p == 1.0:
        return x.zero_() if inplace else _core.zeros_like(x)
    keep = _core.empty_like(x).bernoulli_(1.0 - p, generator=generator)
    scale = keep * (1.0 / (1.0 - p))
    return x.mul_(scale) if inplace else x * scale


def scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k = _repeat_heads(k, rep)
        v = _repeat_heads(v, rep)
    s = 1.0 / math.sqrt(E) if scale is None else scale
    scores = _core.matmul(_up(q), _up(k).mT) * s
    if is_causal:
        keep = _core.arange(L).unsqueeze(1) >= _core.arange(S).unsqueeze(0)
        scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    elif attn_mask is not None:
        if attn_mask.dtype == _core.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask.to(scores.dtype)
    attn = softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, False)
    return _core.matmul(attn, _up(v)).to(q.dtype)


def _repeat_heads(t, rep):
    """(..., H, S, E) -> (..., H * rep, S, E), each head repeated rep times in a row."""
    shape = tuple(t.shape)
    lead, H = shape[:-3], shape[-3]
    e = t.unsqueeze(-3).expand(lead + (H, rep) + shape[-2:])
    return e.reshape(lead + (H * rep,) + shape[-2:])
