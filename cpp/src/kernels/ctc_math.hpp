// The per-state math of the CTC recursions that both backends run (host-device): a sequence's
// geometry row, the label of an extended state, the rule for skipping a blank, the log-space
// sums of a state's predecessors (alpha) and successors (beta), and the gradient formula.
#pragma once
#include <math.h>

#include <cstdint>

#include "dispatch/ctc.hpp"
#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::kernels {

// Sequence b's lengths and where its labels start in the flat targets.
struct CtcSeq {
  int64_t input_length, target_length, offset;
};
STEEPEST_HD inline CtcSeq ctc_seq(const int64_t* geom, int64_t b) {
  const int64_t* r = geom + b * dispatch::kCtcGeomCols;
  return {r[dispatch::kCtcInputLength], r[dispatch::kCtcTargetLength], r[dispatch::kCtcTargetOffset]};
}

// The label of state s of the extended sequence (blank, l1, blank, l2, ..., lK, blank).
STEEPEST_HD inline int64_t ctc_label(const int64_t* tg, int64_t s, int64_t blank) {
  return (s & 1) ? tg[s >> 1] : blank;
}

// Whether a path may jump from state s - 2 straight to s: only onto a label different from
// the one before the blank it skips (a repeated label needs the blank between its copies).
STEEPEST_HD inline bool ctc_can_skip_into(const int64_t* tg, int64_t s, int64_t blank) {
  return s > 1 && ctc_label(tg, s - 2, blank) != ctc_label(tg, s, blank);
}

template <class T>
STEEPEST_HD inline T ctc_neg_inf() {
  return -T(INFINITY);
}

// libm's exp and log by dtype, named so on both sides (std::exp(float) is expf on the host).
STEEPEST_HD inline float ctc_exp(float x) { return ::expf(x); }
STEEPEST_HD inline double ctc_exp(double x) { return ::exp(x); }
STEEPEST_HD inline float ctc_log(float x) { return ::logf(x); }
STEEPEST_HD inline double ctc_log(double x) { return ::log(x); }

// log(e^a + e^b + e^c); -inf when all three are (never -inf - -inf).
template <class T>
STEEPEST_HD inline T ctc_log_add3(T a, T b, T c) {
  // std::max's comparisons (a NaN propagates the same way), written out for the device.
  const T bc = b < c ? c : b;
  const T m = a < bc ? bc : a;
  if (m == ctc_neg_inf<T>()) return m;
  return ctc_log(ctc_exp(a - m) + ctc_exp(b - m) + ctc_exp(c - m)) + m;
}

// acc = log(e^acc + e^x), acc starting at -inf (the empty sum).
template <class T>
STEEPEST_HD inline void ctc_log_accumulate(T& acc, T x) {
  if (acc == ctc_neg_inf<T>()) {
    acc = x;
  } else {
    const T m = acc < x ? x : acc;
    acc = ctc_log(ctc_exp(acc - m) + ctc_exp(x - m)) + m;
  }
}

// log alpha_t(s) - log p_t(label s): the log-sum over the states a path at s came from at
// t - 1 (stay, advance one state, or skip the blank between two different labels).
template <class T>
STEEPEST_HD inline T ctc_alpha_in(const T* prev, int64_t s, const int64_t* tg, int64_t blank) {
  const T a2 = s > 0 ? prev[s - 1] : ctc_neg_inf<T>();
  const T a3 = ctc_can_skip_into(tg, s, blank) ? prev[s - 2] : ctc_neg_inf<T>();
  return ctc_log_add3(prev[s], a2, a3);
}

// log beta_t(s) - log p_t(label s): the log-sum over the states a path at s goes on to at
// t + 1 (stay, go on one state, or skip the next blank), S the extended length.
template <class T>
STEEPEST_HD inline T ctc_beta_in(const T* next, int64_t s, int64_t S, const int64_t* tg, int64_t blank) {
  const T b2 = s < S - 1 ? next[s + 1] : ctc_neg_inf<T>();
  const T b3 = s < S - 2 && ctc_can_skip_into(tg, s + 2, blank) ? next[s + 2] : ctc_neg_inf<T>();
  return ctc_log_add3(next[s], b2, b3);
}

// d nll / d logits of a log_softmax at one (t, c): p - (sum of the paths through (t, c)) /
// p(target), times the loss's gradient g; lab = log sum over the states labelled c of
// alpha_t(s) beta_t(s) (-inf when none is), nll = -log p(target).
template <class T>
STEEPEST_HD inline T ctc_grad(T lp, T lab, T nll, T g) {
  return (ctc_exp(lp) - ctc_exp(lab + nll - lp)) * g;
}

}  // namespace steepest::kernels
