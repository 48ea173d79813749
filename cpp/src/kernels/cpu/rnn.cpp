// The CPU kernels of the recurrent layers (dispatch/rnn.hpp): the time loop of one layer and
// direction. Each step is one product for the hidden projection, against the hidden weights
// packed once per call, then one fused pass per batch row over the gates (LSTM: the kernel
// table's SIMD cell; the others: its sigmoid/tanh leaves, then the state update). The backward
// walks the steps in reverse with one product per step for the hidden state's gradient, and
// ends with one BLAS product over all steps for the hidden weights. With threads, LSTM steps
// split the hidden units (product columns and cell alike) and wait once per step; the other
// modes split each product's columns and the cell's rows separately.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "dispatch/rnn.hpp"
#include "kernels/cpu/blas.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::RnnMode;

template <class T>
inline const TypedKernels<T>& kern() {
  if constexpr (sizeof(T) == 4) return cpu_kernels().f32;
  else return cpu_kernels().f64;
}

template <class T>
inline UnaryFn<T> unary(UnaryOp op) {
  return kern<T>().unary[int(op)];
}

// fn(b) for every batch row, over OpenMP threads when the step's work pays for waking them.
template <class F>
inline void each_row(int64_t rows, int64_t cost_per_row, F fn) {
  const bool par = rows > 1 && rows * cost_per_row >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < rows; ++r) fn(r);
}

// The hidden weights as the right operand of every step's product, packed once per call
// (kernel table's gemm_pack): OpenBLAS would repack the whole matrix at every step, about a
// tenth of a layer's time. B (k, n) has element (p, j) at b[p * rs + j * cs]; its columns
// split into `blocks` equal blocks (LSTM's four gates), each starting a panel, so that a
// thread can take the same hidden units of every gate.
template <class T>
class StepWeights {
 public:
  StepWeights(int64_t k, int64_t n, const T* b, int64_t rs, int64_t cs, int64_t blocks = 1)
      : k_(k), nb_(n / blocks), nr_(kern<T>().gemm_panel), per_block_((nb_ + nr_ - 1) / nr_),
        packed_(size_t(blocks * per_block_ * nr_ * k)) {
    const int64_t panels = blocks * per_block_;
    const bool par = threads() > 1 && panels > 1 && n * k >= (1 << 16);
#pragma omp parallel for schedule(static) if (par)
    for (int64_t q = 0; q < panels; ++q) {
      const int64_t blk = q / per_block_, j0 = q % per_block_ * nr_;
      kern<T>().gemm_pack(k, std::min(nr_, nb_ - j0), b + (blk * nb_ + j0) * cs, rs, cs,
                          packed_.data() + q * nr_ * k);
    }
  }

  int64_t panel() const { return nr_; }

  // C (m, u1 - u0) = A (m, k; lda) times columns u0..u1 of block q + beta C, u0 a multiple of
  // panel().
  void mul_cols(int64_t q, int64_t u0, int64_t u1, int64_t m, const T* a, int64_t lda, T beta, T* c,
                int64_t ldc) const {
    if (u0 < u1 && m > 0)
      kern<T>().gemm_packed(m, u1 - u0, k_, a, lda, packed_.data() + (q * per_block_ * nr_ + u0) * k_, beta, c, ldc);
  }

  // C (m, n) = A (m, k; lda) B + beta C for one block. With threads the panels (blocks of C's
  // columns) are shared out, so two threads already split a 32 x 768 x 256 step.
  void mul(int64_t m, const T* a, int64_t lda, T beta, T* c, int64_t ldc) const {
    const int nt = threads() > 1 && double(m) * double(nb_) * double(k_) >= double(1 << 20) &&
                           per_block_ >= 2 * threads() ? threads() : 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
      const Units u = units_of(nb_, nr_);
      mul_cols(0, u.lo, u.hi, m, a, lda, beta, c + u.lo, ldc);
    }
  }

  // This OpenMP thread's share of n columns: whole panels of nr.
  struct Units {
    int64_t lo, hi;
  };
  static Units units_of(int64_t n, int64_t nr) {
    const int64_t panels = (n + nr - 1) / nr, parts = omp_get_num_threads();
    const int64_t per = (panels + parts - 1) / parts, lo = std::min(n, omp_get_thread_num() * per * nr);
    return {lo, std::min(n, lo + per * nr)};
  }

  static int threads() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

 private:
  int64_t k_, nb_, nr_, per_block_;
  std::vector<T> packed_;
};

