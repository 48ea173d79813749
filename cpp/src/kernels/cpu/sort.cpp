// The CPU kernels of sorting and order statistics (dispatch/sort.hpp): each row is sorted
// by a stable index sort (NaN after every number), then read off. Rows run in parallel.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

#include "dispatch/sort.hpp"
#include "ops/cast.hpp"

namespace steepest::kernels::cpu {

namespace {

using dispatch::SelectKind;

// The type elements compare in: 16-bit floats as float, the rest as themselves.
template <class T> using Key = std::conditional_t<detail::is_half_v<T>, float, T>;

template <class K> bool is_nan(K v) {
  if constexpr (std::is_floating_point_v<K>) return std::isnan(v);
  else return false;
}
// Strict orders with NaN as the largest value (ascending: last; descending: first).
template <class K> bool before_asc(K a, K b) { return is_nan(b) ? !is_nan(a) : a < b; }
template <class K> bool before_desc(K a, K b) { return is_nan(a) ? !is_nan(b) : b < a; }
template <class K> bool same(K a, K b) { return a == b || (is_nan(a) && is_nan(b)); }

// Rows below this many elements in total stay on one thread.
constexpr int64_t kParallelElems = 32768;

template <class F>
void for_rows(int64_t rows, int64_t n, const F& f) {
  if (rows > 1 && rows * n >= kParallelElems && !omp_in_parallel()) {
#pragma omp parallel
    {
      std::vector<int64_t> idx(static_cast<size_t>(n));
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r) f(r, idx);
    }
  } else {
    std::vector<int64_t> idx(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) f(r, idx);
  }
}

// idx = 0..n-1 ordered stably by row's values.
template <class T>
void order_row(const T* row, std::vector<int64_t>& idx, bool descending) {
  using K = Key<T>;
  std::iota(idx.begin(), idx.end(), int64_t(0));
  if (descending)
    std::stable_sort(idx.begin(), idx.end(), [row](int64_t a, int64_t b) { return before_desc(K(row[a]), K(row[b])); });
  else
    std::stable_sort(idx.begin(), idx.end(), [row](int64_t a, int64_t b) { return before_asc(K(row[a]), K(row[b])); });
}

void sort(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t rows, bool descending) {
  const int64_t n = x.numel() / rows;
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* pv = static_cast<T*>(values.data_ptr());
    int64_t* pi = indices.data<int64_t>();
    for_rows(rows, n, [&](int64_t r, std::vector<int64_t>& idx) {
      const T* row = px + r * n;
      order_row(row, idx, descending);
      for (int64_t j = 0; j < n; ++j) {
        pv[r * n + j] = row[idx[size_t(j)]];
        pi[r * n + j] = idx[size_t(j)];
      }
    });
  });
}

// The position in the ascending order of `row` (idx) that `kind` picks, and its index.
template <class T>
int64_t pick(const T* row, const std::vector<int64_t>& idx, int64_t n, SelectKind kind, int64_t k) {
  using K = Key<T>;
  switch (kind) {
    case SelectKind::Kth: return idx[size_t(k - 1)];
    case SelectKind::Median: {
      // NaNs sort last, so the row holds one iff the last element is NaN; the first of them
      // is then the first NaN in index order (the sort is stable).
      if (is_nan(K(row[idx[size_t(n - 1)]]))) {
        int64_t j = n - 1;
        while (j > 0 && is_nan(K(row[idx[size_t(j - 1)]]))) --j;
        return idx[size_t(j)];
      }
      return idx[size_t((n - 1) / 2)];
    }
    case SelectKind::NanMedian: {
      int64_t m = n;
      while (m > 0 && is_nan(K(row[idx[size_t(m - 1)]]))) --m;
      return m == 0 ? 0 : idx[size_t((m - 1) / 2)];
    }
    case SelectKind::Mode: {
      int64_t best = 0, best_count = 0;
      for (int64_t j = 0; j < n;) {
        int64_t e = j + 1;
        while (e < n && same(K(row[idx[size_t(e)]]), K(row[idx[size_t(j)]]))) ++e;
        if (e - j > best_count) best_count = e - j, best = e - 1;  // last of the run: the largest index
        j = e;
      }
      return idx[size_t(best)];
    }
  }
  return 0;
}

void select(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t rows, SelectKind kind, int64_t k) {
  const int64_t n = x.numel() / rows;
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* px = static_cast<const T*>(x.data_ptr());
    T* pv = static_cast<T*>(values.data_ptr());
    int64_t* pi = indices.data<int64_t>();
    for_rows(rows, n, [&](int64_t r, std::vector<int64_t>& idx) {
      const T* row = px + r * n;
      order_row(row, idx, false);
      int64_t i = pick(row, idx, n, kind, k);
      pv[r] = row[i];
      pi[r] = i;
    });
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::sort_stub, CPU, sort);
STEEPEST_REGISTER_KERNEL(dispatch::select_stub, CPU, select);

}  // namespace steepest::kernels::cpu
