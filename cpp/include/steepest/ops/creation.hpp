// Creating tensors: filled, ranges, identity, *_like, and copies/conversions between dtypes.
#pragma once
#include <optional>

#include "../tensor.hpp"

namespace steepest {

struct TensorOptions {
  DType dtype = kFloat32;
  Device device = kCPU;
  bool requires_grad = false;
  TensorOptions() : dtype(default_dtype()) {}
  TensorOptions(DType d) : dtype(d) {}
  TensorOptions(DType d, Device dev, bool rg = false) : dtype(d), device(dev), requires_grad(rg) {}
};

Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, Scalar value, TensorOptions opts = {});
// Like torch: an all-integer start/end/step gives int64 unless a dtype is asked for.
Tensor arange(Scalar start, Scalar end, Scalar step = 1, std::optional<DType> dtype = std::nullopt,
              Device device = kCPU);
Tensor linspace(double start, double end, int64_t steps, TensorOptions opts = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, TensorOptions opts = {});
Tensor empty_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor zeros_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor ones_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor full_like(const Tensor& t, Scalar value, std::optional<DType> dtype = std::nullopt);
// A 0-d tensor holding `value` with the dtype it naturally has (or `dtype`).
Tensor scalar_tensor(Scalar value, std::optional<DType> dtype = std::nullopt);

// Copies and conversions (src/ops/copy.cpp).
Tensor& copy_(Tensor& dst, const Tensor& src);   // broadcasts src, converts dtype
Tensor& fill_(Tensor& t, Scalar value);
Tensor& zero_(Tensor& t);
Tensor to_dtype(const Tensor& t, DType dtype, bool copy = false);  // no copy if same dtype
Tensor contiguous(const Tensor& t);                                // no copy if contiguous
Tensor clone(const Tensor& t);                                     // always a fresh copy

}  // namespace steepest
