// The time loops of the CUDA recurrent kernels (dispatch/rnn.hpp) as plain host code over an
// executor, so the CPU test binary runs the very same loops on the host (tests/cpp/
// test_cuda_rnn.cpp) and rnn.cu runs them on the device. Per step, forward: one product
// h_{t-1} W^T into a (B, G) scratch, then one fused cell pass (rnn_cell.hpp). Backward, steps
// in reverse: one fused cell pass, then one product for h_{t-1}'s gradient; at the end the
// hidden weights' gradient as two products (the h0 step, then all other steps at once) and the
// bias gradient as one column sum. The order of every product and sum follows the CPU kernel.
//
// An executor provides, on the calls' memory (all pointers are to its device):
//   T* scratch(n)                           n elements that stay valid for the whole call
//   void gemm(const BlasCall<T>&)           a cuBLAS-shaped column-major product
//   void forward(const CellFwd<T>&)         cell_forward for every i < B * H
//   void backward(const CellBwd<T>&)        cell_backward for every i < B * H
//   void copy_rows(dst, dld, src, sld, width, rows)
//   void zero(p, n)
//   void column_sum(out, in, rows, n)       out[j] = sum over rows of in[r * n + j]
#pragma once
#include <cstdint>

#include "kernels/cuda/gemm_plan.hpp"
#include "kernels/cuda/rnn_cell.hpp"
#include "steepest/error.hpp"

