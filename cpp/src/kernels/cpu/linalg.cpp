// The CPU kernels of the linear algebra family (dispatch/linalg.hpp): matmul and its
// relatives over OpenBLAS (broadcast batch dims walked by stride, never materialised;
// transposed views passed to BLAS as Trans instead of being copied), and nn.linear's fused
// forward (bias preloaded into y, beta = 1) and backward (gW written straight into a
// contiguous (out, in), gb as column sums of g).
#include <omp.h>

#include <climits>
#include <type_traits>

#include "dispatch/linalg.hpp"
#include "kernels/cpu/blas.hpp"
#include "kernels/cpu/gemm_lowp.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "steepest/ops.hpp"

namespace steepest::kernels::cpu {
namespace {

// An operand seen as a batch of (rows, cols) matrices; strides in elements.
struct Mat {
  const Tensor* t = nullptr;
  Shape bshape;    // batch dims
  Strides bstride;
  int64_t rows = 1, cols = 1, rs = 0, cs = 0;
};

// `is_left`: a 1-D left operand is a (1, K) row; a 1-D right operand is a (K, 1) column.
Mat as_mat(const Tensor& t, bool is_left) {
  Mat m;
  m.t = &t;
  int64_t nd = t.dim();
  if (nd == 1) {
    if (is_left) { m.rows = 1; m.cols = t.shape()[0]; m.rs = 0; m.cs = t.strides()[0]; }
    else { m.rows = t.shape()[0]; m.cols = 1; m.rs = t.strides()[0]; m.cs = 0; }
    return m;
  }
  m.bshape = Shape(t.shape().begin(), t.shape().end() - 2);
  m.bstride = Strides(t.strides().begin(), t.strides().end() - 2);
  m.rows = t.shape()[size_t(nd - 2)];
  m.cols = t.shape()[size_t(nd - 1)];
  m.rs = t.strides()[size_t(nd - 2)];
  m.cs = t.strides()[size_t(nd - 1)];
  return m;
}

// How BLAS can address one matrix: element (i, j) at i*ld + j (NoTrans) or i + j*ld (Trans).
struct Layout {
  bool ok = false;
  blas::Trans trans = blas::NoTrans;
  int64_t ld = 1;
};

Layout blas_layout(const Mat& m) {
  Layout l;
  auto fits = [](int64_t v) { return v >= 1 && v <= INT_MAX; };
  if ((m.cs == 1 || m.cols == 1) && (m.rows == 1 || m.rs >= std::max<int64_t>(1, m.cols))) {
    l.ok = true;
    l.trans = blas::NoTrans;
    l.ld = m.rows == 1 ? std::max<int64_t>(1, m.cols) : m.rs;
  } else if ((m.rs == 1 || m.rows == 1) && (m.cols == 1 || m.cs >= std::max<int64_t>(1, m.rows))) {
    l.ok = true;
    l.trans = blas::DoTrans;
    l.ld = m.cols == 1 ? std::max<int64_t>(1, m.rows) : m.cs;
  }
  l.ok = l.ok && fits(l.ld);
  return l;
}

// Element offset of batch `i` (row-major over `bshape`) in an operand whose own batch dims
// are right-aligned to it; broadcast dims contribute nothing.
struct BatchIndexer {
  Shape bshape;
  Strides strides;  // per result batch dim, 0 where the operand broadcasts
  BatchIndexer(const Shape& out_batch, const Mat& m) : bshape(out_batch), strides(out_batch.size(), 0) {
    size_t off = out_batch.size() - m.bshape.size();
    for (size_t i = 0; i < m.bshape.size(); ++i)
      strides[off + i] = m.bshape[i] == 1 ? 0 : m.bstride[i];
  }
  int64_t operator()(int64_t i) const {
    int64_t o = 0;
    for (size_t d = bshape.size(); d-- > 0;) {
      o += (i % bshape[d]) * strides[d];
      i /= bshape[d];
    }
    return o;
  }
  bool all_broadcast() const {
    for (int64_t s : strides) if (s != 0) return false;
    return true;
  }
};

// Below this many multiply-adds per product OpenBLAS runs single-threaded in the caller (its
// own threshold is 65536 * 4), so batches of such products are spread over OpenMP threads.
constexpr int64_t kSmallGemm = 262144;

template <class T>
void blas_batched(const Mat& A, const Mat& B, const Shape& batch, T* C, int64_t M, int64_t N, int64_t K,
                  bool a_vec, bool b_vec) {
  const T* pa = static_cast<const T*>(A.t->data_ptr());
  const T* pb = static_cast<const T*>(B.t->data_ptr());
  Layout la = blas_layout(A), lb = blas_layout(B);
  BatchIndexer ia(batch, A), ib(batch, B);
  int64_t nb = numel_of(batch);

  // A's batch dims fold into its rows when B is the same for every batch and A's rows of all
  // batches are one evenly strided run (e.g. (B, M, K) @ (K, N)): then it is one big GEMM.
  if (nb > 1 && ib.all_broadcast() && !a_vec && la.trans == blas::NoTrans) {
    bool foldable = true;
    int64_t expect = M * la.ld;
    for (size_t d = batch.size(); d-- > 0 && foldable;) {
      if (batch[d] == 1) continue;
      foldable = ia.strides[d] == expect;
      expect *= batch[d];
    }
    if (foldable && M * nb <= INT_MAX) { M *= nb; nb = 1; }
  }
  STEEPEST_CHECK(M <= INT_MAX && N <= INT_MAX && K <= INT_MAX, NotImplementedError, "matmul: dims (", M, ", ",
                 K, ", ", N, ") exceed the 32-bit BLAS interface");

  auto one = [&](int64_t i) {
    const T* a = pa + ia(i);
    const T* b = pb + ib(i);
    T* c = C + i * M * N;
    if (a_vec && b_vec) {
      *c = blas::dot(int(K), a, int(A.cs), b, int(B.rs));
    } else if (b_vec) {  // (M, K) @ (K,): y = A x
      if (la.trans == blas::NoTrans) blas::gemv(blas::NoTrans, int(M), int(K), a, int(la.ld), b, int(B.rs), c, 1);
      else blas::gemv(blas::DoTrans, int(K), int(M), a, int(la.ld), b, int(B.rs), c, 1);
    } else if (a_vec) {  // (K,) @ (K, N): y = B^T x
      if (lb.trans == blas::NoTrans) blas::gemv(blas::DoTrans, int(K), int(N), b, int(lb.ld), a, int(A.cs), c, 1);
      else blas::gemv(blas::NoTrans, int(N), int(K), b, int(lb.ld), a, int(A.cs), c, 1);
    } else {
      blas::gemm(la.trans, lb.trans, int(M), int(N), int(K), a, int(la.ld), b, int(lb.ld), c, int(N));
    }
  };
  // Only GEMMs: OpenBLAS's gemv/dot start their own threads at much smaller sizes.
  bool par = !a_vec && !b_vec && nb > 1 && M * N * K < kSmallGemm && nb * M * N * K >= kSmallGemm && omp_get_max_threads() > 1 &&
             !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t i = 0; i < nb; ++i) one(i);
}

// bfloat16/float16 products: every case (dot and matrix-vector included) is one call of the
// 16-bit GEMM per batch, a 1-D operand addressed as a (1, K) or (K, 1) matrix. c32 is set for
// float16 (rounded to float16 by the caller), else C is written in bfloat16.
void lowp_batched(bool f16, const Mat& A, const Mat& B, const Shape& batch, float* c32, uint16_t* c16, int64_t M,
                  int64_t N, int64_t K) {
  const uint16_t* pa = static_cast<const uint16_t*>(A.t->data_ptr());
  const uint16_t* pb = static_cast<const uint16_t*>(B.t->data_ptr());
  const Layout la = blas_layout(A), lb = blas_layout(B);
  BatchIndexer ia(batch, A), ib(batch, B);
  int64_t nb = numel_of(batch);
  if (nb > 1 && ib.all_broadcast() && la.trans == blas::NoTrans && M > 1) {  // (B, M, K) @ (K, N): one GEMM
    bool foldable = true;
    int64_t expect = M * la.ld;
    for (size_t d = batch.size(); d-- > 0 && foldable;) {
      if (batch[d] == 1) continue;
      foldable = ia.strides[d] == expect;
      expect *= batch[d];
    }
    if (foldable) { M *= nb; nb = 1; }
  }
  const bool par = nb > 1 && M * N * K < kSmallGemm && nb * M * N * K >= kSmallGemm && omp_get_max_threads() > 1 &&
                   !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t i = 0; i < nb; ++i)
    gemm_lowp(f16, la.trans == blas::DoTrans, lb.trans == blas::DoTrans, M, N, K, 1.0f, pa + ia(i), la.ld,
              pb + ib(i), lb.ld, 0.0f, c32 ? c32 + i * M * N : nullptr, c16 ? c16 + i * M * N : nullptr, N);
}

