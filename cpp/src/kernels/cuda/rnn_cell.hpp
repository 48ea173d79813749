// The per-element bodies of the CUDA recurrent kernels (dispatch/rnn.hpp), host-device: one
// step of one (batch row, hidden unit) pair, forward and backward, for LSTM, GRU and the
// tanh/relu RNN. The formulas, their order of operations and the sigmoid/tanh are the CPU
// kernel's (kernels/cpu/rnn.cpp over kernels/cpu/elementwise_ops.hpp, in the namespace the
// including file names: `cudadev` in the .cu), so only the hidden products differ from the CPU.
// rnn.cu runs them in grid-stride kernels; the CPU test binary replays them on the host
// (tests/cpp/test_cuda_rnn.cpp).
#pragma once
#include <cstdint>

#ifndef STEEPEST_ISA
#define STEEPEST_ISA cudadev
#endif
#include "kernels/cpu/elementwise_ops.hpp"
#include "steepest/nn/recurrent.hpp"

namespace steepest::cuda::rnn {

using nn::functional::RnnMode;
namespace m = kernels::STEEPEST_ISA;

// Gate blocks of H in each mode's weights, and the floats saved per row and step (units of
// H): dispatch::rnn_gates / rnn_saved_per_row restated for device code.
STEEPEST_HD inline int64_t gates(RnnMode mode) { return mode == RnnMode::Lstm ? 4 : mode == RnnMode::Gru ? 3 : 1; }
STEEPEST_HD inline int64_t saved(RnnMode mode) { return mode == RnnMode::Lstm ? 5 : mode == RnnMode::Gru ? 4 : 0; }

// One forward step t over all (r, j), r < B, j < H. All pointers are to step t's slices
// (row-major, rows of G, S or H floats) except cprev, c of the previous step with row stride
// cprev_ld (c0's H or the saved c slot's S).
template <class T>
struct CellFwd {
  RnnMode mode;
  int64_t B, H, G, S, t;
  const T* xt;            // (B, G) input projection
  const T* hp;            // (B, G) hidden projection h_{t-1} W^T
  const T* b;             // (G) hidden bias, or null
  const T* hprev;         // (B, H)
  const T* cprev;         // LSTM: (B, cprev_ld)
  int64_t cprev_ld;
  const int64_t* len;     // (B) lengths, or null
  T* ws;                  // (B, S) saved for the backward
  T* out;                 // (B, H)
};

template <class T>
STEEPEST_HD inline T pre(const T* x, const T* q, const T* b, int64_t k) {
  return b ? x[k] + (q[k] + b[k]) : x[k] + q[k];  // sum_gates' association
}

template <class T>
STEEPEST_HD inline void cell_forward(const CellFwd<T>& a, int64_t i) {
  const int64_t H = a.H, r = i / H, j = i % H;
  const T *x = a.xt + r * a.G, *q = a.hp + r * a.G;
  T* w = a.ws ? a.ws + r * a.S : nullptr;
  T* h = a.out + r * H;
  if (a.len && a.t >= a.len[r]) {  // past this row's end: its state passes through
    h[j] = a.hprev[r * H + j];
    if (a.mode == RnnMode::Lstm) w[4 * H + j] = a.cprev[r * a.cprev_ld + j];
    // The gates of a pass-through step are never read; zeros keep ws fully written.
    const int64_t zs = a.mode == RnnMode::Lstm || a.mode == RnnMode::Gru ? 4 : 0;
    for (int64_t k = 0; k < zs; ++k) w[k * H + j] = T(0);
    return;
  }
  if (a.mode == RnnMode::Lstm) {
    const T ig = m::SigmoidOp{}(pre(x, q, a.b, j));
    const T fg = m::SigmoidOp{}(pre(x, q, a.b, H + j));
    const T gg = m::TanhOp{}(pre(x, q, a.b, 2 * H + j));
    const T og = m::SigmoidOp{}(pre(x, q, a.b, 3 * H + j));
    const T c = fg * a.cprev[r * a.cprev_ld + j] + ig * gg;
    w[j] = ig;
    w[H + j] = fg;
    w[2 * H + j] = gg;
    w[3 * H + j] = og;
    w[4 * H + j] = c;
    h[j] = og * m::TanhOp{}(c);
  } else if (a.mode == RnnMode::Gru) {
    const T rg = m::SigmoidOp{}(pre(x, q, a.b, j));
    const T zg = m::SigmoidOp{}(pre(x, q, a.b, H + j));
    const T hn = a.b ? q[2 * H + j] + a.b[2 * H + j] : q[2 * H + j];
    const T n = m::TanhOp{}(x[2 * H + j] + rg * hn);
    w[j] = rg;
    w[H + j] = zg;
    w[2 * H + j] = n;
    w[3 * H + j] = hn;
    h[j] = (T(1) - zg) * n + zg * a.hprev[r * H + j];
  } else if (a.mode == RnnMode::Tanh) {
    h[j] = m::TanhOp{}(pre(x, q, a.b, j));
  } else {
    h[j] = m::ReluOp{}(pre(x, q, a.b, j));
  }
}

// One backward step t over all (r, j). dh (B, H) holds the hidden gradient carried from step
// t+1 (t-1 when reverse); the total gradient of h_t is gout_t + dh. Writes the gates'
// pre-activation gradients gx (B, G) (GRU also gh, the hidden projection's, which differs in
// the n gate), and leaves in dh the part of h_{t-1}'s gradient that does not go through the
// product with W: GRU's dh z, a pass-through row's whole gradient, else 0 when there are
// lengths (the product then adds into dh; without lengths, non-GRU products overwrite it). dc (B, H):
// LSTM's cell gradient, in for step t, out for step t-1.
template <class T>
struct CellBwd {
  RnnMode mode;
  int64_t B, H, G, S, t;
  const T* gout;          // (B, H)
  const T* ws;            // (B, S) step t's saved floats
  const T* hprev;         // (B, H)
  const T* h;             // (B, H) out at t
  const T* cprev;         // LSTM: (B, cprev_ld)
  int64_t cprev_ld;
  const int64_t* len;     // (B) or null
  T* dh;                  // (B, H)
  T* dc;                  // LSTM (B, H)
  T* gx;                  // (B, G)
  T* gh;                  // (B, G): GRU's own buffer, else gx
};

template <class T>
STEEPEST_HD inline void cell_backward(const CellBwd<T>& a, int64_t i) {
  const int64_t H = a.H, r = i / H, j = i % H;
  const T dt = a.gout[r * H + j] + a.dh[r * H + j];
  T* gx = a.gx + r * a.G;
  T* gh = a.gh + r * a.G;
  if (a.len && a.t >= a.len[r]) {  // a pass-through step: the state's gradient flows on as is
    for (int64_t k = 0; k < a.G; k += H) {
      gx[k + j] = T(0);
      gh[k + j] = T(0);
    }
    a.dh[r * H + j] = dt;
    return;
  }
  if (a.mode == RnnMode::Lstm) {
    const T* w = a.ws + r * a.S;
    const T ig = w[j], fg = w[H + j], gg = w[2 * H + j], og = w[3 * H + j];
    const T tc = m::TanhOp{}(w[4 * H + j]);
    const T d = a.dc[r * H + j] + dt * og * (T(1) - tc * tc);
    gx[j] = d * gg * ig * (T(1) - ig);
    gx[H + j] = d * a.cprev[r * a.cprev_ld + j] * fg * (T(1) - fg);
    gx[2 * H + j] = d * ig * (T(1) - gg * gg);
    gx[3 * H + j] = dt * tc * og * (T(1) - og);
    a.dc[r * H + j] = d * fg;
  } else if (a.mode == RnnMode::Gru) {
    const T* w = a.ws + r * a.S;
    const T rg = w[j], zg = w[H + j], n = w[2 * H + j], hn = w[3 * H + j];
    const T dn = dt * (T(1) - zg) * (T(1) - n * n);
    const T dz = dt * (a.hprev[r * H + j] - n) * zg * (T(1) - zg);
    const T dr = dn * hn * rg * (T(1) - rg);
    gx[j] = gh[j] = dr;
    gx[H + j] = gh[H + j] = dz;
    gx[2 * H + j] = dn;
    gh[2 * H + j] = dn * rg;
    a.dh[r * H + j] = dt * zg;
    return;
  } else {
    const T hv = a.h[r * H + j];
    if (a.mode == RnnMode::Tanh) gx[j] = dt * (T(1) - hv * hv);
    else gx[j] = hv > T(0) ? dt : T(0);
  }
  if (a.len) a.dh[r * H + j] = T(0);
}

}  // namespace steepest::cuda::rnn