// Threads for an LSTM time loop of hidden size H and batch B: one when a step's product is
// too small to share or has fewer than two panels of hidden units per thread.
inline int lstm_threads(int64_t B, int64_t H, int64_t nr) {
  const int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
  const int64_t panels = (H + nr - 1) / nr;
  return nt <= 1 || double(B) * 4.0 * double(H) * double(H) < double(1 << 20) || panels < 2 * nt ? 1 : nt;
}

// ---------------- one step of one batch row ----------------
// a: the gates' pre-activations become their activations in place; xp, hp: the input and
// hidden projections of the row; b: the hidden bias or null.

template <class T>
inline void sum_gates(int64_t n, const T* xp, const T* hp, const T* b, T* a) {
  if (b)
    for (int64_t j = 0; j < n; ++j) a[j] = xp[j] + (hp[j] + b[j]);
  else
    for (int64_t j = 0; j < n; ++j) a[j] = xp[j] + hp[j];
}

// ws: r, z, n, hn (4H) with hn = W_hn h + b_hn.
template <class T>
void gru_fwd(int64_t H, const T* xp, const T* hp, const T* b, const T* hprev, T* ws, T* h) {
  T *a = ws, *n = ws + 2 * H, *hn = ws + 3 * H;
  sum_gates(2 * H, xp, hp, b, a);
  unary<T>(UnaryOp::Sigmoid)(2 * H, a, a);
  for (int64_t j = 0; j < H; ++j) {
    hn[j] = b ? hp[2 * H + j] + b[2 * H + j] : hp[2 * H + j];
    n[j] = xp[2 * H + j] + a[j] * hn[j];
  }
  unary<T>(UnaryOp::Tanh)(H, n, n);
  for (int64_t j = 0; j < H; ++j) h[j] = (T(1) - a[H + j]) * n[j] + a[H + j] * hprev[j];
}

// gx, gh (3H): the gradients of the input and hidden projections; dd (H): the direct part of
// the previous hidden state's gradient, dh z.
template <class T>
void gru_bwd(int64_t H, const T* ws, const T* hprev, const T* dh, T* gx, T* gh, T* dd) {
  const T *r = ws, *z = ws + H, *n = ws + 2 * H, *hn = ws + 3 * H;
  for (int64_t j = 0; j < H; ++j) {
    const T dn = dh[j] * (T(1) - z[j]) * (T(1) - n[j] * n[j]);
    const T dz = dh[j] * (hprev[j] - n[j]) * z[j] * (T(1) - z[j]);
    const T dr = dn * hn[j] * r[j] * (T(1) - r[j]);
    gx[j] = gh[j] = dr;
    gx[H + j] = gh[H + j] = dz;
    gx[2 * H + j] = dn;
    gh[2 * H + j] = dn * r[j];
    dd[j] = dh[j] * z[j];
  }
}

// ---------------- the time loops ----------------

struct Dims {
  int64_t T, B, H, G;  // steps, batch, hidden, gate rows (G = gates * H)
};

