// matmul (and mm, bmm, mv, dot) with torch's semantics: 1-D operands promoted and squeezed
// back, broadcast batch dims walked by stride (never materialised), float32/float64 through
// OpenBLAS. Transposed views go to BLAS as Trans instead of being copied; an operand is
// copied only when neither row- nor column-major addressing fits its last two dims.
#include "autograd/record.hpp"
#include "steepest/ops.hpp"
#include "steepest/ops/linalg.hpp"

#include <omp.h>

#include <climits>
#include <type_traits>

#include "ops/blas.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest {
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

// Batch shape of the result, naming both operand shapes when the batch dims don't broadcast.
Shape broadcast_batch(const char* op, const Tensor& a, const Tensor& b, const Shape& ba, const Shape& bb) {
  size_t n = std::max(ba.size(), bb.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - ba.size() ? 1 : ba[i - (n - ba.size())];
    int64_t db = i < n - bb.size() ? 1 : bb[i - (n - bb.size())];
    STEEPEST_CHECK(da == db || da == 1 || db == 1, ValueError, op, ": batch dims of shapes ", a.shape(), " and ",
                   b.shape(), " cannot be broadcast (", da, " vs ", db, " at batch dim ", i, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
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

Tensor matmul_impl(const char* op, const Tensor& a0, const Tensor& b0) {
  STEEPEST_CHECK(a0.device().is_cpu() && b0.device().is_cpu(), NotImplementedError, op, ": ",
                 a0.device().str(), " and ", b0.device().str(), " tensors are not supported by this build");
  STEEPEST_CHECK(a0.dim() >= 1 && b0.dim() >= 1, ValueError, op, ": both arguments need to be at least 1-D, but ",
                 "they are ", a0.dim(), "-D and ", b0.dim(), "-D (shapes ", a0.shape(), " and ", b0.shape(), ")");
  STEEPEST_CHECK(a0.dtype() == b0.dtype(), TypeError, op, ": expected both operands to have the same dtype, but got ",
                 dtype_name(a0.dtype()), " and ", dtype_name(b0.dtype()));
  DType dt = a0.dtype();
  STEEPEST_CHECK(dt != kBool, TypeError, op, ": bool tensors are not supported");
  int64_t ka = a0.shape().back(), kb = b0.dim() == 1 ? b0.shape()[0] : b0.shape()[size_t(b0.dim() - 2)];
  STEEPEST_CHECK(ka == kb, ValueError, op, ": shapes ", a0.shape(), " and ", b0.shape(), " cannot be multiplied (",
                 ka, " != ", kb, ")");
  if (dt == kBFloat16 || dt == kFloat16)  // compute in float32, round once
    return to_dtype(matmul_impl(op, to_dtype(a0, kFloat32), to_dtype(b0, kFloat32)), dt);

  Tensor a = a0, b = b0;
  Mat A = as_mat(a, true), B = as_mat(b, false);
  bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  const bool is_blas = dt == kFloat32 || dt == kFloat64;
  if (is_blas) {
    // Vectors go to BLAS with their stride (incx); matrices need a row- or column-major layout.
    bool a_ok = a_vec ? A.cs >= 1 && A.cs <= INT_MAX : blas_layout(A).ok;
    bool b_ok = b_vec ? B.rs >= 1 && B.rs <= INT_MAX : blas_layout(B).ok;
    if (!a_ok) { a = clone(a); A = as_mat(a, true); }
    if (!b_ok) { b = clone(b); B = as_mat(b, false); }
  }
  const int64_t M = A.rows, N = B.cols, K = A.cols;
  Shape batch = broadcast_batch(op, a0, b0, A.bshape, B.bshape);
  Shape out_shape = batch;
  if (!a_vec) out_shape.push_back(M);
  if (!b_vec) out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, dt);
  if (out.numel() == 0) return out;
  if (K == 0) return zero_(out);
  visit_dtype(dt, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T>) blas_batched<T>(A, B, batch, out.data<T>(), M, N, K, a_vec, b_vec);
    else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>)
      int_batched<T>(A, B, batch, out.data<T>(), M, N, K);
  });
  return out;
}

