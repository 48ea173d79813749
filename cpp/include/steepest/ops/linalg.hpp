// Matrix products through BLAS (OpenBLAS sgemm/dgemm on the CPU).
#pragma once
#include "../tensor.hpp"

namespace steepest {

// torch.matmul: 1-D·1-D dot, 2-D·2-D, 1-D promoted to a matrix and squeezed back, and
// batched products whose batch dims broadcast. Errors name both shapes.
// Operands must share a dtype (TypeError otherwise, as torch); float32/float64 use BLAS,
// bfloat16/float16 compute in float32 and round once, int32/int64 use a plain loop.
Tensor matmul(const Tensor& a, const Tensor& b);
// The fixed-rank forms, with torch's dim checks: mm (2-D @ 2-D), bmm (3-D @ 3-D, equal
// batch sizes, no broadcasting), mv (2-D @ 1-D), dot (1-D . 1-D).
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);

}  // namespace steepest
