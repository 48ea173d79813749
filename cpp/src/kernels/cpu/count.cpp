// The CPU kernels of counting and binning (dispatch/count.hpp): serial accumulation for
// bincount and histc (exact and order-independent for counts), binary search per value for
// searchsorted.
#include <type_traits>
#include <vector>

#include "dispatch/count.hpp"
#include "kernels/count_math.hpp"

namespace steepest::kernels::cpu {

namespace {

using kernels::histc_bin;
using kernels::search_row;
using kernels::SearchKey;

void bincount(const Tensor& out, const Tensor& x, const Tensor& weights) {
  const int64_t* px = x.data<int64_t>();
  const int64_t n = x.numel();
  if (out.dtype() == kInt64) {
    int64_t* o = out.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) ++o[px[i]];
  } else {
    double* o = out.data<double>();
    const double* w = weights.data<double>();
    for (int64_t i = 0; i < n; ++i) o[px[i]] += w[i];
  }
}

void histc(const Tensor& out, const Tensor& x, double lo, double hi) {
  const int64_t bins = out.numel(), n = x.numel();
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T> || detail::is_half_v<T>) {
      const T* px = static_cast<const T*>(x.data_ptr());
      T* o = static_cast<T*>(out.data_ptr());
      std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t b = histc_bin(double(px[i]), lo, hi, bins);
        if (b >= 0) ++counts[size_t(b)];
      }
      for (int64_t b = 0; b < bins; ++b) o[b] = detail::cast_to<T>(counts[size_t(b)]);
    }
  });
}

void searchsorted(const Tensor& out, const Tensor& sorted, const Tensor& values, const Tensor& sorter, int64_t m,
                  bool right) {
  const int64_t total = values.numel();
  const int64_t n = values.dim() == 0 ? 1 : values.shape().back();
  const bool shared = sorted.numel() == m;  // one row for every row of values
  const int64_t* ps = sorter.defined() ? sorter.data<int64_t>() : nullptr;
  visit_dtype(values.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* seq = static_cast<const T*>(sorted.data_ptr());
    const T* pv = static_cast<const T*>(values.data_ptr());
    for (int64_t i = 0; i < total; ++i) {
      int64_t row = shared ? 0 : i / n;
      const T* s = seq + row * m;
      const int64_t* perm = ps ? ps + row * m : nullptr;
      const int64_t lo = search_row(s, perm, m, SearchKey<T>(pv[i]), right);
      if (out.dtype() == kInt32) out.data<int32_t>()[i] = int32_t(lo);
      else out.data<int64_t>()[i] = lo;
    }
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::bincount_stub, CPU, bincount);
STEEPEST_REGISTER_KERNEL(dispatch::histc_stub, CPU, histc);
STEEPEST_REGISTER_KERNEL(dispatch::searchsorted_stub, CPU, searchsorted);

}  // namespace steepest::kernels::cpu