// LSTM, forward. Each thread owns a range of hidden units (whole panels) in every gate: per
// step it computes those columns of the hidden projection, runs the cell for them over every
// row, then waits once for the others (the next product reads all of h).
template <class T>
void lstm_forward(bool reverse, const Dims& d, const T* px, const T* ph0, const T* pc0, const T* pw, const T* pb,
                  const int64_t* len, T* po, T* pws) {
  const int64_t H = d.H, G = d.G, S = 5 * H;
  std::vector<T> hp(size_t(d.B * G));
  const StepWeights<T> wt(H, G, pw, 1, H, 4);  // W^T (H, 4H) as four gate blocks
  const int nt = lstm_threads(d.B, H, wt.panel());
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const auto u = StepWeights<T>::units_of(H, wt.panel());
    int64_t t = reverse ? d.T - 1 : 0, tp = -1;
    for (int64_t s = 0; s < d.T; ++s, tp = t, t += reverse ? -1 : 1) {
      const T* hprev = tp < 0 ? ph0 : po + tp * d.B * H;
      for (int64_t q = 0; q < 4; ++q) wt.mul_cols(q, u.lo, u.hi, d.B, hprev, H, T(0), hp.data() + q * H + u.lo, G);
      for (int64_t r = 0; r < d.B; ++r) {
        const T* cp = tp < 0 ? pc0 + r * H : pws + (tp * d.B + r) * S + 4 * H;
        T *h = po + (t * d.B + r) * H, *w = pws + (t * d.B + r) * S;
        if (len && t >= len[r]) {  // past this row's end: its state passes through
          std::copy(hprev + r * H + u.lo, hprev + r * H + u.hi, h + u.lo);
          std::copy(cp + u.lo, cp + u.hi, w + 4 * H + u.lo);
        } else {
          kern<T>().lstm_cell(u.hi - u.lo, H, px + (t * d.B + r) * G + u.lo, hp.data() + r * G + u.lo,
                              pb ? pb + u.lo : nullptr, cp + u.lo, w + u.lo, h + u.lo);
        }
      }
#pragma omp barrier
    }
  }
}

// LSTM, backward, the same units per thread: the cell writes the gates' gradients g_t of its
// units, one wait (the product reads all of g_t), then the thread's columns of
// dh_{t-1} = g_t W, which only its own next cell reads. dh and dc come in holding the
// gradients of h_n and c_n.
template <class T>
void lstm_backward(bool reverse, const Dims& d, const T* pg, const T* pws, const T* pc0, const T* pw,
                   const int64_t* len, T* pgx, T* dh, T* dc) {
  const int64_t H = d.H, G = d.G, S = 5 * H;
  const StepWeights<T> wn(G, H, pw, H, 1);  // W (4H, H) itself
  const int nt = lstm_threads(d.B, H, wn.panel());
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const auto u = StepWeights<T>::units_of(H, wn.panel());
    for (int64_t s = 0; s < d.T; ++s) {
      const int64_t t = reverse ? s : d.T - 1 - s, tp = reverse ? t + 1 : t - 1;
      const bool first = reverse ? t == d.T - 1 : t == 0;
      const T* go = pg + t * d.B * H;
      for (int64_t r = 0; r < d.B; ++r) {
        T *gx = pgx + (t * d.B + r) * G, *dhr = dh + r * H;
        if (len && t >= len[r]) {  // a pass-through step: the state's gradient flows on as is
          for (int64_t q = 0; q < 4; ++q) std::fill(gx + q * H + u.lo, gx + q * H + u.hi, T(0));
          for (int64_t j = u.lo; j < u.hi; ++j) dhr[j] = go[r * H + j] + dhr[j];
          continue;
        }
        const T* cp = first ? pc0 + r * H : pws + (tp * d.B + r) * S + 4 * H;
        kern<T>().lstm_cell_backward(u.hi - u.lo, H, pws + (t * d.B + r) * S + u.lo, cp + u.lo, go + r * H + u.lo,
                                     dhr + u.lo, dc + r * H + u.lo, gx + u.lo);
        if (len) std::fill(dhr + u.lo, dhr + u.hi, T(0));
      }
#pragma omp barrier
      // dh_{t-1} = g_t W + the part the cells left (a pass-through row's whole gradient)
      wn.mul_cols(0, u.lo, u.hi, d.B, pgx + t * d.B * G, G, len ? T(1) : T(0), dh + u.lo, H);
    }
  }
}

