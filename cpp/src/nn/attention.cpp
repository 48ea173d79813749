// scaled_dot_product_attention composed of differentiable pieces: q k^T (BLAS, k read
// transposed), scale, mask (causal / bool / additive), the fused softmax, dropout, @ v.
// On CUDA the same composition runs as batched cuBLAS products around the row-softmax
// kernel, rather than a fused flash-attention kernel: it is simple, its backward comes from
// the pieces' own, and it keeps the CPU's structure (same products, same softmax rows), so
// the two devices differ only by summation order. The price is memory: the (L, S) score
// and probability matrices are materialised per head, where a flash kernel keeps them in
// on-chip tiles; long sequences are where a fused kernel would pay off.
// bfloat16/float16 without dropout take the fused node of attention_lowp.cpp.
#include <cmath>
#include <limits>

#include "nn/attention_lowp.hpp"
#include "nn/common.hpp"
#include "runtime/autocast_policy.hpp"

namespace steepest::nn::functional {

Tensor scaled_dot_product_attention(const Tensor& q0, const Tensor& k0, const Tensor& v0, const Tensor& mask0,
                                    double dropout_p, bool is_causal, std::optional<double> scale, Generator* gen) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&q0, &k0, &v0, &mask0});
  const Tensor &q = ac[0], &k = ac[1], &v = ac[2], &attn_mask = ac[3];
  const char* op = "scaled_dot_product_attention";
  for (const Tensor* t : {&q, &k, &v}) {
    const char* name = t == &q ? "query" : t == &k ? "key" : "value";
    detail::check_float(*t, op, name);
    STEEPEST_CHECK(t->dim() >= 2, ValueError, op, ": ", name, " must be at least 2-D (..., L, E), but got shape ",
                   t->shape());
  }
  detail::check_same_dtype(q, k, op, "query", "key");
  detail::check_same_dtype(q, v, op, "query", "value");
  STEEPEST_CHECK(q.shape().back() == k.shape().back(), ValueError, op, ": query of shape ", q.shape(),
                 " and key of shape ", k.shape(), " differ in the embedding dim");
  STEEPEST_CHECK(k.shape()[size_t(k.dim() - 2)] == v.shape()[size_t(v.dim() - 2)], ValueError, op, ": key of shape ",
                 k.shape(), " and value of shape ", v.shape(), " differ in the sequence length");
  STEEPEST_CHECK(!(is_causal && attn_mask.defined()), ValueError, op,
                 ": pass either attn_mask or is_causal=True, not both");
  STEEPEST_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, ValueError, op, ": dropout_p must be in [0, 1], but got ",
                 dropout_p);
  const int64_t L = q.shape()[size_t(q.dim() - 2)], S = k.shape()[size_t(k.dim() - 2)];
  const double sc = scale ? *scale : 1.0 / std::sqrt(double(q.shape().back()));
  if (detail::attention_16bit_applies(q, k, v, attn_mask, dropout_p))
    return detail::attention_16bit(q, k, v, attn_mask, is_causal, sc);
  Tensor s = mul(matmul(q, mT(k)), Scalar(sc));
  const double ninf = -std::numeric_limits<double>::infinity();
  if (is_causal) {  // position i attends to j <= i
    Tensor i = reshape(arange(0, L, 1, std::nullopt, q.device()), {L, 1});
    Tensor j = reshape(arange(0, S, 1, std::nullopt, q.device()), {1, S});
    Tensor future = gt(j, i);
    s = masked_fill(s, future, Scalar(ninf));
  } else if (attn_mask.defined()) {
    if (attn_mask.dtype() == kBool) s = masked_fill(s, logical_not(attn_mask), Scalar(ninf));
    else {
      detail::check_float(attn_mask, op, "attn_mask");
      s = add(s, attn_mask);
    }
  }
  Tensor p = softmax(s, -1);
  if (dropout_p > 0.0) p = dropout(p, dropout_p, true, gen);
  return matmul(p, v);
}

}  // namespace steepest::nn::functional
