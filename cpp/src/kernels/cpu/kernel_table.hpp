// The table of CPU kernels for one instruction set. Each ISA build of the files under isa/
// fills its entries; dispatch.cpp picks the table for the running CPU. Ops call kernels
// only through cpu_kernels(), never by ISA.
#pragma once
#include <cstdint>

#include "kernels/cpu/optim_table.hpp"

namespace steepest::kernels {

enum class UnaryOp : uint8_t { Neg, Abs, Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu, Sign, Count };
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Count };
constexpr int kNumUnary = int(UnaryOp::Count);
constexpr int kNumBinary = int(BinaryOp::Count);

template <class T> using UnaryFn = void (*)(int64_t n, const T* x, T* out);
// out[i] = op(a[i], b[i]); the _sa/_sb forms take a broadcast scalar for a or b.
template <class T> using BinaryFn = void (*)(int64_t n, const T* a, const T* b, T* out);
template <class T> using BinarySaFn = void (*)(int64_t n, T a, const T* b, T* out);
template <class T> using BinarySbFn = void (*)(int64_t n, const T* a, T b, T* out);
// Reductions of n contiguous values. Sums are pairwise-blocked; max/min propagate NaN.
template <class T> using ReduceFn = T (*)(const T* x, int64_t n);
// out[j] += x[i*n + j] for i < rows: the column sums of a row-major (rows, n) block,
// accumulated pairwise over rows.
template <class T> using ColumnSumFn = void (*)(const T* x, int64_t rows, int64_t n, T* out);

template <class T>
struct TypedKernels {
  UnaryFn<T> unary[kNumUnary] = {};
  BinaryFn<T> binary[kNumBinary] = {};
  BinarySaFn<T> binary_sa[kNumBinary] = {};
  BinarySbFn<T> binary_sb[kNumBinary] = {};
  ReduceFn<T> sum = nullptr, max = nullptr, min = nullptr;
  ColumnSumFn<T> column_sum = nullptr;
  // elementwise extras (added by ops/elementwise)
  // out[i] = a[i] + alpha * b[i] as one fused multiply-add (torch's add/sub with alpha).
  void (*add_alpha)(int64_t n, const T* a, const T* b, T alpha, T* out) = nullptr;
  // out[i] = min(max(x[i], lo), hi); NaN in x or in a bound propagates (torch.clamp).
  void (*clamp)(int64_t n, const T* x, T lo, T hi, T* out) = nullptr;
  // Reads nin (1..4) arrays and writes one (none if out is null) with no arithmetic worth the
  // name: the memory-traffic limit that benchmarks of an elementwise op compare against.
  void (*stream)(int64_t n, const T* const* in, int nin, T* out) = nullptr;

  // reduction extras (added by ops/reduce)
  // out[j] = reduction over i < rows of x[i*ld + j], for j < n (written, not accumulated):
  // sums pairwise over rows; max/min NaN-sticky and need rows >= 1.
  void (*column_sum_ld)(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) = nullptr;
  void (*column_max)(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) = nullptr;
  void (*column_min)(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) = nullptr;
  // *sd = sum(x - mean), *sd2 = sum((x - mean)^2), both pairwise: a variance's second pass.
  void (*sum_dev)(const T* x, int64_t n, T mean, T* sd, T* sd2) = nullptr;

  // optimizer updates and grad norms (added by optim; kernels/cpu/optim_table.hpp)
  OptimKernels<T> optim;

};

struct KernelTable {
  const char* isa = "";
  TypedKernels<float> f32;
  TypedKernels<double> f64;
};

// The active table: chosen once (CPU detection, or STEEPEST_ISA), changeable by set_isa().
const KernelTable& cpu_kernels();

}  // namespace steepest::kernels
