// Multi-tensor reductions and scaling over many tensors at once: the global grad norm that
// clipping needs, in-place scaling, GradScaler's check-and-unscale, and the benchmark's
// memory-traffic limit kernel.
#include <cmath>
#include <algorithm>
#include <limits>

#include <omp.h>

#include "kernels/cpu/kernel_table.hpp"
#include "optim/driver.hpp"
#include "optim/updates/touch.hpp"
#include "steepest/ops.hpp"

namespace steepest::optim {

namespace {

constexpr int64_t kChunk = 32768;
constexpr int64_t kParallelMin = 65536;

struct Piece {
  const void* data;
  int64_t n;
  DType dtype;
};

// Contiguous float tensors split into chunks of at most kChunk elements, in order.
std::vector<Piece> pieces_of(const std::vector<Tensor>& tensors, const char* what, int64_t* total) {
  std::vector<Piece> out;
  *total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) continue;
    const DType d = t.dtype();
    STEEPEST_CHECK(d == kFloat32 || d == kFloat64 || d == kBFloat16 || d == kFloat16, TypeError, what, ": tensor ", i,
                   " is ", dtype_name(d), "; expected float32, float64, bfloat16 or float16");
    STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, what, ": tensor ", i, " is on ", t.device().str());
    STEEPEST_CHECK(t.is_contiguous(), ValueError, what, ": tensor ", i, " must be contiguous");
    const char* base = static_cast<const char*>(t.data_ptr());
    for (int64_t b = 0; b < t.numel(); b += kChunk)
      out.push_back({base + b * int64_t(t.itemsize()), std::min(kChunk, t.numel() - b), d});
    *total += t.numel();
  }
  return out;
}

// Half-precision pieces go through float32 blocks of this many values.
constexpr int64_t kHalfBlock = 2048;

template <class H>
void widen_block(const void* src, float* dst, int64_t n) {
  const H* s = static_cast<const H*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = float(s[i]);
}
template <class H>
void narrow_block(const float* src, void* dst, int64_t n) {
  H* d = static_cast<H*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = H(src[i]);
}

// Calls fn(float* block, int64_t len) on float32 copies of a half piece, block by block;
// writes the blocks back if `write`.
template <class Fn>
void over_half(const Piece& p, bool write, Fn fn) {
  float buf[kHalfBlock];
  const size_t es = 2;
  for (int64_t b = 0; b < p.n; b += kHalfBlock) {
    const int64_t len = std::min(kHalfBlock, p.n - b);
    const void* src = static_cast<const char*>(p.data) + size_t(b) * es;
    if (p.dtype == kBFloat16) widen_block<bfloat16>(src, buf, len);
    else widen_block<float16>(src, buf, len);
    fn(buf, len);
    if (!write) continue;
    void* dst = const_cast<char*>(static_cast<const char*>(src));
    if (p.dtype == kBFloat16) narrow_block<bfloat16>(buf, dst, len);
    else narrow_block<float16>(buf, dst, len);
  }
}

// max |x| of a piece, NaN if any x is NaN (so a non-finite piece gives inf or NaN).
double piece_max_abs(const Piece& p) {
  const auto& k = kernels::cpu_kernels();
  if (p.dtype == kFloat64) return k.f64.optim.max_abs(static_cast<const double*>(p.data), p.n);
  if (p.dtype == kFloat32) return double(k.f32.optim.max_abs(static_cast<const float*>(p.data), p.n));
  double m = 0;
  over_half(p, false, [&](float* x, int64_t n) {
    const double v = double(k.f32.optim.max_abs(x, n));
    if (std::isnan(v) || std::isnan(m)) m = std::numeric_limits<double>::quiet_NaN();
    else m = v > m ? v : m;
  });
  return m;
}

double piece_sum(const Piece& p, bool squares) {
  const auto& k = kernels::cpu_kernels();
  if (p.dtype == kFloat64) {
    const double* x = static_cast<const double*>(p.data);
    return squares ? k.f64.optim.sum_sq(x, p.n) : k.f64.optim.sum_abs(x, p.n);
  }
  if (p.dtype == kFloat32) {
    const float* x = static_cast<const float*>(p.data);
    return squares ? k.f32.optim.sum_sq(x, p.n) : k.f32.optim.sum_abs(x, p.n);
  }
  double s = 0;
  over_half(p, false, [&](float* x, int64_t n) { s += squares ? k.f32.optim.sum_sq(x, n) : k.f32.optim.sum_abs(x, n); });
  return s;
}

void piece_scale(const Piece& p, double factor) {
  const auto& k = kernels::cpu_kernels();
  if (p.dtype == kFloat64) k.f64.optim.scale(static_cast<double*>(const_cast<void*>(p.data)), p.n, factor);
  else if (p.dtype == kFloat32) k.f32.optim.scale(static_cast<float*>(const_cast<void*>(p.data)), p.n, float(factor));
  else over_half(p, true, [&](float* x, int64_t n) { k.f32.optim.scale(x, n, float(factor)); });
}

