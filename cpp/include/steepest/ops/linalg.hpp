// Matrix products through BLAS (OpenBLAS sgemm/dgemm on the CPU).
#pragma once
#include "../tensor.hpp"

namespace steepest {

// torch.matmul: 1-D·1-D dot, 2-D·2-D, 1-D promoted to a matrix and squeezed back, and
// batched products whose batch dims broadcast. Errors name both shapes.
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace steepest