// The product, recorded for backward when an operand requires grad:
//   dA = g @ B^T,  dB = A^T @ g  (vectors as 1-row / 1-column matrices; batch dims
// that were broadcast are summed by the engine, except the common (batch.., K) @ (K, N)
// case where dB is one GEMM over the flattened batch).
Tensor matmul_recorded(const char* op, const Tensor& a, const Tensor& b) {
  if (!autograd::needs_grad({&a, &b})) return matmul_impl(op, a, b);
  Tensor out;
  {
    autograd::NoGradGuard no_grad;
    out = matmul_impl(op, a, b);
  }
  if (!is_floating(out.dtype())) return out;
  const char* name = a.dim() == 1 && b.dim() == 1 ? "DotBackward0"
                     : a.dim() == 2 && b.dim() == 2 ? "MmBackward0"
                     : a.dim() == 2 && b.dim() == 1 ? "MvBackward0"
                                                     : "MatmulBackward0";
  autograd::record(name, {&a, &b}, {&out}, {a, b}, [](Node& n, std::vector<Tensor>& gs) -> std::vector<Tensor> {
    Tensor A = n.saved(0), B = n.saved(1), g = gs[0];
    bool a_vec = A.dim() == 1, b_vec = B.dim() == 1;
    if (a_vec && b_vec) {  // dot: g is 0-d
      return {n.needs_input_grad(0) ? mul(B, g) : Tensor(), n.needs_input_grad(1) ? mul(A, g) : Tensor()};
    }
    Tensor Am = a_vec ? unsqueeze(A, 0) : A;
    Tensor Bm = b_vec ? unsqueeze(B, 1) : B;
    Tensor gm = g;
    if (a_vec) gm = unsqueeze(gm, -2);
    if (b_vec) gm = unsqueeze(gm, -1);
    Tensor ga, gb;
    if (n.needs_input_grad(0)) {
      ga = matmul_impl("matmul", gm, mT(Bm));
      if (a_vec) ga = squeeze(ga, -2);
    }
    if (n.needs_input_grad(1)) {
      if (Bm.dim() == 2 && Am.dim() > 2) {  // fold the batch into one GEMM
        // rows spelled out: reshape's -1 is ambiguous when K or N is 0
        int64_t K = Am.shape().back(), N = gm.shape().back(), rows = 1;
        for (int64_t i = 0; i + 1 < Am.dim(); ++i) rows *= Am.shape()[size_t(i)];
        gb = matmul_impl("matmul", mT(reshape(Am, {rows, K})), reshape(gm, {rows, N}));
      } else {
        gb = matmul_impl("matmul", mT(Am), gm);
      }
      if (b_vec) gb = squeeze(gb, -1);
    }
    return {ga, gb};
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul_recorded("matmul", a, b); }

Tensor mm(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dim() == 2 && b.dim() == 2, ValueError, "mm: expected 2-D tensors, but got ", a.dim(), "-D and ",
                 b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  return matmul_recorded("mm", a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dim() == 3 && b.dim() == 3, ValueError, "bmm: expected 3-D tensors, but got ", a.dim(),
                 "-D and ", b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  STEEPEST_CHECK(a.shape()[0] == b.shape()[0], ValueError, "bmm: batch sizes of shapes ", a.shape(), " and ",
                 b.shape(), " differ (", a.shape()[0], " != ", b.shape()[0], ")");
  return matmul_recorded("bmm", a, b);
}

Tensor mv(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dim() == 2 && b.dim() == 1, ValueError, "mv: expected a 2-D matrix and a 1-D vector, but got ",
                 a.dim(), "-D and ", b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  return matmul_recorded("mv", a, b);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  STEEPEST_CHECK(a.dim() == 1 && b.dim() == 1, ValueError, "dot: expected 1-D tensors, but got ", a.dim(), "-D and ",
                 b.dim(), "-D (shapes ", a.shape(), " and ", b.shape(), ")");
  return matmul_recorded("dot", a, b);
}

}  // namespace steepest
