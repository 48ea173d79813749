// The few CBLAS entry points steepest calls, declared by hand: scipy-openblas32 prefixes every
// symbol with scipy_ and uses 32-bit ints, and its cblas.h would clash with a plain OpenBLAS.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

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

// C = alpha op(A) op(B) + beta C, row-major. OpenBLAS itself runs single-threaded
// (runtime/threads.cpp): a large product is split here into blocks of C's rows (or columns,
// when C is wide) and each OpenMP thread multiplies one block. One thread pool then serves
// GEMMs and every other kernel; with two pools, OpenMP threads spinning after an elementwise
// op took the cores from OpenBLAS's threads (a 2-thread MLP step ran 2.5x slower than 1).
template <class T>
void gemm_ex(Trans ta, Trans tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta,
             T* c, int ldc) {
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
inline void gemv(Trans ta, int m, int n, const float* a, int lda, const float* x, int incx, float* y, int incy) {
  scipy_cblas_sgemv(RowMajor, ta, m, n, 1.0f, a, lda, x, incx, 0.0f, y, incy);
}
inline void gemv(Trans ta, int m, int n, const double* a, int lda, const double* x, int incx, double* y, int incy) {
  scipy_cblas_dgemv(RowMajor, ta, m, n, 1.0, a, lda, x, incx, 0.0, y, incy);
}
inline float dot(int n, const float* x, int incx, const float* y, int incy) {
  return scipy_cblas_sdot(n, x, incx, y, incy);
}
inline double dot(int n, const double* x, int incx, const double* y, int incy) {
  return scipy_cblas_ddot(n, x, incx, y, incy);
}

}  // namespace steepest::blas
