// Attention in bfloat16/float16: both products run on the 16-bit GEMM (float32 accumulation).
// The scores q k^T stay float32 (the GEMM's accumulator), so scaling, masking and the softmax
// happen in float32; the probabilities are rounded once to q's dtype for the product with v.
// Backward mirrors it: dP = g v^T in float32, dS = P (dP - rowsum(dP P)) in float32, rounded
// once for the two products that give dq and dk.
#include "nn/attention_lowp.hpp"

#include <limits>

#include "nn/common.hpp"
#include "ops/matmul_float32.hpp"

namespace steepest::nn::functional::detail {
namespace {

using V = std::vector<Tensor>;

Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

}  // namespace

bool attention_16bit_applies(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                             double dropout_p) {
  // CPU only: the fused node asks the GEMM for a float32 result from 16-bit operands, which
  // the CUDA linalg kernel does not offer (there the general composition runs).
  if (!q.device().is_cpu() || !is_16bit(q.dtype()) || dropout_p > 0.0) return false;
  if (attn_mask.defined() && attn_mask.requires_grad()) return false;
  if (q.numel() == 0 || k.numel() == 0 || v.numel() == 0) return false;
  return batch_of(q) == batch_of(k) && batch_of(q) == batch_of(v);
}

Tensor attention_16bit(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, bool is_causal,
                       double scale) {
  const DType dt = q.dtype();
  const int64_t L = q.shape()[size_t(q.dim() - 2)], S = k.shape()[size_t(k.dim() - 2)];
  const int64_t last = q.dim() - 1;
  Tensor p32, out;
  {
    autograd::NoGradGuard ng;
    Tensor s = mul(steepest::detail::matmul_float32_out(q, mT(k)), Scalar(scale));
    const double ninf = -std::numeric_limits<double>::infinity();
    if (is_causal) {  // position i attends to j <= i
      Tensor i = reshape(arange(0, L, 1, std::nullopt, q.device()), {L, 1});
      Tensor j = reshape(arange(0, S, 1, std::nullopt, q.device()), {1, S});
      s = masked_fill(s, gt(j, i), Scalar(ninf));
    } else if (attn_mask.defined()) {
      if (attn_mask.dtype() == kBool) s = masked_fill(s, logical_not(attn_mask), Scalar(ninf));
      else s = add(s, to_dtype(attn_mask, kFloat32));
    }
    p32 = softmax(s, -1);
    out = matmul(to_dtype(p32, dt), v);
  }
  if (autograd::needs_grad({&q, &k, &v})) {
    const Shape out_shape = out.shape();
    autograd::record("ScaledDotProductAttentionBackward0", {&q, &k, &v}, {&out}, {q, k, v, p32},
                     [scale, last, out_shape](Node& n, V& g) -> V {
      check_grad_output(g[0], out_shape, "scaled_dot_product_attention_backward");
      autograd::NoGradGuard ng;
      const Tensor q = n.saved(0), k = n.saved(1), v = n.saved(2), p = n.saved(3);
      const Tensor go = to_dtype(g[0], q.dtype());
      Tensor gq, gk, gv;
      if (n.needs_input_grad(2)) gv = matmul(mT(to_dtype(p, q.dtype())), go);
      if (n.needs_input_grad(0) || n.needs_input_grad(1)) {
        const Tensor dp = steepest::detail::matmul_float32_out(go, mT(v));
        const Tensor ds = mul(mul(p, sub(dp, sum(mul(dp, p), {last}, true))), Scalar(scale));
        const Tensor ds16 = to_dtype(ds, q.dtype());
        if (n.needs_input_grad(0)) gq = matmul(ds16, k);
        if (n.needs_input_grad(1)) gk = matmul(mT(ds16), q);
      }
      return {gq, gk, gv};
    });
  }
  return out;
}

}  // namespace steepest::nn::functional::detail
