// Lion (sign of an interpolated momentum, decoupled weight decay): the reference
// implementations in docs/optimizers.md §2, one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct LionStep {
  double grad_scale, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2, neg_lr;
};

struct LionSlots {
  enum : int { kExpAvg = kFirstState };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg.
template <class T>
struct Lion : LionSlots {
  static constexpr int kArrays = 3;
  T gs, decay, b1, omb1, b2, omb2, neg_lr;
  STEEPEST_HOST_DEVICE explicit Lion(const LionStep& s)
      : gs(T(s.grad_scale)), decay(T(s.decay_factor)), b1(T(s.beta1)), omb1(T(s.one_minus_beta1)),
        b2(T(s.beta2)), omb2(T(s.one_minus_beta2)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[kGrad] * splat<V>(gs), m = x[kExpAvg];
    V p = x[kParam] * splat<V>(decay);                                 // p.mul_(1 - lr*wd)
    V c = sign(fma(splat<V>(omb1), g, m * splat<V>(b1)));         // m*b1 + (1-b1) g
    x[kParam] = fma(splat<V>(neg_lr), c, p);                           // p.add_(c, alpha=-lr)
    x[kExpAvg] = fma(splat<V>(omb2), g, m * splat<V>(b2));        // momentum after, with beta2
  }
};

struct LionKernel {
  using Step = LionStep;
  static constexpr bool kLowPrecision = true;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) { fn(Lion<T>(s)); }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
