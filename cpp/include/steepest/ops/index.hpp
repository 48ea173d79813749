// Python-style indexing: ints, slices, None, Ellipsis, bools (views, except bools) and
// integer / bool tensors (advanced indexing, which copies), assignment through an index,
// and the gather/scatter family that autograd uses for their backward passes.
#pragma once
#include <cstddef>
#include <optional>
#include <vector>

#include "../tensor.hpp"

namespace steepest {

struct Slice {
  std::optional<int64_t> start, stop, step;
};

struct TensorIndex {
  // Bool is Python's True/False as an index: a new unit dim indexed by [0] or [] (numpy).
  enum class Kind : uint8_t { Int, Slice, None, Ellipsis, Tensor, Bool };
  Kind kind = Kind::None;
  int64_t integer = 0;  // Int; Bool: 0 or 1
  Slice slice;
  steepest::Tensor tensor;

  static TensorIndex from_int(int64_t i) { return make(Kind::Int, i); }
  static TensorIndex from_slice(Slice s) { TensorIndex x = make(Kind::Slice); x.slice = s; return x; }
  static TensorIndex none() { return make(Kind::None); }
  static TensorIndex ellipsis() { return make(Kind::Ellipsis); }
  static TensorIndex from_bool(bool b) { return make(Kind::Bool, b); }
  static TensorIndex from_tensor(steepest::Tensor t) { TensorIndex x = make(Kind::Tensor); x.tensor = std::move(t); return x; }

 private:
  static TensorIndex make(Kind k, int64_t i = 0) { TensorIndex x; x.kind = k; x.integer = i; return x; }
};

// t[idx...]: a view unless some index is a tensor or a bool (then a copy, as numpy/torch).
// Ints, and 0-d integer tensors, act like torch's (a select before any advanced indexing,
// which differs from numpy when ints and arrays mix); integer tensors may be
// int32/int64 and broadcast together; bool tensors act as their nonzero() columns; when the
// advanced indices are adjacent their result dims replace them, otherwise they go first.
Tensor index(const Tensor& t, const TensorIndex* indices, size_t n);
inline Tensor index(const Tensor& t, const std::vector<TensorIndex>& indices) {
  return index(t, indices.data(), indices.size());
}
// t[idx...] = value: value broadcasts to the indexed shape and converts to t's dtype.
// With accumulate, advanced-indexed positions are added to (duplicates add up), as
// torch.index_put_(..., accumulate=True). Bumps t's storage version.
void index_put_(Tensor& t, const TensorIndex* indices, size_t n, const Tensor& value, bool accumulate = false);
void index_put_(Tensor& t, const TensorIndex* indices, size_t n, Scalar value);
inline void index_put_(Tensor& t, const std::vector<TensorIndex>& indices, const Tensor& value,
                       bool accumulate = false) {
  index_put_(t, indices.data(), indices.size(), value, accumulate);
}
inline void index_put_(Tensor& t, const std::vector<TensorIndex>& indices, Scalar value) {
  index_put_(t, indices.data(), indices.size(), value);
}

// Gather along `dim`: out has t's shape with dim's size replaced by index.numel()
// (index is 1-D or 0-d, int32/int64; the core of embedding).
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);
// Where mask (bool, broadcast) is true, value; the out-of-place result has the broadcast shape.
Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value);
Tensor& masked_fill_(Tensor& t, const Tensor& mask, Scalar value);  // mask broadcasts to t
// The value may also be a 0-d tensor (torch).
Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value);
Tensor& masked_fill_(Tensor& t, const Tensor& mask, const Tensor& value);
// out[i][j] = t[index[i][j]][j] (dim 0) etc.: index has t's ndim, out has index's shape.
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
// t[index[i][j]][j] += src[i][j] (dim 0) etc.; duplicates accumulate. gather's backward.
Tensor& scatter_add_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
// t[index[i][j]][j] = src[i][j] (or value): the last write wins among duplicates.
Tensor& scatter_(Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_(Tensor& t, int64_t dim, const Tensor& index, Scalar value);
// Positions of the nonzero elements, in C order, as an (n, ndim) int64 tensor.
Tensor nonzero(const Tensor& t);
// nonzero(as_tuple=True): one 1-D index tensor per dim (a 0-d input counts as 1-D).
std::vector<Tensor> nonzero_columns(const Tensor& t);
// torch.take_along_dim: gather after broadcasting t and index against each other (all dims
// but `dim`); without dim, t is flattened.
Tensor take_along_dim(const Tensor& t, const Tensor& index, std::optional<int64_t> dim = std::nullopt);

}  // namespace steepest
