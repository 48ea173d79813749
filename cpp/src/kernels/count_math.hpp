// The per-element math of binning that both backends run (host-device): histc's bin of one
// value and searchsorted's binary search of one value in one sorted row.
#pragma once
#include <cstdint>
#include <type_traits>

#include "ops/cast.hpp"

namespace steepest::kernels {

// The bin of v among `bins` equal bins over [lo, hi] (hi itself in the last bin), or -1 when v
// is outside or NaN.
STEEPEST_HD inline int64_t histc_bin(double v, double lo, double hi, int64_t bins) {
  if (!(v >= lo && v <= hi)) return -1;
  const auto b = int64_t((v - lo) * double(bins) / (hi - lo));
  return b < bins - 1 ? b : bins - 1;
}

// The type searchsorted compares in: 16-bit floats as float, the rest as themselves.
template <class T> using SearchKey = std::conditional_t<detail::is_half_v<T>, float, T>;

// The first position of the row s (m elements, read through perm when perm is not null) whose
// element is > v (right) or >= v (left).
template <class T>
STEEPEST_HD int64_t search_row(const T* s, const int64_t* perm, int64_t m, SearchKey<T> v, bool right) {
  using K = SearchKey<T>;
  int64_t lo = 0, hi = m;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const K e = K(s[perm ? perm[mid] : mid]);
    if (right ? !(v < e) : e < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace steepest::kernels
