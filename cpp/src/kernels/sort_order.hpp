// The order every backend sorts rows in (host-device): NaN after every number, -0 equal to +0,
// equal elements in index order; what the select kinds pick from a row sorted that way; and
// the unsigned radix key whose ascending order is that order with the same ties, for the CUDA
// backend's radix sort (stable, so the ties keep their index order as the CPU's stable sort).
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "dispatch/sort.hpp"
#include "ops/cast.hpp"

namespace steepest::kernels {

// The type elements compare in: 16-bit floats as float, the rest as themselves.
template <class T> using SortKey = std::conditional_t<detail::is_half_v<T>, float, T>;

template <class K> STEEPEST_HD bool sort_is_nan(K v) {
  if constexpr (std::is_floating_point_v<K>) return v != v;
  else return false;
}
// Strict orders with NaN as the largest value (ascending: last; descending: first).
template <class K> STEEPEST_HD bool sort_before_asc(K a, K b) { return sort_is_nan(b) ? !sort_is_nan(a) : a < b; }
template <class K> STEEPEST_HD bool sort_before_desc(K a, K b) { return sort_is_nan(a) ? !sort_is_nan(b) : b < a; }
template <class K> STEEPEST_HD bool sort_same(K a, K b) { return a == b || (sort_is_nan(a) && sort_is_nan(b)); }

// Bits of the radix key of each compare type.
template <class K> constexpr int sort_key_bits() { return std::is_same_v<K, bool> ? 8 : int(8 * sizeof(K)); }

// An unsigned key with key(a) < key(b) iff sort_before_asc(a, b) and key(a) == key(b) iff
// sort_same(a, b): the sign bit flipped for integers; for floats the usual sign-magnitude
// flip, after -0 becomes +0, with every NaN the largest key.
template <class K>
STEEPEST_HD uint64_t sort_key(K v) {
  if constexpr (std::is_same_v<K, bool>) {
    return v ? 1u : 0u;
  } else if constexpr (std::is_same_v<K, int32_t>) {
    return uint64_t(uint32_t(v) ^ 0x80000000u);
  } else if constexpr (std::is_same_v<K, int64_t>) {
    return uint64_t(v) ^ (uint64_t(1) << 63);
  } else {
    using U = std::conditional_t<sizeof(K) == 4, uint32_t, uint64_t>;
    constexpr U sign = U(1) << (8 * sizeof(K) - 1);
    if (v != v) return uint64_t(~U(0));
    if (v == K(0)) v = K(0);
    U u;
    std::memcpy(&u, &v, sizeof(K));
    return uint64_t((u & sign) ? ~u : (u | sign));
  }
}

// The index `kind` picks from a row of n >= 1 elements whose ascending order is idx.
template <class T>
STEEPEST_HD int64_t sort_pick(const T* row, const int64_t* idx, int64_t n, dispatch::SelectKind kind, int64_t k) {
  using K = SortKey<T>;
  using dispatch::SelectKind;
  switch (kind) {
    case SelectKind::Kth: return idx[k - 1];
    case SelectKind::Median: {
      // NaNs sort last, so the row holds one iff the last element is NaN; the first of them
      // is then the first NaN in index order (the sort is stable).
      if (sort_is_nan(K(row[idx[n - 1]]))) {
        int64_t j = n - 1;
        while (j > 0 && sort_is_nan(K(row[idx[j - 1]]))) --j;
        return idx[j];
      }
      return idx[(n - 1) / 2];
    }
    case SelectKind::NanMedian: {
      int64_t m = n;
      while (m > 0 && sort_is_nan(K(row[idx[m - 1]]))) --m;
      return m == 0 ? 0 : idx[(m - 1) / 2];
    }
    case SelectKind::Mode: {
      int64_t best = 0, best_count = 0;
      for (int64_t j = 0; j < n;) {
        int64_t e = j + 1;
        while (e < n && sort_same(K(row[idx[e]]), K(row[idx[j]]))) ++e;
        if (e - j > best_count) best_count = e - j, best = e - 1;  // last of the run: the largest index
        j = e;
      }
      return idx[best];
    }
  }
  return 0;
}

}  // namespace steepest::kernels
