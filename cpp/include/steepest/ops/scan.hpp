// Cumulative sums and products along a dim, and products (a reduction built on them).
#pragma once
#include <optional>

#include "../tensor.hpp"

namespace steepest {

// out[..., k, ...] = sum (product) of input[..., 0..k, ...] along dim. Integer and bool inputs
// give int64 unless dtype says otherwise; floats accumulate in double (as torch on the CPU).
Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);
// The product of all elements (0-d), or along dim. Its gradient is exact where inputs are 0.
Tensor prod(const Tensor& a, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& a, int64_t dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);

}  // namespace steepest