// Integer products: a plain loop (torch supports int matmul on the CPU); wraps on overflow.
template <class T>
void int_batched(const Mat& A, const Mat& B, const Shape& batch, T* C, int64_t M, int64_t N, int64_t K) {
  using U = std::make_unsigned_t<T>;
  const T* pa = static_cast<const T*>(A.t->data_ptr());
  const T* pb = static_cast<const T*>(B.t->data_ptr());
  BatchIndexer ia(batch, A), ib(batch, B);
  int64_t nb = numel_of(batch), rows = nb * M;
  bool par = rows > 1 && rows * N * K >= 65536 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t i = r / M, m = r % M;
    const T* a = pa + ia(i) + m * A.rs;
    const T* b = pb + ib(i);
    U* c = reinterpret_cast<U*>(C + r * N);
    for (int64_t j = 0; j < N; ++j) c[j] = 0;
    for (int64_t k = 0; k < K; ++k) {
      U av = U(a[k * A.cs]);
      const T* brow = b + k * B.rs;
      for (int64_t j = 0; j < N; ++j) c[j] = U(c[j] + av * U(brow[j * B.cs]));
    }
  }
}

// out = a @ b: float32/float64 through BLAS (an operand copied first when neither row- nor
// column-major addressing fits it), int32/int64 by wrapping loops. out has the broadcast
// batch dims, then M unless a is 1-D, then N unless b is 1-D; K >= 1.
void matmul(const Tensor& out, const Tensor& a0, const Tensor& b0) {
  const DType dt = out.dtype();
  Tensor a = a0, b = b0;
  Mat A = as_mat(a, true), B = as_mat(b, false);
  bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  const bool lowp = a0.dtype() == kBFloat16 || a0.dtype() == kFloat16;
  const bool is_blas = dt == kFloat32 || dt == kFloat64;
  if (is_blas || lowp) {
    // The 16-bit GEMM addresses vectors as matrices too, so they need blas_layout's strides.
    bool a_ok = a_vec && !lowp ? A.cs >= 1 && A.cs <= INT_MAX : blas_layout(A).ok;
    bool b_ok = b_vec && !lowp ? B.rs >= 1 && B.rs <= INT_MAX : blas_layout(B).ok;
    if (!a_ok) { a = clone(a); A = as_mat(a, true); }
    if (!b_ok) { b = clone(b); B = as_mat(b, false); }
  }
  const int64_t M = A.rows, N = B.cols, K = A.cols;
  const Shape batch(out.shape().begin(), out.shape().end() - (a_vec ? 0 : 1) - (b_vec ? 0 : 1));
  if (lowp) {
    const bool f16 = a0.dtype() == kFloat16;
    if (dt == kFloat32) return lowp_batched(f16, A, B, batch, out.data<float>(), nullptr, M, N, K);
    if (dt == kBFloat16) return lowp_batched(false, A, B, batch, nullptr, static_cast<uint16_t*>(out.data_ptr()), M, N, K);
    Tensor o32 = Tensor::empty(out.shape(), kFloat32, out.device());  // float16: rounded once below
    lowp_batched(true, A, B, batch, o32.data<float>(), nullptr, M, N, K);
    Tensor o = out;
    copy_(o, o32);
    return;
  }
  visit_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>) blas_batched<T>(A, B, batch, out.data<T>(), M, N, K, a_vec, b_vec);
    else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>)
      int_batched<T>(A, B, batch, out.data<T>(), M, N, K);
  });
}

