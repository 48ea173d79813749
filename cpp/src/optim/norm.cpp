// Multi-tensor reductions and scaling over many tensors at once: the global grad norm that
// clipping needs, in-place scaling, and the benchmark's memory-traffic limit kernel.
#include <cmath>
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
  bool f64;
};

// Contiguous float tensors split into chunks of at most kChunk elements, in order.
std::vector<Piece> pieces_of(const std::vector<Tensor>& tensors, const char* what, int64_t* total) {
  std::vector<Piece> out;
  *total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) continue;
    STEEPEST_CHECK(t.dtype() == kFloat32 || t.dtype() == kFloat64, TypeError, what, ": tensor ", i, " is ",
                   dtype_name(t.dtype()), "; expected float32 or float64");
    STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, what, ": tensor ", i, " is on ", t.device().str());
    STEEPEST_CHECK(t.is_contiguous(), ValueError, what, ": tensor ", i, " must be contiguous");
    const bool f64 = t.dtype() == kFloat64;
    const char* base = static_cast<const char*>(t.data_ptr());
    for (int64_t b = 0; b < t.numel(); b += kChunk)
      out.push_back({base + b * (f64 ? 8 : 4), std::min(kChunk, t.numel() - b), f64});
    *total += t.numel();
  }
  return out;
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
  const auto& k = kernels::cpu_kernels();
  std::vector<double> part(pieces.size());
  const int64_t np = int64_t(pieces.size());
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    if (inf) {
      part[size_t(i)] = p.f64 ? k.f64.optim.max_abs(static_cast<const double*>(p.data), p.n)
                              : double(k.f32.optim.max_abs(static_cast<const float*>(p.data), p.n));
    } else if (norm_type == 2) {
      part[size_t(i)] = p.f64 ? k.f64.optim.sum_sq(static_cast<const double*>(p.data), p.n)
                              : k.f32.optim.sum_sq(static_cast<const float*>(p.data), p.n);
    } else {
      part[size_t(i)] = p.f64 ? k.f64.optim.sum_abs(static_cast<const double*>(p.data), p.n)
                              : k.f32.optim.sum_abs(static_cast<const float*>(p.data), p.n);
    }
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
  const auto& k = kernels::cpu_kernels();
  const int64_t np = int64_t(pieces.size());
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    if (p.f64) k.f64.optim.scale(static_cast<double*>(const_cast<void*>(p.data)), p.n, factor);
    else k.f32.optim.scale(static_cast<float*>(const_cast<void*>(p.data)), p.n, float(factor));
  };
  if (go_parallel(total, pieces.size())) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < np; ++i) one(i);
  } else {
    for (int64_t i = 0; i < np; ++i) one(i);
  }
  for (const Tensor& t : tensors)
    if (t.defined()) t.bump_version();
}

namespace detail {

void touch_step(const TensorLists& lists) {
  const int k = int(lists.size());
  STEEPEST_CHECK(k >= 2 && k <= kMaxArrays, ValueError, "touch_step: expected 2 to ", kMaxArrays, " lists, got ", k);
  std::vector<Row> rows;
  for (size_t i = 0; i < lists[0].size(); ++i) {
    Row r;
    const Tensor& p = lists[0][i];
    STEEPEST_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, TypeError, "touch_step: float tensors only");
    r.numel = p.numel();
    r.f64 = p.dtype() == kFloat64;
    for (int j = 0; j < k; ++j) {
      const Tensor& t = lists[size_t(j)].at(i);
      STEEPEST_CHECK(t.defined() && t.is_contiguous() && t.dtype() == p.dtype() && t.numel() == p.numel(), ValueError,
                     "touch_step: list ", j, " entry ", i, " must be a contiguous tensor like the first list's");
      r.arrays[j] = t.data_ptr();
    }
    rows.push_back(r);
  }
  std::vector<updates::TouchStep> steps{{k}};
  run_rows(kernels::OptimRule::Touch, rows, steps);
}

}  // namespace detail
}  // namespace steepest::optim
