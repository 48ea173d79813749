// The few CBLAS entry points steepest calls, declared by hand: scipy-openblas32 prefixes every
// symbol with scipy_ and uses 32-bit ints, and its cblas.h would clash with a plain OpenBLAS.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "kernels/cpu/kernel_table.hpp"
#include "steepest/runtime.hpp"

namespace steepest::blas {

enum Order : int { RowMajor = 101, ColMajor = 102 };
enum Trans : int { NoTrans = 111, DoTrans = 112 };

extern "C" {
void scipy_cblas_sgemm(Order order, Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda,
                       const float* b, int ldb, float beta, float* c, int ldc);
void scipy_cblas_dgemm(Order order, Trans ta, Trans tb, int m, int n, int k, double alpha, const double* a,
                       int lda, const double* b, int ldb, double beta, double* c, int ldc);
void scipy_cblas_sgemv(Order order, Trans ta, int m, int n, float alpha, const float* a, int lda, const float* x,
                       int incx, float beta, float* y, int incy);
void scipy_cblas_dgemv(Order order, Trans ta, int m, int n, double alpha, const double* a, int lda,
                       const double* x, int incx, double beta, double* y, int incy);
float scipy_cblas_sdot(int n, const float* x, int incx, const float* y, int incy);
double scipy_cblas_ddot(int n, const double* x, int incx, const double* y, int incy);
}

// One call of the BLAS for T (single-threaded: see gemm_ex).
inline void gemm_call(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
                      int ldb, float beta, float* c, int ldc) {
  scipy_cblas_sgemm(RowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm_call(Trans ta, Trans tb, int m, int n, int k, double alpha, const double* a, int lda,
                      const double* b, int ldb, double beta, double* c, int ldc) {
  scipy_cblas_dgemm(RowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Products smaller than this (m*n*k) run on one thread: below it, each thread packing its own
// copy of op(B) and waking the other cost more than the split saves (measured on 256^3).
constexpr double kParallelGemmWork = double(1 << 25);

// The deterministic path (use_deterministic_algorithms): rows of C split over threads in
// blocks; every element's fma chain is the same whatever the split or the ISA (isa/gemm.cpp).
template <class T>
const kernels::TypedKernels<T>& typed_table() {
  if constexpr (sizeof(T) == 4) return kernels::cpu_kernels().f32;
  else return kernels::cpu_kernels().f64;
}

template <class T>
void gemm_deterministic(Trans ta, Trans tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb,
                        T beta, T* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  const bool at = ta == DoTrans, bt = tb == DoTrans;
  const auto gemm = typed_table<T>().gemm_fixed;
  const int64_t ws_len = (kernels::kGemmFixedRows + kernels::kGemmFixedPanel<T>) * std::max(k, 1);
  int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (nt <= 1 || double(m) * double(n) * double(k) < kParallelGemmWork || m < 2) {
    std::unique_ptr<T[]> ws(new T[size_t(ws_len)]);
    gemm(at, bt, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ws.get());
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), parts = omp_get_num_threads();
    const int per = (m + parts - 1) / parts;
    const int lo = std::min(m, t * per), hi = std::min(m, lo + per);
    if (lo < hi) {
      std::unique_ptr<T[]> ws(new T[size_t(ws_len)]);
      const T* a_lo = at ? a + lo : a + int64_t(lo) * lda;  // op(A)'s row lo
      gemm(at, bt, hi - lo, n, k, alpha, a_lo, lda, b, ldb, beta, c + int64_t(lo) * ldc, ldc, ws.get());
    }
  }
}

// C = alpha op(A) op(B) + beta C, row-major. OpenBLAS itself runs single-threaded
// (runtime/threads.cpp): a large product is split here into blocks of C's rows (or columns,
// when C is wide) and each OpenMP thread multiplies one block. One thread pool then serves
// GEMMs and every other kernel; with two pools, OpenMP threads spinning after an elementwise
// op took the cores from OpenBLAS's threads (a 2-thread MLP step ran 2.5x slower than 1).
template <class T>
void gemm_ex(Trans ta, Trans tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta,
             T* c, int ldc) {
  if (deterministic()) return gemm_deterministic<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (nt <= 1 || double(m) * double(n) * double(k) < kParallelGemmWork || (m < 16 && n < 16))
    return gemm_call(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const bool by_rows = m >= n;
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), parts = omp_get_num_threads();
    const int total = by_rows ? m : n;
    const int per = ((total + parts - 1) / parts + 15) / 16 * 16;  // whole cache lines of C
    const int lo = std::min(total, t * per), hi = std::min(total, lo + per);
    if (lo < hi) {
      if (by_rows) {
        const T* ab = ta == NoTrans ? a + int64_t(lo) * lda : a + lo;
        gemm_call(ta, tb, hi - lo, n, k, alpha, ab, lda, b, ldb, beta, c + int64_t(lo) * ldc, ldc);
      } else {
        const T* bb = tb == NoTrans ? b + lo : b + int64_t(lo) * ldb;
        gemm_call(ta, tb, m, hi - lo, k, alpha, a, lda, bb, ldb, beta, c + lo, ldc);
      }
    }
  }
}

// C = op(A) op(B): the GEMM driver of matmul, written once over T.
template <class T>
inline void gemm(Trans ta, Trans tb, int m, int n, int k, const T* a, int lda, const T* b, int ldb, T* c, int ldc) {
  gemm_ex<T>(ta, tb, m, n, k, T(1), a, lda, b, ldb, T(0), c, ldc);
}
inline void gemv_call(Trans ta, int m, int n, const float* a, int lda, const float* x, int incx, float* y, int incy) {
  scipy_cblas_sgemv(RowMajor, ta, m, n, 1.0f, a, lda, x, incx, 0.0f, y, incy);
}
inline void gemv_call(Trans ta, int m, int n, const double* a, int lda, const double* x, int incx, double* y,
                      int incy) {
  scipy_cblas_dgemv(RowMajor, ta, m, n, 1.0, a, lda, x, incx, 0.0, y, incy);
}
inline float dot_call(int n, const float* x, int incx, const float* y, int incy) {
  return scipy_cblas_sdot(n, x, incx, y, incy);
}
inline double dot_call(int n, const double* x, int incx, const double* y, int incy) {
  return scipy_cblas_ddot(n, x, incx, y, incy);
}

// x (n values, stride inc) as a unit-stride array: x itself or a copy held by keep.
template <class T>
const T* unit_stride(const T* x, int n, int inc, std::unique_ptr<T[]>& keep) {
  if (inc == 1) return x;
  keep.reset(new T[size_t(std::max(n, 1))]);
  for (int i = 0; i < n; ++i) keep[size_t(i)] = x[int64_t(i) * inc];
  return keep.get();
}

template <class T>
T dot(int n, const T* x, int incx, const T* y, int incy) {
  if (!deterministic()) return dot_call(n, x, incx, y, incy);
  std::unique_ptr<T[]> kx, ky;
  return typed_table<T>().dot_fixed(unit_stride(x, n, incx, kx), unit_stride(y, n, incy, ky), n);
}

// y = op(A) x for row-major A (m x n). Deterministic: a fixed-lane dot per row when A is not
// transposed, otherwise the deterministic GEMM of the row x^T (1 x m) by A (m x n).
template <class T>
void gemv(Trans ta, int m, int n, const T* a, int lda, const T* x, int incx, T* y, int incy) {
  if (!deterministic()) return gemv_call(ta, m, n, a, lda, x, incx, y, incy);
  std::unique_ptr<T[]> kx;
  if (ta == NoTrans) {
    const T* xu = unit_stride(x, n, incx, kx);
    const auto dotf = typed_table<T>().dot_fixed;
    for (int i = 0; i < m; ++i) y[int64_t(i) * incy] = dotf(a + int64_t(i) * lda, xu, n);
    return;
  }
  const T* xu = unit_stride(x, m, incx, kx);
  std::unique_ptr<T[]> yu;
  T* yo = incy == 1 ? y : (yu.reset(new T[size_t(std::max(n, 1))]), yu.get());
  gemm_deterministic<T>(NoTrans, NoTrans, 1, n, m, T(1), xu, std::max(m, 1), a, lda, T(0), yo, std::max(n, 1));
  if (incy != 1)
    for (int j = 0; j < n; ++j) y[int64_t(j) * incy] = yo[j];
}

}  // namespace steepest::blas