// ---- nn.linear ----

template <class T>
inline void gemm(blas::Trans ta, blas::Trans tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  blas::gemm_ex<T>(ta, tb, int(m), int(n), int(k), T(1), a, int(lda), b, int(ldb), beta, c, int(ldc));
}
// How W (out, in) is addressed: row-major (W^T is Trans of it) or a transposed view of a
// row-major (in, out) matrix; anything else is copied first.
struct WLayout {
  Tensor w;
  bool row_major = true;
  int64_t ld = 1;
};
WLayout weight_layout(const Tensor& weight) {
  const int64_t out = weight.shape()[0], in = weight.shape()[1];
  WLayout l;
  l.w = weight;
  if ((weight.strides()[1] == 1 || in == 1) && (out == 1 || weight.strides()[0] >= std::max<int64_t>(in, 1))) {
    l.row_major = true;
    l.ld = out == 1 ? std::max<int64_t>(in, 1) : weight.strides()[0];
  } else if ((weight.strides()[0] == 1 || out == 1) && (in == 1 || weight.strides()[1] >= std::max<int64_t>(out, 1))) {
    l.row_major = false;
    l.ld = in == 1 ? std::max<int64_t>(out, 1) : weight.strides()[1];
  } else {
    l.w = contiguous(weight);
    l.ld = std::max<int64_t>(in, 1);
  }
  return l;
}

