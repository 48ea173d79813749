// view(dtype): the same bytes read as another dtype, with torch's rules for element sizes
// that differ (the last dim is contiguous and rescaled; other strides and the offset must
// divide evenly). The result shares storage and, as in torch, carries no autograd history.
#include "ops/view.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

Tensor view(const Tensor& t, DType dtype) {
  const DType from = t.dtype();
  // A bool byte must be 0 or 1; bytes of any other dtype could hold anything.
  STEEPEST_CHECK(dtype != kBool || from == kBool, TypeError, "view(dtype): cannot view ", dtype_name(from),
                 " as bool (its bytes need not be 0 or 1); use t != 0 or t.to(bool)");
  const int64_t old_size = int64_t(itemsize(from)), new_size = int64_t(itemsize(dtype));
  Shape shape = t.shape();
  Strides strides = t.strides();
  int64_t offset = t.offset();
  if (old_size != new_size) {
    const char* a = dtype_name(from);
    const char* b = dtype_name(dtype);
    STEEPEST_CHECK(t.dim() > 0, ValueError, "view(dtype): a 0-d tensor cannot be viewed as ", b, " from ", a,
                   " (different element sizes)");
    STEEPEST_CHECK(strides.back() == 1, ValueError, "view(dtype): the last dim's stride must be 1 to view ", a,
                   " as ", b, " (different element sizes), but got ", strides.back());
    if (new_size > old_size) {
      const int64_t r = new_size / old_size;
      STEEPEST_CHECK(shape.back() % r == 0, ValueError, "view(dtype): the last dim's size must be divisible by ", r,
                     " to view ", a, " as ", b, " (different element sizes), but got ", shape.back());
      STEEPEST_CHECK(offset % r == 0, ValueError, "view(dtype): the storage offset must be divisible by ", r,
                     " to view ", a, " as ", b, " (different element sizes), but got ", offset);
      for (size_t i = 0; i + 1 < strides.size(); ++i)
        STEEPEST_CHECK(strides[i] % r == 0, ValueError, "view(dtype): stride ", i, " must be divisible by ", r,
                       " to view ", a, " as ", b, " (different element sizes), but got ", strides[i]);
      shape.back() /= r;
      for (size_t i = 0; i + 1 < strides.size(); ++i) strides[i] /= r;
      offset /= r;
    } else {
      const int64_t r = old_size / new_size;
      // the products address bytes of the existing view, so they fit unless a stride is
      // absurd (an expanded dim's 0 stays 0); checked anyway, as the core takes any geometry
      int64_t last;
      STEEPEST_CHECK(!__builtin_mul_overflow(shape.back(), r, &last) && !__builtin_mul_overflow(offset, r, &offset),
                     ValueError, "view(dtype): sizes overflow viewing ", a, " as ", b);
      shape.back() = last;
      for (size_t i = 0; i + 1 < strides.size(); ++i)
        STEEPEST_CHECK(!__builtin_mul_overflow(strides[i], r, &strides[i]), ValueError,
                       "view(dtype): strides overflow viewing ", a, " as ", b);
    }
  }
  // Tensor::make checks the view against the storage's bytes in the new element size.
  return Tensor::make(t.storage(), std::move(shape), std::move(strides), offset, dtype);
}

}  // namespace steepest