template <class T>
void forward(RnnMode mode, bool reverse, const Tensor& out, const Tensor& hn, const Tensor& cn, const Tensor& ws,
             const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w, const Tensor& b,
             const Tensor& lengths) {
  const int64_t H = w.shape()[1];
  const int64_t* len = lengths.defined() ? lengths.data<int64_t>() : nullptr;
  const Dims d{xp.shape()[0], xp.shape()[1], H, w.shape()[0]};
  const int64_t S = dispatch::rnn_saved_per_row(mode) * H;  // saved floats per row
  const T *px = xp.data<T>(), *pw = w.data<T>(), *pb = b.defined() ? b.data<T>() : nullptr;
  const T *ph0 = h0.data<T>(), *pc0 = mode == RnnMode::Lstm ? c0.data<T>() : nullptr;
  T *po = out.data<T>(), *pws = S ? ws.data<T>() : nullptr;
  if (mode == RnnMode::Lstm) {
    lstm_forward(reverse, d, px, ph0, pc0, pw, pb, len, po, pws);
  } else {
    std::vector<T> hp(size_t(d.B * d.G));
    const StepWeights<T> wt(H, d.G, pw, 1, H);  // W^T (H, G): element (p, j) at W[j, p]
    int64_t t = reverse ? d.T - 1 : 0, tp = -1;
    for (int64_t s = 0; s < d.T; ++s, tp = t, t += reverse ? -1 : 1) {
      const T* hprev = tp < 0 ? ph0 : po + tp * d.B * H;
      wt.mul(d.B, hprev, H, T(0), hp.data(), d.G);
      const T* xt = px + t * d.B * d.G;
      T* ot = po + t * d.B * H;
      each_row(d.B, 12 * d.G, [&](int64_t r) {
        const T *x = xt + r * d.G, *q = hp.data() + r * d.G;
        T* h = ot + r * H;
        if (len && t >= len[r]) {  // past this row's end: its state passes through
          std::memcpy(h, hprev + r * H, size_t(H) * sizeof(T));
        } else if (mode == RnnMode::Gru) {
          gru_fwd(H, x, q, pb, hprev + r * H, pws + (t * d.B + r) * S, h);
        } else {
          sum_gates(H, x, q, pb, h);
          unary<T>(mode == RnnMode::Tanh ? UnaryOp::Tanh : UnaryOp::Relu)(H, h, h);
        }
      });
    }
  }
  const int64_t last = reverse ? 0 : d.T - 1;
  std::memcpy(hn.data<T>(), po + last * d.B * H, size_t(d.B * H) * sizeof(T));
  if (mode == RnnMode::Lstm) {
    T* pcn = cn.data<T>();
    for (int64_t r = 0; r < d.B; ++r)
      std::memcpy(pcn + r * H, pws + (last * d.B + r) * S + 4 * H, size_t(H) * sizeof(T));
  }
}

