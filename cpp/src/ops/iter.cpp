// ElementwiseIter: broadcasting, dim merging and (parallel) traversal in runs.
#include "ops/iter.hpp"

#include <omp.h>

#include <algorithm>

#include "steepest/ops/elementwise.hpp"

namespace steepest {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    STEEPEST_CHECK(da == db || da == 1 || db == 1, ValueError, "shapes ", a, " and ", b,
                   " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace steepest

namespace steepest::detail {

ElementwiseIter::ElementwiseIter(const std::vector<Tensor>& ops) {
  STEEPEST_CHECK(!ops.empty() && int(ops.size()) <= kMaxOperands, ValueError, "bad operand count");
  nops_ = int(ops.size());
  const Shape& out_shape = ops[0].shape();
  size_t nd = out_shape.size();
  numel_ = numel_of(out_shape);

  // Per operand, byte strides aligned to the output's dims (0 where broadcast).
  std::array<Strides, kMaxOperands> full;
  for (int k = 0; k < nops_; ++k) {
    const Tensor& t = ops[size_t(k)];
    base_[size_t(k)] = static_cast<char*>(t.data_ptr());
    full[size_t(k)] = Strides(nd, 0);
    size_t tn = t.shape().size();
    STEEPEST_CHECK(tn <= nd, ValueError, "shape ", t.shape(), " cannot be broadcast to ", out_shape);
    int64_t isz = int64_t(t.itemsize());
    for (size_t i = 0; i < tn; ++i) {
      size_t od = nd - tn + i;
      int64_t s = t.shape()[i];
      STEEPEST_CHECK(s == out_shape[od] || s == 1, ValueError, "shape ", t.shape(),
                     " cannot be broadcast to ", out_shape);
      // A size-1 dim (broadcast or not) is never stepped over, and an empty result addresses
      // nothing: their strides, which may be huge, are not turned into byte counts. Any other
      // stride times the item size fits, as the tensor's reach in bytes does.
      int64_t bytes = 0;
      if (s != 1 && numel_ != 0) {
        const bool overflow = __builtin_mul_overflow(t.strides()[i], isz, &bytes);
        STEEPEST_CHECK(!overflow, ValueError, "stride ", t.strides()[i], " of a tensor of shape ", t.shape(),
                       " overflows a byte offset");
      }
      full[size_t(k)][od] = bytes;
    }
  }

  // Drop size-1 dims, then merge dim i into i+1 when every operand steps over it densely.
  for (size_t d = 0; d < nd; ++d) {
    if (out_shape[d] == 1) continue;
    if (!shape_.empty()) {
      size_t last = shape_.size() - 1;
      bool mergeable = true;
      for (int k = 0; k < nops_; ++k)
        if (strides_[size_t(k)][last] != full[size_t(k)][d] * out_shape[d]) { mergeable = false; break; }
      if (mergeable) {
        shape_[last] *= out_shape[d];
        for (int k = 0; k < nops_; ++k) strides_[size_t(k)][last] = full[size_t(k)][d];
        continue;
      }
    }
    shape_.push_back(out_shape[d]);
    for (int k = 0; k < nops_; ++k) strides_[size_t(k)].push_back(full[size_t(k)][d]);
  }
  if (shape_.empty()) {  // a single element (or 0-d)
    shape_.push_back(numel_ == 0 ? 0 : 1);
    for (int k = 0; k < nops_; ++k) strides_[size_t(k)].push_back(0);
  }
}

bool ElementwiseIter::is_contiguous_1d() const { return shape_.size() == 1; }

void ElementwiseIter::run_range(const RunFn& fn, int64_t begin, int64_t end) const {
  const size_t nd = shape_.size();
  const int64_t inner = shape_[nd - 1];
  // Multi-index of `begin` over the merged dims.
  Shape idx(nd, 0);
  int64_t rem = begin;
  for (size_t d = nd; d-- > 0;) { idx[d] = rem % shape_[d]; rem /= shape_[d]; }
  std::array<char*, kMaxOperands> ptr{};
  std::array<int64_t, kMaxOperands> inner_stride{};
  for (int k = 0; k < nops_; ++k) {
    ptr[size_t(k)] = base_[size_t(k)];
    for (size_t d = 0; d < nd; ++d) ptr[size_t(k)] += idx[d] * strides_[size_t(k)][d];
    inner_stride[size_t(k)] = strides_[size_t(k)][nd - 1];
  }
  int64_t pos = begin;
  while (pos < end) {
    int64_t n = std::min(inner - idx[nd - 1], end - pos);
    fn(ptr.data(), inner_stride.data(), n);
    pos += n;
    if (pos >= end) break;
    // Advance: finish this inner run, then carry into the outer dims.
    for (int k = 0; k < nops_; ++k) ptr[size_t(k)] += (n - 0) * inner_stride[size_t(k)];
    idx[nd - 1] += n;
    for (size_t d = nd - 1; d > 0 && idx[d] == shape_[d]; --d) {
      for (int k = 0; k < nops_; ++k)
        ptr[size_t(k)] += strides_[size_t(k)][d - 1] - shape_[d] * strides_[size_t(k)][d];
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

void ElementwiseIter::for_each(const RunFn& fn, int64_t grain) const {
  if (numel_ == 0) return;
  int nthreads = numel_ >= 2 * grain ? omp_get_max_threads() : 1;
  if (nthreads <= 1 || omp_in_parallel()) {
    run_range(fn, 0, numel_);
    return;
  }
  nthreads = int(std::min<int64_t>(nthreads, numel_ / grain));
#pragma omp parallel num_threads(nthreads)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    // Split on multiples of 16 elements so SIMD runs stay aligned to cache lines where possible.
    int64_t chunk = ((numel_ + nt - 1) / nt + 15) / 16 * 16;
    int64_t b = std::min<int64_t>(int64_t(t) * chunk, numel_), e = std::min<int64_t>(b + chunk, numel_);
    if (b < e) run_range(fn, b, e);
  }
}

}  // namespace steepest::detail