template <class T>
void typed_column_sum(const T* g, int64_t rows, int64_t n, T* out) {
  if constexpr (sizeof(T) == 4) cpu_kernels().f32.column_sum(g, rows, n, out);
  else cpu_kernels().f64.column_sum(g, rows, n, out);
}

// zero_ on a result handed in as const (the handle is copied; the storage is shared).
void fill_zero(const Tensor& t) {
  Tensor v = t;
  zero_(v);
}

template <class T>
void forward(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  Tensor xc = contiguous(x);
  const int64_t M = in_f > 0 ? xc.numel() / in_f : numel_of(Shape(x.shape().begin(), x.shape().end() - 1));
  T* po = out.data<T>();
  if (bias.defined()) {
    Tensor bc = contiguous(bias);
    const T* pb = bc.data<T>();
    for (int64_t r = 0; r < M; ++r) std::copy(pb, pb + out_f, po + r * out_f);
  } else if (in_f == 0) {
    std::fill(po, po + M * out_f, T(0));
  }
  if (M == 0 || out_f == 0 || in_f == 0) return;
  WLayout l = weight_layout(weight);
  gemm(blas::NoTrans, l.row_major ? blas::DoTrans : blas::NoTrans, M, out_f, in_f, xc.data<T>(), in_f,
       static_cast<const T*>(l.w.data_ptr()), l.ld, bias.defined() ? T(1) : T(0), po, out_f);
}

template <class T>
void backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
              const Tensor& weight) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  const int64_t M = out_f > 0 ? g.numel() / out_f : (in_f > 0 ? x.numel() / in_f : 0);
  const T* pg = g.data<T>();
  if (gx.defined()) {
    if (out_f == 0) fill_zero(gx);
    else if (M > 0 && in_f > 0) {
      WLayout l = weight_layout(weight);  // g (M, out) @ W (out, in)
      gemm(blas::NoTrans, l.row_major ? blas::NoTrans : blas::DoTrans, M, in_f, out_f, pg, out_f,
           static_cast<const T*>(l.w.data_ptr()), l.ld, T(0), gx.data<T>(), in_f);
    }
  }
  if (gw.defined()) {
    if (M == 0) fill_zero(gw);
    else if (out_f > 0 && in_f > 0) {
      Tensor xc = contiguous(x);  // g^T (out, M) @ x (M, in)
      gemm(blas::DoTrans, blas::NoTrans, out_f, in_f, M, pg, out_f, xc.data<T>(), in_f, T(0), gw.data<T>(), in_f);
    }
  }
  if (gb.defined() && M > 0 && out_f > 0) {  // gb arrives zeroed: column_sum accumulates
    typed_column_sum<T>(pg, M, out_f, gb.data<T>());
  }
}

