// The few CBLAS entry points steepest calls, declared by hand: scipy-openblas32 prefixes every
// symbol with scipy_ and uses 32-bit ints, and its cblas.h would clash with a plain OpenBLAS.
#pragma once

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

// Typed front doors, so the GEMM driver is written once over T.
inline void gemm(Trans ta, Trans tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                 float* c, int ldc) {
  scipy_cblas_sgemm(RowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
inline void gemm(Trans ta, Trans tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                 double* c, int ldc) {
  scipy_cblas_dgemm(RowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
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
