// The CPU kernels of the CTC loss (dispatch/ctc.hpp): per sequence, the alpha recursion
// (forward) and the beta recursion gathering alpha * beta per label (backward), all in log
// space in log_probs' dtype; sequences run in parallel over OpenMP threads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dispatch/ctc.hpp"

namespace steepest::kernels::cpu {

namespace {

// Sequence b's lengths and where its labels start in the flat targets.
struct Seq {
  int64_t input_length, target_length, offset;
};
inline Seq seq_of(const int64_t* geom, int64_t b) {
  const int64_t* r = geom + b * dispatch::kCtcGeomCols;
  return {r[dispatch::kCtcInputLength], r[dispatch::kCtcTargetLength], r[dispatch::kCtcTargetOffset]};
}

// The label of state s of the extended sequence (blank, l1, blank, l2, ..., lK, blank).
inline int64_t label_at(const int64_t* tg, int64_t s, int64_t blank) { return (s & 1) ? tg[s >> 1] : blank; }

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// log(e^a + e^b + e^c); -inf when all three are (never -inf - -inf).
template <class T>
inline T log_add3(T a, T b, T c) {
  const T m = std::max(a, std::max(b, c));
  if (m == kNegInf<T>) return m;
  return std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m)) + m;
}

// acc = log(e^acc + e^x), acc starting at -inf (the empty sum).
template <class T>
inline void log_accumulate(T& acc, T x) {
  if (acc == kNegInf<T>) {
    acc = x;
  } else {
    const T m = std::max(acc, x);
    acc = std::log(std::exp(acc - m) + std::exp(x - m)) + m;
  }
}

// fn(b) for every sequence, over threads when the recursions' total work pays for waking them
// (sequences differ in length, so they are handed out dynamically).
template <class F>
void for_sequences(const int64_t* geom, int64_t N, F fn) {
  int64_t work = 0;
  for (int64_t b = 0; b < N; ++b) {
    const Seq q = seq_of(geom, b);
    work += q.input_length * (2 * q.target_length + 1);
  }
  const bool par = N > 1 && work >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t b = 0; b < N; ++b) fn(b);
}

// Every label the recursions will read: in [0, C) and not the blank.
void check_labels(const Tensor& targets, const Tensor& geom, int64_t C, int64_t blank) {
  const int64_t* tg = targets.data<int64_t>();
  const int64_t* g = geom.data<int64_t>();
  for (int64_t b = 0; b < geom.shape()[0]; ++b) {
    const Seq q = seq_of(g, b);
    for (int64_t i = 0; i < q.target_length; ++i) {
      const int64_t v = tg[q.offset + i];
      STEEPEST_CHECK(v >= 0 && v < C, IndexError, "ctc_loss: target label ", v, " (sequence ", b, ", position ", i,
                     ") is out of bounds for ", C, " classes");
      STEEPEST_CHECK(v != blank, ValueError, "ctc_loss: target label ", v, " (sequence ", b, ", position ", i,
                     ") is the blank label; targets must not contain the blank (blank=", blank, ")");
    }
  }
}

template <class T>
void forward(const Tensor& nll_t, const Tensor& alpha_t, const Tensor& log_probs, const Tensor& targets,
             const Tensor& geom_t, int64_t blank) {
  const int64_t Tn = log_probs.shape()[0], N = log_probs.shape()[1], C = log_probs.shape()[2];
  const int64_t W = alpha_t.shape()[2];  // 2 * longest target + 1
  const T* lp = log_probs.data<T>();
  const int64_t* tg_all = targets.data<int64_t>();
  const int64_t* geom = geom_t.data<int64_t>();
  T* nll = nll_t.data<T>();
  T* alpha_all = alpha_t.data<T>();
  for_sequences(geom, N, [&](int64_t b) {
    const Seq q = seq_of(geom, b);
    const int64_t L = q.input_length, K = q.target_length, S = 2 * K + 1;
    const int64_t* tg = tg_all + q.offset;
    T* alpha = alpha_all + b * Tn * W;
    if (L == 0) {  // only the empty target has a (empty) alignment
      nll[b] = K == 0 ? -T(0) : -kNegInf<T>;
      return;
    }
    // t = 0: a path starts at the leading blank or at the first label.
    const T* lp0 = lp + b * C;
    std::fill(alpha, alpha + S, kNegInf<T>);
    alpha[0] = lp0[blank];
    if (K > 0) alpha[1] = lp0[tg[0]];
    for (int64_t t = 1; t < L; ++t) {
      const T* prev = alpha + (t - 1) * W;
      T* cur = alpha + t * W;
      const T* lpt = lp + (t * N + b) * C;
      for (int64_t s = 0; s < S; ++s) {
        const int64_t l = label_at(tg, s, blank);
        // Stay, advance one state, or skip the blank between two different labels.
        const T a2 = s > 0 ? prev[s - 1] : kNegInf<T>;
        const T a3 = s > 1 && label_at(tg, s - 2, blank) != l ? prev[s - 2] : kNegInf<T>;
        cur[s] = log_add3(prev[s], a2, a3) + lpt[l];
      }
    }
    // A path ends on the last label or the trailing blank.
    const T* last = alpha + (L - 1) * W;
    nll[b] = K == 0 ? -last[0] : -log_add3(last[S - 1], last[S - 2], kNegInf<T>);
  });
}

