// Adan, the adaptive Nesterov momentum rule (Xie et al., 2022; docs/optimizers.md), one element
// at a time, in the reference implementation's order of float operations.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct AdanStep {
  double grad_scale;
  double beta1, one_minus_beta1, beta2, one_minus_beta2, beta3, one_minus_beta3;
  double bias_correction3_sqrt, eps;
  double neg_step, neg_step_diff;  // -lr / (1 - beta1^t), -lr * beta2 / (1 - beta2^t)
  double decay_factor;             // no_prox: p *= 1 - lr*wd first
  double prox_divisor;             // otherwise: p /= 1 + lr*wd last
  int no_prox, first;              // first: the grad difference is zero (no previous grad yet)
};

struct AdanSlots {
  enum : int { kExpAvg = kFirstState, kExpAvgDiff, kExpAvgSq, kNegPreGrad };
};

inline namespace STEEPEST_UPDATES_ABI {

template <class T, bool NO_PROX, bool FIRST>
struct Adan : AdanSlots {
  static constexpr int kArrays = 6;
  T gs, b1, omb1, b2, omb2, b3, omb3, bc3_sqrt, eps, neg_step, neg_step_diff, decay, prox;
  STEEPEST_HOST_DEVICE explicit Adan(const AdanStep& s)
      : gs(T(s.grad_scale)), b1(T(s.beta1)), omb1(T(s.one_minus_beta1)), b2(T(s.beta2)), omb2(T(s.one_minus_beta2)),
        b3(T(s.beta3)), omb3(T(s.one_minus_beta3)), bc3_sqrt(T(s.bias_correction3_sqrt)), eps(T(s.eps)),
        neg_step(T(s.neg_step)), neg_step_diff(T(s.neg_step_diff)), decay(T(s.decay_factor)), prox(T(s.prox_divisor)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[kGrad] * splat<V>(gs);
    V npg = FIRST ? -g : x[kNegPreGrad];                          // the reference starts it at -g
    V diff = npg + g;                                             // g_t - g_{t-1}
    V m = fma(splat<V>(omb1), g, x[kExpAvg] * splat<V>(b1));      // mul_(b1).add_(g, alpha=1-b1)
    V d = fma(splat<V>(omb2), diff, x[kExpAvgDiff] * splat<V>(b2));
    V u = diff * splat<V>(b2) + g;                                // mul_(b2).add_(g)
    V n = addcmul(x[kExpAvgSq] * splat<V>(b3), splat<V>(omb3), u, u);
    V denom = sqrt(n) / splat<V>(bc3_sqrt) + splat<V>(eps);
    V p = x[kParam];
    if constexpr (NO_PROX) p = p * splat<V>(decay);
    p = addcdiv(p, splat<V>(neg_step), m, denom);
    p = addcdiv(p, splat<V>(neg_step_diff), d, denom);
    if constexpr (!NO_PROX) p = p / splat<V>(prox);
    x[kParam] = p;
    x[kExpAvg] = m;
    x[kExpAvgDiff] = d;
    x[kExpAvgSq] = n;
    x[kNegPreGrad] = -g;
  }
};

struct AdanKernel {
  using Step = AdanStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.no_prox != 0, [&](auto np) {
      with_bool(s.first != 0, [&](auto first) { fn(Adan<T, STEEPEST_C(np), STEEPEST_C(first)>(s)); });
    });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
