// How a row-major strided matrix product maps onto cuBLAS's column-major GEMM, as plain host
// functions (no CUDA header) so the CPU-only test binary checks them on every build.
//
// cuBLAS reads matrices column-major. A row-major (R, C) matrix with row stride ld is, read
// column-major, its own transpose with leading dimension ld; so C = A B (row-major) is computed
// as C^T = B^T A^T: the operands swap places and each keeps its own layout. An operand that is
// a transposed view (unit row stride) is read with CUBLAS_OP_T instead of being copied.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace steepest::cuda {

// One matrix operand: element (i, j) sits at i * rs + j * cs (elements). `ok` when cuBLAS can
// address it as is; `trans` selects CUBLAS_OP_T in the swapped call; `ld` its leading dim.
struct GemmOperand {
  bool ok = false;
  bool trans = false;
  int64_t ld = 1;
};

inline GemmOperand gemm_operand(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  GemmOperand o;
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(1, cols))) {
    o.ok = true;  // row-major: read column-major it is the transpose the swapped call wants
    o.ld = rows == 1 ? std::max<int64_t>(1, cols) : rs;
  } else if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(1, rows))) {
    o.ok = true;  // column-major (a transposed view): cuBLAS transposes it
    o.trans = true;
    o.ld = cols == 1 ? std::max<int64_t>(1, rows) : cs;
  }
  return o;
}

// The arguments of the column-major call computing row-major C (M, N) = A (M, K) B (K, N),
// C with row stride ldc: cuBLAS's (transa, transb, m, n, k, lda, ldb, ldc) take B's then A's.
struct ColumnMajorCall {
  bool transa = false, transb = false;
  int64_t m = 0, n = 0, k = 0, lda = 1, ldb = 1, ldc = 1;
};

inline ColumnMajorCall column_major_call(int64_t M, int64_t N, int64_t K, const GemmOperand& a,
                                         const GemmOperand& b, int64_t ldc) {
  ColumnMajorCall c;
  c.transa = b.trans;
  c.transb = a.trans;
  c.m = N;
  c.n = M;
  c.k = K;
  c.lda = b.ld;
  c.ldb = a.ld;
  c.ldc = std::max<int64_t>(ldc, std::max<int64_t>(N, 1));
  return c;
}

// Batches of a broadcast matmul as few strided-batched calls as possible. The result's batch
// dims `shape` are split into an outer prefix, walked on the host, and an inner suffix whose
// offsets in both operands step evenly with the flat inner index (a broadcast dim steps by 0),
// so one cublasGemmStridedBatchedEx covers it. sa and sb hold each operand's stride per
// result batch dim (0 where it broadcasts).
struct BatchPlan {
  int64_t inner = 1;             // batches per strided call
  int64_t step_a = 0, step_b = 0;  // their offset steps in A and B
  std::vector<int64_t> outer_shape, outer_sa, outer_sb;  // the host-walked prefix
  int64_t outer_count() const {
    int64_t n = 1;
    for (int64_t s : outer_shape) n *= s;
    return n;
  }
  // Offsets in A and B of outer batch `i` (row-major over outer_shape).
  void outer_offsets(int64_t i, int64_t& oa, int64_t& ob) const {
    oa = ob = 0;
    for (size_t d = outer_shape.size(); d-- > 0;) {
      const int64_t v = i % outer_shape[d];
      i /= outer_shape[d];
      oa += v * outer_sa[d];
      ob += v * outer_sb[d];
    }
  }
};

inline BatchPlan plan_batches(const std::vector<int64_t>& shape, const std::vector<int64_t>& sa,
                              const std::vector<int64_t>& sb) {
  BatchPlan p;
  // Walk dims innermost first; size-1 dims never matter. A dim joins the inner run when each
  // operand's stride equals its step times the run's length so far.
  size_t d = shape.size();
  bool have_step = false;
  int64_t len = 1;
  while (d > 0) {
    const size_t k = d - 1;
    if (shape[k] == 1) { --d; continue; }
    if (!have_step) {
      p.step_a = sa[k];
      p.step_b = sb[k];
      have_step = true;
    } else if (sa[k] != p.step_a * len || sb[k] != p.step_b * len) {
      break;
    }
    len *= shape[k];
    --d;
  }
  p.inner = len;
  p.outer_shape.assign(shape.begin(), shape.begin() + int64_t(d));
  p.outer_sa.assign(sa.begin(), sa.begin() + int64_t(d));
  p.outer_sb.assign(sb.begin(), sb.begin() + int64_t(d));
  return p;
}

}  // namespace steepest::cuda
