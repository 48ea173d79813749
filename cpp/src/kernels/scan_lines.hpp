// The geometry every backend's scan kernel (cumsum, cumprod and its backward) walks: a tensor
// seen as `outer` x `n` x `inner`, each of the outer*inner lines scanned along the n elements of
// dim; and the accumulator each element type scans in (double for floats, uint64 for int64:
// wrapping arithmetic, no undefined overflow).
#pragma once
#include <cstdint>

#include "steepest/tensor.hpp"

namespace steepest::kernels {

struct ScanLines {
  int64_t outer = 1, n = 1, inner = 1;
};

inline ScanLines scan_lines_of(const Tensor& t, int64_t dim) {
  ScanLines l;
  const Shape& s = t.shape();
  for (int64_t i = 0; i < int64_t(s.size()); ++i) {
    if (i < dim) l.outer *= s[size_t(i)];
    else if (i == dim) l.n = s[size_t(i)];
    else l.inner *= s[size_t(i)];
  }
  return l;
}

template <class T> struct ScanAcc { using type = double; };
template <> struct ScanAcc<int64_t> { using type = uint64_t; };

}  // namespace steepest::kernels
