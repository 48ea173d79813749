// FP8: the scaled matrix product (torch._scaled_mm), the saturating scaled cast with its
// absolute maximum, the delayed-scaling state update, and the FP8 training recipe's linear.
#pragma once
#include <optional>

#include "creation.hpp"

namespace steepest {

// out = (a * scale_a) @ (b * scale_b) + bias, accumulated in float32, then converted to
// out_dtype (a's dtype by default); when out_dtype is given and is an FP8 dtype the result
// is divided by scale_result first (torch's CPU rule; otherwise scale_result is ignored). a (M, K) and b (K, N) are float8_e4m3fn or float8_e5m2. Scales are
// float32: one element each (per tensor), or scale_a (M, 1) with scale_b (1, N) (per row of a
// and column of b). Not differentiable.
Tensor scaled_mm(const Tensor& a, const Tensor& b, const Tensor& scale_a, const Tensor& scale_b,
                 const std::optional<Tensor>& bias = std::nullopt, std::optional<DType> out_dtype = std::nullopt,
                 const std::optional<Tensor>& scale_result = std::nullopt, bool use_fast_accum = false);

// The FP8 dtype holding round(x * scale) clamped to the format's finite range (NaN stays
// NaN); x is float32, bfloat16 or float16, scale a one-element float32 tensor. With `amax`
// (a one-element float32 tensor) max|x| is written there in the same pass (NaN if x has one).
Tensor float8_scaled_cast(const Tensor& x, const Tensor& scale, DType dtype, const std::optional<Tensor>& amax = std::nullopt);

// One tensor's delayed scaling (Transformer Engine's recipe): the last amaxes, newest first,
// and the scale the next cast uses. Both float32: amax_history (L,), scale one element.
struct Float8Scaling {
  Tensor amax_history;
  Tensor scale;
};

// Shifts `amax` (one element) into the history and sets
// scale = fp8_max / max(history) / 2^margin; a zero or non-finite maximum keeps the scale.
void float8_update_scaling(const Float8Scaling& s, const Tensor& amax, DType dtype, double margin);

// y = x W^T + b with x and W cast to float8_e4m3fn and multiplied by scaled_mm; backward
// casts the output gradient to float8_e5m2 and computes grad_x = g W and grad_W = g^T x the
// same way (grad_b = column sums of g in g's dtype). Each cast uses its state's scale, then
// updates that state (a state whose history is all zeros is first filled from the current
// amax). Gradients reach x, W and b in their own dtype.
Tensor float8_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Float8Scaling& x_scaling,
                     const Float8Scaling& weight_scaling, const Float8Scaling& grad_scaling, double margin = 0);

}  // namespace steepest
