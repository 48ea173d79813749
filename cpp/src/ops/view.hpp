// Helpers shared by the view and indexing ops: building a view's TensorImpl directly (its
// geometry is derived from a valid tensor, so the bounds check of Tensor::make is skipped,
// keeping per-op overhead low; TensorImpl still refuses an element count that overflows, as
// expand can ask for) and printing sizes the way torch's messages do ("[2, 3]").
#pragma once
#include <memory>
#include <string>

#include "steepest/tensor.hpp"

namespace steepest::detail {

inline Tensor make_view(const Tensor& base, Shape shape, Strides strides, int64_t offset) {
  return Tensor(std::make_shared<TensorImpl>(base.storage(), std::move(shape), std::move(strides), offset,
                                             base.dtype()));
}

// One dim sliced as start:stop:step (start/stop already clipped to [0, size], step > 0): the
// length, the stride and the offset to add. Shared by slice and by basic indexing.
struct SlicedDim {
  int64_t len, stride, offset;
};
inline SlicedDim slice_dim(int64_t stride, int64_t start, int64_t stop, int64_t step) {
  SlicedDim r{stop > start ? (stop - start - 1) / step + 1 : 0, stride, start * stride};
  // With two or more elements the product addresses inside the storage, so it fits; a huge
  // step leaves one element, whose stride addresses nothing: keep it unmultiplied rather than
  // let the product wrap (a wrapped stride would poison later stride arithmetic).
  int64_t stepped;
  if (!__builtin_mul_overflow(stride, step, &stepped)) r.stride = stepped;
  return r;
}

// "[2, 3]" (torch prints sizes in brackets in its error messages).
inline std::string bracket(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

}  // namespace steepest::detail
