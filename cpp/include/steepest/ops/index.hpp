// Python-style indexing: ints, slices, None, Ellipsis (views) and integer / bool tensors
// (advanced indexing, which copies), plus assignment through an index.
#pragma once
#include <optional>
#include <vector>

#include "../tensor.hpp"

namespace steepest {

struct Slice {
  std::optional<int64_t> start, stop, step;
};

struct TensorIndex {
  enum class Kind : uint8_t { Int, Slice, None, Ellipsis, Tensor };
  Kind kind;
  int64_t integer = 0;
  Slice slice;
  steepest::Tensor tensor;

  static TensorIndex from_int(int64_t i) { TensorIndex x{Kind::Int}; x.integer = i; return x; }
  static TensorIndex from_slice(Slice s) { TensorIndex x{Kind::Slice}; x.slice = s; return x; }
  static TensorIndex none() { return TensorIndex{Kind::None}; }
  static TensorIndex ellipsis() { return TensorIndex{Kind::Ellipsis}; }
  static TensorIndex from_tensor(steepest::Tensor t) { TensorIndex x{Kind::Tensor}; x.tensor = std::move(t); return x; }
};

// t[idx...]: a view unless some index is a tensor (then a copy, as numpy/torch).
Tensor index(const Tensor& t, const std::vector<TensorIndex>& indices);
// t[idx...] = value (value broadcasts to the indexed shape; converted to t's dtype).
void index_put_(Tensor& t, const std::vector<TensorIndex>& indices, const Tensor& value);
void index_put_(Tensor& t, const std::vector<TensorIndex>& indices, Scalar value);

// Gather rows: out[i, ...] = t[idx[i], ...] along dim 0 (also the core of embedding).
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);
Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value);

}  // namespace steepest
