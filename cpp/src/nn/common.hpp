// Shared helpers of the nn functional ops: argument checks with torch-like messages and the
// loss reduction.
#pragma once
#include <string>

#include "autograd/record.hpp"
#include "dispatch/stub.hpp"
#include "steepest/nn/functional.hpp"
#include "steepest/ops.hpp"

namespace steepest::nn::functional::detail {

inline bool is_16bit(DType d) { return d == kBFloat16 || d == kFloat16; }

// A floating tensor, else TypeError naming op and argument.
inline void check_float(const Tensor& t, const char* op, const char* arg) {
  check_not_float8(t.dtype(), op);  // a storage format: _scaled_mm multiplies it
  STEEPEST_CHECK(is_floating(t.dtype()), TypeError, op, ": expected ", arg,
                 " to be a floating-point tensor, but got ", dtype_name(t.dtype()));
}

inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op, const char* an, const char* bn) {
  STEEPEST_CHECK(a.dtype() == b.dtype(), TypeError, op, ": expected ", an, " and ", bn,
                 " to have the same dtype, but got ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
}

// The gradient a fused backward kernel reads must have the shape of the output it
// differentiates: the kernels walk it with the forward's geometry, so a gradient of any other
// shape would be read past its end. The engine routes only such gradients; this check keeps
// the kernels safe whatever reaches them.
inline void check_grad_output(const Tensor& g, const Shape& output_shape, const char* op) {
  STEEPEST_CHECK(g.shape() == output_shape, ValueError, op, ": the gradient of shape ", g.shape(),
                 " doesn't match the output's shape ", output_shape);
}

// Sums or averages a per-element loss; none returns it as is.
inline Tensor reduce_loss(const Tensor& l, Reduction r) {
  if (r == Reduction::Mean) return mean(l);
  if (r == Reduction::Sum) return sum(l);
  return l;
}

// A contiguous float32 copy of a 16-bit tensor, else the tensor itself.
inline Tensor compute_dtype(const Tensor& t) { return is_16bit(t.dtype()) ? to_dtype(t, kFloat32) : t; }

}  // namespace steepest::nn::functional::detail