template <class T>
void backward(const Tensor& grad_t, const Tensor& g_t, const Tensor& log_probs, const Tensor& targets,
              const Tensor& geom_t, const Tensor& nll_t, const Tensor& alpha_t, int64_t blank, bool zero_infinity) {
  const int64_t Tn = log_probs.shape()[0], N = log_probs.shape()[1], C = log_probs.shape()[2];
  const int64_t W = alpha_t.shape()[2];
  const T* lp = log_probs.data<T>();
  const int64_t* tg_all = targets.data<int64_t>();
  const int64_t* geom = geom_t.data<int64_t>();
  const T* nll = nll_t.data<T>();
  const T* gout = g_t.data<T>();
  const T* alpha_all = alpha_t.data<T>();
  T* grad = grad_t.data<T>();
  for_sequences(geom, N, [&](int64_t b) {
    const Seq q = seq_of(geom, b);
    const int64_t K = q.target_length, S = 2 * K + 1;
    // zero_infinity: an impossible alignment contributes nothing, its gradient included.
    const int64_t L = zero_infinity && nll[b] == -kNegInf<T> ? 0 : q.input_length;
    const int64_t* tg = tg_all + q.offset;
    const T* alpha = alpha_all + b * Tn * W;
    auto row = [&](int64_t t) { return grad + (t * N + b) * C; };
    for (int64_t t = L; t < Tn; ++t) std::fill(row(t), row(t) + C, T(0));
    if (L == 0) return;
    // Each row t < L first gathers log sum over the states s labelled c of alpha_t(s) beta_t(s).
    for (int64_t t = 0; t < L; ++t) std::fill(row(t), row(t) + C, kNegInf<T>);
    std::vector<T> rows(size_t(2 * S), kNegInf<T>);  // beta_{t+1} and beta_t
    T* next = rows.data();
    T* cur = rows.data() + S;
    // t = L - 1: a path ends on the trailing blank or the last label.
    const T* lpl = lp + ((L - 1) * N + b) * C;
    next[S - 1] = lpl[blank];
    if (K > 0) next[S - 2] = lpl[tg[K - 1]];
    for (int64_t s = 0; s < S; ++s)
      log_accumulate(row(L - 1)[label_at(tg, s, blank)], alpha[(L - 1) * W + s] + next[s]);
    for (int64_t t = L - 2; t >= 0; --t) {
      const T* lpt = lp + (t * N + b) * C;
      T* gr = row(t);
      for (int64_t s = 0; s < S; ++s) {
        const int64_t l = label_at(tg, s, blank);
        // Stay, go back one state, or skip the blank between two different labels.
        const T b2 = s < S - 1 ? next[s + 1] : kNegInf<T>;
        const T b3 = s < S - 2 && label_at(tg, s + 2, blank) != l ? next[s + 2] : kNegInf<T>;
        cur[s] = log_add3(next[s], b2, b3) + lpt[l];
        log_accumulate(gr[l], alpha[t * W + s] + cur[s]);
      }
      std::swap(next, cur);
    }
    // d nll / d logits of a log_softmax: p - (sum of the paths through (t, c)) / p(target).
    const T nl = nll[b], go = gout[b];
    for (int64_t t = 0; t < L; ++t) {
      const T* lpt = lp + (t * N + b) * C;
      T* gr = row(t);
      for (int64_t c = 0; c < C; ++c) gr[c] = (std::exp(lpt[c]) - std::exp(gr[c] + nl - lpt[c])) * go;
    }
  });
}

void ctc_loss(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs, const Tensor& targets,
              const Tensor& geom, int64_t blank) {
  check_labels(targets, geom, log_probs.shape()[2], blank);
  if (log_probs.dtype() == kFloat64) forward<double>(nll, log_alpha, log_probs, targets, geom, blank);
  else forward<float>(nll, log_alpha, log_probs, targets, geom, blank);
}

void ctc_loss_backward(const Tensor& grad, const Tensor& g, const Tensor& log_probs, const Tensor& targets,
                       const Tensor& geom, const Tensor& nll, const Tensor& log_alpha, int64_t blank,
                       bool zero_infinity) {
  if (log_probs.dtype() == kFloat64)
    backward<double>(grad, g, log_probs, targets, geom, nll, log_alpha, blank, zero_infinity);
  else
    backward<float>(grad, g, log_probs, targets, geom, nll, log_alpha, blank, zero_infinity);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::ctc_loss_stub, CPU, ctc_loss);
STEEPEST_REGISTER_KERNEL(dispatch::ctc_loss_backward_stub, CPU, ctc_loss_backward);

}  // namespace steepest::kernels::cpu