template <class T>
void backward(RnnMode mode, bool reverse, const Tensor& gxp, const Tensor& gh0, const Tensor& gc0, const Tensor& gw,
              const Tensor& gb, const Tensor& gout, const Tensor& ghn, const Tensor& gcn, const Tensor& out,
              const Tensor& ws, const Tensor& h0, const Tensor& c0, const Tensor& w, const Tensor& lengths) {
  const int64_t H = w.shape()[1];
  const int64_t* len = lengths.defined() ? lengths.data<int64_t>() : nullptr;
  const Dims d{out.shape()[0], out.shape()[1], H, w.shape()[0]};
  const int64_t S = dispatch::rnn_saved_per_row(mode) * H;
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  const T *pw = w.data<T>(), *po = out.data<T>(), *pws = S ? ws.data<T>() : nullptr, *pg = gout.data<T>();
  const T *ph0 = h0.data<T>(), *pc0 = lstm ? c0.data<T>() : nullptr;
  T* pgx = gxp.data<T>();
  // The hidden projection's gradient per step: the input projection's own, except for GRU,
  // whose n gate sees r * (W_hn h + b_hn).
  std::vector<T> ghp_own(gru ? size_t(d.T * d.B * d.G) : 0);
  T* pgh = gru ? ghp_own.data() : pgx;
  T* dh = gh0.data<T>();  // the carried hidden gradient, finally gh0
  std::memcpy(dh, ghn.data<T>(), size_t(d.B * H) * sizeof(T));
  T* dc = lstm ? gc0.data<T>() : nullptr;
  if (lstm) std::memcpy(dc, gcn.data<T>(), size_t(d.B * H) * sizeof(T));
  if (lstm) {
    lstm_backward(reverse, d, pg, pws, pc0, pw, len, pgx, dh, dc);
  } else {
    std::vector<T> tot(size_t(d.B * H));
    const StepWeights<T> wn(d.G, H, pw, H, 1);  // W (G, H) itself
    for (int64_t s = 0; s < d.T; ++s) {
      const int64_t t = reverse ? s : d.T - 1 - s, tp = reverse ? t + 1 : t - 1;
      const bool first = reverse ? t == d.T - 1 : t == 0;
      const T* hprev = first ? ph0 : po + tp * d.B * H;
      const T* go = pg + t * d.B * H;
      each_row(d.B, 12 * d.G, [&](int64_t r) {
        T* gx = pgx + (t * d.B + r) * d.G;
        T* dt = tot.data() + r * H;
        for (int64_t j = 0; j < H; ++j) dt[j] = go[r * H + j] + dh[r * H + j];
        if (len && t >= len[r]) {  // a pass-through step: the state's gradient flows on as is
          std::fill(gx, gx + d.G, T(0));
          if (gru) std::fill(pgh + (t * d.B + r) * d.G, pgh + (t * d.B + r + 1) * d.G, T(0));
          std::memcpy(dh + r * H, dt, size_t(H) * sizeof(T));
          return;
        }
        if (gru) {
          gru_bwd(H, pws + (t * d.B + r) * S, hprev + r * H, dt, gx, pgh + (t * d.B + r) * d.G, dh + r * H);
        } else {
          const T* h = po + (t * d.B + r) * H;
          if (mode == RnnMode::Tanh)
            for (int64_t j = 0; j < H; ++j) gx[j] = dt[j] * (T(1) - h[j] * h[j]);
          else
            for (int64_t j = 0; j < H; ++j) gx[j] = h[j] > T(0) ? dt[j] : T(0);
          if (len) std::fill(dh + r * H, dh + (r + 1) * H, T(0));
        }
      });
      // dh_prev = ghp_t W + the direct part left in dh (GRU's dh z; a pass-through row's dh)
      wn.mul(d.B, pgh + t * d.B * d.G, d.G, gru || len ? T(1) : T(0), dh, H);
    }
  }
  // gw = sum_t ghp_t^T h_prev(t): the step whose previous state is h0, then all others at once.
  const int64_t t0 = reverse ? d.T - 1 : 0;
  T* pgw = gw.data<T>();
  blas::gemm_ex<T>(blas::DoTrans, blas::NoTrans, int(d.G), int(H), int(d.B), T(1), pgh + t0 * d.B * d.G, int(d.G),
                   ph0, int(H), T(0), pgw, int(H));
  if (d.T > 1) {
    const T* gh_rest = pgh + (reverse ? 0 : d.B * d.G);
    const T* h_rest = po + (reverse ? d.B * H : 0);
    blas::gemm_ex<T>(blas::DoTrans, blas::NoTrans, int(d.G), int(H), int((d.T - 1) * d.B), T(1), gh_rest,
                     int(d.G), h_rest, int(H), T(1), pgw, int(H));
  }
  if (gb.defined()) {
    T* pgb = gb.data<T>();
    std::fill(pgb, pgb + d.G, T(0));
    kern<T>().column_sum(pgh, d.T * d.B, d.G, pgb);
  }
}

void rnn_layer(RnnMode mode, bool reverse, const Tensor& out, const Tensor& hn, const Tensor& cn, const Tensor& ws,
               const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w, const Tensor& b,
               const Tensor& lengths) {
  if (xp.dtype() == kFloat64) forward<double>(mode, reverse, out, hn, cn, ws, xp, h0, c0, w, b, lengths);
  else forward<float>(mode, reverse, out, hn, cn, ws, xp, h0, c0, w, b, lengths);
}

void rnn_layer_backward(RnnMode mode, bool reverse, const Tensor& gxp, const Tensor& gh0, const Tensor& gc0,
                        const Tensor& gw, const Tensor& gb, const Tensor& gout, const Tensor& ghn, const Tensor& gcn,
                        const Tensor& out, const Tensor& ws, const Tensor& h0, const Tensor& c0, const Tensor& w,
                        const Tensor& lengths) {
  if (out.dtype() == kFloat64)
    backward<double>(mode, reverse, gxp, gh0, gc0, gw, gb, gout, ghn, gcn, out, ws, h0, c0, w, lengths);
  else
    backward<float>(mode, reverse, gxp, gh0, gc0, gw, gb, gout, ghn, gcn, out, ws, h0, c0, w, lengths);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::rnn_layer_stub, CPU, rnn_layer);
STEEPEST_REGISTER_KERNEL(dispatch::rnn_layer_backward_stub, CPU, rnn_layer_backward);

}  // namespace steepest::kernels::cpu
