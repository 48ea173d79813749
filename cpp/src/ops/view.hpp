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
