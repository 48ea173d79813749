// The CPU kernels of the CTC loss (dispatch/ctc.hpp): per sequence, the alpha recursion
// (forward) and the beta recursion gathering alpha * beta per label (backward), all in log
// space in log_probs' dtype; sequences run in parallel over OpenMP threads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dispatch/ctc.hpp"
#include "kernels/ctc_math.hpp"

namespace steepest::kernels::cpu {

namespace {

using kernels::ctc_alpha_in;
using kernels::ctc_beta_in;
using kernels::ctc_grad;
using kernels::ctc_label;
using kernels::ctc_log_accumulate;
using kernels::ctc_log_add3;
using kernels::ctc_seq;
using kernels::CtcSeq;

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// fn(b) for every sequence, over threads when the recursions' total work pays for waking them
// (sequences differ in length, so they are handed out dynamically).
template <class F>
void for_sequences(const int64_t* geom, int64_t N, F fn) {
  int64_t work = 0;
  for (int64_t b = 0; b < N; ++b) {
    const CtcSeq q = ctc_seq(geom, b);
    work += q.input_length * (2 * q.target_length + 1);
  }
  const bool par = N > 1 && work >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t b = 0; b < N; ++b) fn(b);
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
    const CtcSeq q = ctc_seq(geom, b);
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
        cur[s] = ctc_alpha_in(prev, s, tg, blank) + lpt[ctc_label(tg, s, blank)];
      }
    }
    // A path ends on the last label or the trailing blank.
    const T* last = alpha + (L - 1) * W;
    nll[b] = K == 0 ? -last[0] : -ctc_log_add3(last[S - 1], last[S - 2], kNegInf<T>);
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
    const CtcSeq q = ctc_seq(geom, b);
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
      ctc_log_accumulate(row(L - 1)[ctc_label(tg, s, blank)], alpha[(L - 1) * W + s] + next[s]);
    for (int64_t t = L - 2; t >= 0; --t) {
      const T* lpt = lp + (t * N + b) * C;
      T* gr = row(t);
      for (int64_t s = 0; s < S; ++s) {
        const int64_t l = ctc_label(tg, s, blank);
        cur[s] = ctc_beta_in(next, s, S, tg, blank) + lpt[l];
        ctc_log_accumulate(gr[l], alpha[t * W + s] + cur[s]);
      }
      std::swap(next, cur);
    }
    const T nl = nll[b], go = gout[b];
    for (int64_t t = 0; t < L; ++t) {
      const T* lpt = lp + (t * N + b) * C;
      T* gr = row(t);
      for (int64_t c = 0; c < C; ++c) gr[c] = ctc_grad(lpt[c], gr[c], nl, go);
    }
  });
}

void ctc_loss(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs, const Tensor& targets,
              const Tensor& geom, int64_t blank) {
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