namespace steepest::cuda::rnn {

// A column-major product as cuBLAS takes it: C (m, n; ldc) = op(A) op(B) + beta C, op(A)
// (m, k) being A (lda) or, when transa, the transpose of A (k, m; lda); likewise B.
template <class T>
struct BlasCall {
  bool transa, transb;
  int64_t m, n, k;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T* c;
  int64_t ldc;
  T beta;
};

// Row-major C (M, N; row stride ldc) = A B + beta C, element (i, p) of A at
// pa[i * a_rs + p * a_cs] and (p, j) of B at pb[p * b_rs + j * b_cs], as gemm_plan.hpp maps it.
template <class T>
BlasCall<T> row_major_gemm(int64_t M, int64_t N, int64_t K, const T* pa, int64_t a_rs, int64_t a_cs, const T* pb,
                           int64_t b_rs, int64_t b_cs, T* pc, int64_t ldc, T beta) {
  const GemmOperand a = gemm_operand(M, K, a_rs, a_cs), b = gemm_operand(K, N, b_rs, b_cs);
  STEEPEST_CHECK(a.ok && b.ok, Error, "internal: rnn: a product operand cuBLAS cannot address");
  const ColumnMajorCall c = column_major_call(M, N, K, a, b, ldc);
  return BlasCall<T>{c.transa, c.transb, c.m, c.n, c.k, pb, c.lda, pa, c.ldb, pc, c.ldc, beta};
}

struct Dims {
  int64_t T, B, H, G, S;  // steps, batch, hidden, gate rows (gates * H), saved per row (units of 1)
};

inline Dims dims_of(RnnMode mode, int64_t T, int64_t B, int64_t H) {
  return Dims{T, B, H, gates(mode) * H, saved(mode) * H};
}

// The forward over all T steps (dispatch::RnnLayerKernel's contract, on raw pointers).
template <class T, class Exec>
void forward(Exec& ex, RnnMode mode, bool reverse, const Dims& d, const T* xp, const T* h0, const T* c0, const T* w,
             const T* b, const int64_t* len, T* out, T* hn, T* cn, T* ws) {
  if (d.B == 0) return;  // every result is empty
  const bool lstm = mode == RnnMode::Lstm;
  T* hp = ex.scratch(d.B * d.G);
  int64_t t = reverse ? d.T - 1 : 0, tp = -1;
  for (int64_t s = 0; s < d.T; ++s, tp = t, t += reverse ? -1 : 1) {
    const T* hprev = tp < 0 ? h0 : out + tp * d.B * d.H;
    // hp (B, G) = h_{t-1} (B, H) W^T: W (G, H) read as its transpose, element (p, j) at j * H + p
    ex.gemm(row_major_gemm<T>(d.B, d.G, d.H, hprev, d.H, 1, w, 1, d.H, hp, d.G, T(0)));
    const T* cprev = lstm ? (tp < 0 ? c0 : ws + tp * d.B * d.S + 4 * d.H) : nullptr;
    ex.forward(CellFwd<T>{mode, d.B, d.H, d.G, d.S, t, xp + t * d.B * d.G, hp, b, hprev, cprev,
                          tp < 0 ? d.H : d.S, len, d.S ? ws + t * d.B * d.S : nullptr, out + t * d.B * d.H});
  }
  const int64_t last = reverse ? 0 : d.T - 1;
  ex.copy_rows(hn, d.H, out + last * d.B * d.H, d.H, d.H, d.B);
  if (lstm) ex.copy_rows(cn, d.H, ws + last * d.B * d.S + 4 * d.H, d.S, d.H, d.B);
}

// The backward (dispatch::RnnLayerBackwardKernel's contract, on raw pointers); gb null when
// there is no bias.
template <class T, class Exec>
void backward(Exec& ex, RnnMode mode, bool reverse, const Dims& d, const T* gout, const T* ghn, const T* gcn,
              const T* out, const T* ws, const T* h0, const T* c0, const T* w, const int64_t* len, T* gxp, T* gh0,
              T* gc0, T* gw, T* gb) {
  if (d.B == 0) {  // no rows: the weights' gradients are sums of nothing
    ex.zero(gw, d.G * d.H);
    if (gb) ex.zero(gb, d.G);
    return;
  }
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  // The hidden projection's gradient per step: the input projection's own, except for GRU,
  // whose n gate sees r * (W_hn h + b_hn).
  T* gh = gru ? ex.scratch(d.T * d.B * d.G) : gxp;
  T* dh = gh0;  // the carried hidden gradient, finally gh0
  ex.copy_rows(dh, d.H, ghn, d.H, d.H, d.B);
  if (lstm) ex.copy_rows(gc0, d.H, gcn, d.H, d.H, d.B);
  for (int64_t s = 0; s < d.T; ++s) {
    const int64_t t = reverse ? s : d.T - 1 - s, tp = reverse ? t + 1 : t - 1;
    const bool first = reverse ? t == d.T - 1 : t == 0;
    const T* cprev = lstm ? (first ? c0 : ws + tp * d.B * d.S + 4 * d.H) : nullptr;
    ex.backward(CellBwd<T>{mode, d.B, d.H, d.G, d.S, t, gout + t * d.B * d.H, d.S ? ws + t * d.B * d.S : nullptr,
                           first ? h0 : out + tp * d.B * d.H, out + t * d.B * d.H, cprev, first ? d.H : d.S, len, dh,
                           lstm ? gc0 : nullptr, gxp + t * d.B * d.G, gh + t * d.B * d.G});
    // dh_prev (B, H) = gh_t (B, G) W (G, H) + the direct part the cell pass left in dh
    ex.gemm(row_major_gemm<T>(d.B, d.H, d.G, gh + t * d.B * d.G, d.G, 1, w, d.H, 1, dh, d.H,
                              gru || len ? T(1) : T(0)));
  }
  // gw (G, H) = sum_t gh_t^T h_prev(t): the step whose previous state is h0, then all others
  // at once (gh_t^T read as a transpose: element (i, p) at p * G + i).
  const int64_t t0 = reverse ? d.T - 1 : 0;
  ex.gemm(row_major_gemm<T>(d.G, d.H, d.B, gh + t0 * d.B * d.G, 1, d.G, h0, d.H, 1, gw, d.H, T(0)));
  if (d.T > 1) {
    const T* gh_rest = gh + (reverse ? 0 : d.B * d.G);
    const T* h_rest = out + (reverse ? d.B * d.H : 0);
    ex.gemm(row_major_gemm<T>(d.G, d.H, (d.T - 1) * d.B, gh_rest, 1, d.G, h_rest, d.H, 1, gw, d.H, T(1)));
  }
  if (gb) ex.column_sum(gb, gh, d.T * d.B, d.G);
}

}  // namespace steepest::cuda::rnn