// ---- nn.linear in bfloat16/float16: the 16-bit GEMM, float32 accumulation ----

const uint16_t* bits(const Tensor& t) { return static_cast<const uint16_t*>(t.data_ptr()); }

// C (rows, cols, contiguous) = alpha op(A) op(B) + beta C for A and B of the 16-bit dtype
// `in`: a float32 C (autocast's float32 weight gradients) or a bfloat16 one written by the
// GEMM, a float16 C through a float32 result rounded once.
void gemm_into(const Tensor& c, DType in, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const uint16_t* a,
               int64_t lda, const uint16_t* b, int64_t ldb, float beta) {
  const bool f16 = in == kFloat16;
  if (c.dtype() == kFloat32)
    return gemm_lowp(f16, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c.data<float>(), nullptr, n);
  if (c.dtype() == kBFloat16)
    return gemm_lowp(f16, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, nullptr, static_cast<uint16_t*>(c.data_ptr()),
                     n);
  Tensor c32 = beta != 0.0f ? to_dtype(c, kFloat32, true) : Tensor::empty(c.shape(), kFloat32, c.device());
  gemm_lowp(f16, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c32.data<float>(), nullptr, n);
  Tensor o = c;
  copy_(o, c32);
}

void forward_lowp(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  Tensor xc = contiguous(x);
  const int64_t M = in_f > 0 ? xc.numel() / in_f : numel_of(Shape(x.shape().begin(), x.shape().end() - 1));
  Tensor o2 = view(out, {M, out_f});
  if (bias.defined()) copy_(o2, bias);  // broadcast over rows; the GEMM adds to it (beta = 1)
  else if (in_f == 0) fill_zero(out);
  if (M == 0 || out_f == 0 || in_f == 0) return;
  WLayout l = weight_layout(weight);
  gemm_into(out, x.dtype(), false, l.row_major, M, out_f, in_f, bits(xc), in_f, bits(l.w), l.ld,
            bias.defined() ? 1.0f : 0.0f);
}

void backward_lowp(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                   const Tensor& weight) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  const int64_t M = out_f > 0 ? g.numel() / out_f : (in_f > 0 ? x.numel() / in_f : 0);
  if (gx.defined()) {
    if (out_f == 0) fill_zero(gx);
    else if (M > 0 && in_f > 0) {
      WLayout l = weight_layout(weight);  // g (M, out) @ W (out, in)
      gemm_into(gx, x.dtype(), false, !l.row_major, M, in_f, out_f, bits(g), out_f, bits(l.w), l.ld, 0.0f);
    }
  }
  if (gw.defined()) {
    if (M == 0) fill_zero(gw);
    else if (out_f > 0 && in_f > 0) {
      Tensor xc = contiguous(x);  // g^T (out, M) @ x (M, in)
      gemm_into(gw, x.dtype(), true, false, out_f, in_f, M, bits(g), out_f, bits(xc), in_f, 0.0f);
    }
  }
  if (gb.defined() && M > 0 && out_f > 0) {  // column sums in float32, rounded once unless gb is float32
    Tensor g32 = to_dtype(g, kFloat32);
    if (gb.dtype() == kFloat32) return cpu_kernels().f32.column_sum(g32.data<float>(), M, out_f, gb.data<float>());
    Tensor s = zeros({out_f}, TensorOptions(kFloat32, g.device()));
    cpu_kernels().f32.column_sum(g32.data<float>(), M, out_f, s.data<float>());
    Tensor o = gb;
    copy_(o, s);
  }
}

