// The CPU kernels of sorting and order statistics (dispatch/sort.hpp): each row is sorted
// by a stable index sort (NaN after every number), then read off. Rows run in parallel.
#include <omp.h>

#include <algorithm>
#include <numeric>
#include <type_traits>
#include <vector>

#include "dispatch/sort.hpp"
#include "kernels/sort_order.hpp"

namespace steepest::kernels::cpu {

namespace {

using kernels::sort_before_asc;
using kernels::sort_before_desc;

using dispatch::SelectKind;

template <class T> using Key = SortKey<T>;

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
    std::stable_sort(idx.begin(), idx.end(),
                     [row](int64_t a, int64_t b) { return sort_before_desc(K(row[a]), K(row[b])); });
  else
    std::stable_sort(idx.begin(), idx.end(),
                     [row](int64_t a, int64_t b) { return sort_before_asc(K(row[a]), K(row[b])); });
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
      const int64_t i = kernels::sort_pick(row, idx.data(), n, kind, k);
      pv[r] = row[i];
      pi[r] = i;
    });
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::sort_stub, CPU, sort);
STEEPEST_REGISTER_KERNEL(dispatch::select_stub, CPU, select);

}  // namespace steepest::kernels::cpu
