// Matrix products through BLAS (OpenBLAS sgemm/dgemm on the CPU).
#pragma once
#include "../tensor.hpp"

namespace steepest {

// torch.matmul: 1-D·1-D dot, 2-D·2-D, 1-D promoted to a matrix and squeezed back, and
// batched products whose batch dims broadcast. Errors name both shapes.
// Operands must share a dtype (TypeError otherwise, as torch); float32/float64 use BLAS,
// bfloat16/float16 multiply 16-bit operands with float32 accumulation and round once (a
// vdpbf16ps kernel on CPUs with AVX512_BF16), int32/int64 use a plain loop.
Tensor matmul(const Tensor& a, const Tensor& b);
// The fixed-rank forms, with torch's dim checks: mm (2-D @ 2-D), bmm (3-D @ 3-D, equal
// batch sizes, no broadcasting), mv (2-D @ 1-D), dot (1-D . 1-D).
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);

// The GEMM itself, in place and outside autograd: c = alpha (a @ b) + beta c for 2-D a (m, k)
// and b (k, n) of one dtype (any strides) and c (m, n) with unit column stride. bfloat16 or
// float16 a and b accumulate in float32 into a float32 c or a c of their own dtype;
// float32/float64 need c of that dtype. beta == 0 ignores c's values (NaN included).
Tensor& gemm_(Tensor& c, const Tensor& a, const Tensor& b, double alpha = 1.0, double beta = 0.0);

}  // namespace steepest