bool go_parallel(int64_t total, size_t pieces) {
  return total >= kParallelMin && pieces > 1 && omp_get_max_threads() > 1;
}

}  // namespace

double total_norm(const std::vector<Tensor>& tensors, double norm_type) {
  STEEPEST_CHECK(norm_type > 0, ValueError, "total_norm: norm_type must be > 0, got ", norm_type);
  const bool inf = std::isinf(norm_type);
  if (!inf && norm_type != 1 && norm_type != 2) {
    // General p: sum |x|^p through the elementwise ops, then the p-th root.
    double s = 0;
    for (const Tensor& t : tensors) {
      if (!t.defined()) continue;
      s += sum(pow(abs(to_dtype(t, kFloat64)), Scalar(norm_type))).item<double>();
    }
    return std::pow(s, 1.0 / norm_type);
  }
  int64_t total = 0;
  const auto pieces = pieces_of(tensors, "total_norm", &total);
  std::vector<double> part(pieces.size());
  const int64_t np = int64_t(pieces.size());
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    part[size_t(i)] = inf ? piece_max_abs(p) : piece_sum(p, norm_type == 2);
  };
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < np; ++i) one(i);
  } else {
    for (int64_t i = 0; i < np; ++i) one(i);
  }
  // Combined in piece order: the result doesn't depend on the thread count.
  if (inf) {
    double m = 0;
    for (double v : part) {
      if (std::isnan(v)) return v;
      m = v > m ? v : m;
    }
    return m;
  }
  double s = 0;
  for (double v : part) s += v;
  return norm_type == 2 ? std::sqrt(s) : s;
}

void scale_(const std::vector<Tensor>& tensors, double factor) {
  int64_t total = 0;
  const auto pieces = pieces_of(tensors, "scale_", &total);
  const int64_t np = int64_t(pieces.size());
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < np; ++i) piece_scale(pieces[size_t(i)], factor);
  } else {
    for (int64_t i = 0; i < np; ++i) piece_scale(pieces[size_t(i)], factor);
  }
  for (const Tensor& t : tensors)
    if (t.defined()) t.bump_version();
}

namespace {
// One pass: each chunk is checked (max |x|) and then, if scaling, scaled while it is still in
// cache. Returns whether any value was inf or NaN.
bool check_and_scale(const std::vector<Tensor>& tensors, const char* what, bool scale, double factor) {
  int64_t total = 0;
  const auto pieces = pieces_of(tensors, what, &total);
  const int64_t np = int64_t(pieces.size());
  int bad = 0;
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    const double m = piece_max_abs(p);
    if (scale) piece_scale(p, factor);
    return !std::isfinite(m);
  };
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int64_t i = 0; i < np; ++i) bad |= int(one(i));
  } else {
    for (int64_t i = 0; i < np; ++i) bad |= int(one(i));
  }
  if (scale)
    for (const Tensor& t : tensors)
      if (t.defined()) t.bump_version();
  return bad != 0;
}
}  // namespace

bool any_nonfinite(const std::vector<Tensor>& tensors) { return check_and_scale(tensors, "any_nonfinite", false, 1); }

bool unscale_(const std::vector<Tensor>& tensors, double inv_scale) {
  return check_and_scale(tensors, "unscale_", inv_scale != 1.0, inv_scale);
}

namespace detail {

namespace {
// The limit kernels: the same memory streams as an update (one add per element), over rows
// built like the driver's. `rule` says whether the last list is stored back.
template <class Kernel>
void touch_rows(const TensorLists& lists, const char* name, int min_lists) {
  const int k = int(lists.size());
  STEEPEST_CHECK(k >= min_lists && k <= kMaxSlots, ValueError, name, ": expected ", min_lists, " to ", kMaxSlots,
                 " lists, got ", k);
  std::vector<Row> rows;
  for (size_t i = 0; i < lists[0].size(); ++i) {
    Row r;
    const Tensor& p = lists[0][i];
    STEEPEST_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, TypeError, name, ": float tensors only");
    r.numel = p.numel();
    r.f64 = p.dtype() == kFloat64;
    for (int j = 0; j < k; ++j) {
      const Tensor& t = lists[size_t(j)].at(i);
      STEEPEST_CHECK(t.defined() && t.is_contiguous() && t.dtype() == p.dtype() && t.numel() == p.numel(), ValueError,
                     name, ": list ", j, " entry ", i, " must be a contiguous tensor like the first list's");
      r.arrays[j] = t.data_ptr();
    }
    rows.push_back(r);
  }
  run_rows<Kernel>(rows, {{k}});
}
}  // namespace

void touch_step(const TensorLists& lists) { touch_rows<updates::TouchKernel>(lists, "touch_step", 2); }

void touch_step_last_read_only(const TensorLists& lists) {
  touch_rows<updates::TouchLastReadOnlyKernel>(lists, "touch_step_last_read_only", 3);
}

}  // namespace detail
}  // namespace steepest::optim
