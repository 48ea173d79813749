// A 16-bit matmul whose result is the float32 accumulator itself (no rounding), for fused ops
// that keep computing in float32 after the product (attention's scores, their gradients).
#pragma once
#include "steepest/tensor.hpp"

namespace steepest::detail {

// a @ b with matmul's shapes for bfloat16/float16 a and b of one dtype; float32 result, not
// recorded for autograd (the caller records its own node).
Tensor matmul_float32_out(const Tensor& a, const Tensor& b);

}  // namespace steepest::detail
