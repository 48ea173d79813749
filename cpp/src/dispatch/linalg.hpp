// Dispatch stubs of the linear algebra family: matmul (and mm, bmm, mv, dot, which are its
// special cases) and nn.linear's fused GEMMs. The op checks shapes and dtypes, accumulates
// 16-bit inputs in float32, and allocates the results on the operands' device.
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// out = a @ b with torch's matmul semantics: a 1-D a is a row, a 1-D b a column (both
// squeezed from out), batch dims broadcast. a, b and out share one dtype (float32, float64,
// bfloat16, float16 (accumulated in float32), int32 or int64), except that a float32 out may
// take 16-bit a and b (the float32 accumulator unrounded); out has at least one element and
// the contracted dim is >= 1.
using MatmulKernel = void (*)(const Tensor& out, const Tensor& a, const Tensor& b);
// out (x's leading dims, out_features) = x W^T + b for W (out_features, in_features); bias may
// be undefined. Float32/float64, or bfloat16/float16 accumulated in float32.
using LinearKernel = void (*)(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias);
// gx = g W (x's shape), gw = g^T x (W's shape), gb (zeros on entry) = column sums of g; each
// may be undefined when not needed. g is dense, in x's dtype. gw and gb are in x's dtype, or
// float32 for a 16-bit x (autocast's float32 weight and bias: summed in float32, never rounded).
using LinearBackwardKernel = void (*)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g,
                                      const Tensor& x, const Tensor& weight);

// c = alpha a b + beta c in place (steepest::gemm_): a (m, k), b (k, n) 2-D of one dtype; c (m, n)
// with unit column stride and row stride >= n, of a's dtype or float32 (16-bit a and b).
using GemmKernel = void (*)(const Tensor& c, const Tensor& a, const Tensor& b, double alpha, double beta);

STEEPEST_DECLARE_STUB(MatmulKernel, matmul_stub);
STEEPEST_DECLARE_STUB(GemmKernel, gemm_stub);
STEEPEST_DECLARE_STUB(LinearKernel, linear_stub);
STEEPEST_DECLARE_STUB(LinearBackwardKernel, linear_backward_stub);

}  // namespace steepest::dispatch
