// scaled_dot_product_attention for bfloat16/float16 as one fused autograd node (attention_lowp.cpp).
#pragma once
#include "steepest/tensor.hpp"

namespace steepest::nn::functional::detail {

// Whether the fused 16-bit path takes these arguments: 16-bit q, k, v with equal batch dims,
// no dropout, no mask that needs a gradient, no empty dim.
bool attention_16bit_applies(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                             double dropout_p);
// softmax(q k^T * scale + mask) v with the scores, softmax and its gradient in float32.
Tensor attention_16bit(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, bool is_causal,
                       double scale);

}  // namespace steepest::nn::functional::detail
