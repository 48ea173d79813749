// Shared helpers of the nn functional ops: the typed kernel table, a row-parallel loop,
// argument checks with torch-like messages, and the loss reduction.
#pragma once
#include <omp.h>

#include <algorithm>
#include <string>

#include "autograd/record.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "ops/checks.hpp"
#include "steepest/nn/functional.hpp"
#include "steepest/ops.hpp"

namespace steepest::nn::functional::detail {

template <class T>
inline const kernels::TypedKernels<T>& kern() {
  if constexpr (sizeof(T) == 4) return kernels::cpu_kernels().f32;
  else return kernels::cpu_kernels().f64;
}

// Runs fn(r) for r < rows, over OpenMP threads when the work (rows * cost) is large enough
// to pay for waking them (~32k element-ops per thread).
template <class F>
inline void parallel_rows(int64_t rows, int64_t cost_per_row, F fn) {
  const int64_t work = rows * std::max<int64_t>(cost_per_row, 1);
  bool par = rows > 1 && work >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < rows; ++r) fn(r);
}

inline bool is_16bit(DType d) { return d == kBFloat16 || d == kFloat16; }

// A floating tensor on the CPU, else TypeError naming op and argument.
inline void check_float(const Tensor& t, const char* op, const char* arg) {
  steepest::detail::check_cpu(t, op);
  STEEPEST_CHECK(is_floating(t.dtype()), TypeError, op, ": expected ", arg,
                 " to be a floating-point tensor, but got ", dtype_name(t.dtype()));
}

inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op, const char* an, const char* bn) {
  STEEPEST_CHECK(a.dtype() == b.dtype(), TypeError, op, ": expected ", an, " and ", bn,
                 " to have the same dtype, but got ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
}

// Sums or averages a per-element loss; none returns it as is.
inline Tensor reduce_loss(const Tensor& l, Reduction r) {
  if (r == Reduction::Mean) return mean(l);
  if (r == Reduction::Sum) return sum(l);
  return l;
}

// A contiguous float32 copy of a 16-bit tensor, else the tensor itself.
inline Tensor compute_dtype(const Tensor& t) { return is_16bit(t.dtype()) ? to_dtype(t, kFloat32) : t; }

}  // namespace steepest::nn::functional::detail