void linear(const Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (x.dtype() == kBFloat16 || x.dtype() == kFloat16) return forward_lowp(out, x, weight, bias);
  if (x.dtype() == kFloat64) forward<double>(out, x, weight, bias);
  else forward<float>(out, x, weight, bias);
}

void linear_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                     const Tensor& weight) {
  if (x.dtype() == kBFloat16 || x.dtype() == kFloat16) return backward_lowp(gx, gw, gb, g, x, weight);
  if (x.dtype() == kFloat64) backward<double>(gx, gw, gb, g, x, weight);
  else backward<float>(gx, gw, gb, g, x, weight);
}

// c = alpha a b + beta c (steepest::gemm_): the 16-bit GEMM for bfloat16/float16 a and b, the
// BLAS for float32/float64; a or b copied when no row-/column-major addressing fits.
void gemm_kernel(const Tensor& c, const Tensor& a0, const Tensor& b0, double alpha, double beta) {
  Tensor a = blas_layout(as_mat(a0, true)).ok ? a0 : clone(a0);
  Tensor b = blas_layout(as_mat(b0, false)).ok ? b0 : clone(b0);
  const Layout la = blas_layout(as_mat(a, true)), lb = blas_layout(as_mat(b, false));
  const int64_t m = c.shape()[0], n = c.shape()[1], k = a.shape()[1];
  const int64_t ldc = m == 1 ? std::max<int64_t>(n, 1) : c.strides()[0];
  const bool ta = la.trans == blas::DoTrans, tb = lb.trans == blas::DoTrans;
  const DType dt = a.dtype();
  if (dt == kBFloat16 || dt == kFloat16) {
    const bool f16 = dt == kFloat16;
    if (c.dtype() == kFloat32 || c.dtype() == kBFloat16) {
      float* c32 = c.dtype() == kFloat32 ? c.data<float>() : nullptr;
      uint16_t* c16 = c32 ? nullptr : static_cast<uint16_t*>(c.data_ptr());
      gemm_lowp(f16, ta, tb, m, n, k, float(alpha), bits(a), la.ld, bits(b), lb.ld, float(beta), c32, c16, ldc);
      return;
    }
    Tensor c32 = to_dtype(c, kFloat32, true);  // float16 c: a float32 result rounded once
    gemm_lowp(true, ta, tb, m, n, k, float(alpha), bits(a), la.ld, bits(b), lb.ld, float(beta), c32.data<float>(),
              nullptr, n);
    Tensor o = c;
    copy_(o, c32);
    return;
  }
  if (m == 0 || n == 0) return;
  if (k == 0) {
    Tensor o = c;
    if (beta == 0) zero_(o);
    else mul_(o, Scalar(beta));
    return;
  }
  STEEPEST_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && ldc <= INT_MAX && la.ld <= INT_MAX &&
                     lb.ld <= INT_MAX,
                 NotImplementedError, "gemm_: sizes exceed the 32-bit BLAS interface");
  const auto tr = [](bool t) { return t ? blas::DoTrans : blas::NoTrans; };
  if (dt == kFloat32)
    blas::gemm_ex<float>(tr(ta), tr(tb), int(m), int(n), int(k), float(alpha), a.data<float>(), int(la.ld),
                         b.data<float>(), int(lb.ld), float(beta), c.data<float>(), int(ldc));
  else
    blas::gemm_ex<double>(tr(ta), tr(tb), int(m), int(n), int(k), alpha, a.data<double>(), int(la.ld),
                          b.data<double>(), int(lb.ld), beta, c.data<double>(), int(ldc));
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::gemm_stub, CPU, gemm_kernel);
STEEPEST_REGISTER_KERNEL(dispatch::matmul_stub, CPU, matmul);
STEEPEST_REGISTER_KERNEL(dispatch::linear_stub, CPU, linear);
STEEPEST_REGISTER_KERNEL(dispatch::linear_backward_stub, CPU, linear_backward);

}  // namespace steepest::kernels::cpu
