// RMSprop, plain or centered, with or without momentum: torch's _single_tensor_rmsprop
// (docs/optimizers.md §1.4), one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct RMSpropStep {
  double grad_scale, weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr;
  int decay, centered, use_momentum;
};

// torch's state order: square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
struct RMSpropSlots {
  enum : int { kSquareAvg = kFirstState, kMomentumBuffer, kGradAvg };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, square_avg[, grad_avg if centered][, momentum_buffer if momentum].
template <class T, bool L2, bool CENTERED, bool MOMENTUM>
struct RMSprop : RMSpropSlots {
  static constexpr int kArrays = CENTERED ? 5 : MOMENTUM ? 4 : 3;
  static constexpr unsigned kUses = 0b111u | (MOMENTUM ? 1u << kMomentumBuffer : 0u) | (CENTERED ? 1u << kGradAvg : 0u);
  T gs, wd, alpha, oma, eps, mom, neg_lr;
  Lerp<T> lerp_a;
  STEEPEST_HOST_DEVICE explicit RMSprop(const RMSpropStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), alpha(T(s.alpha)), oma(T(s.one_minus_alpha)),
        eps(T(s.eps)), mom(T(s.momentum)), neg_lr(T(s.neg_lr)), lerp_a(s.one_minus_alpha) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);
    V sq = addcmul(x[kSquareAvg] * splat<V>(alpha), splat<V>(oma), g, g);
    x[kSquareAvg] = sq;
    V avg;
    if constexpr (CENTERED) {
      V ga = lerp_a(x[kGradAvg], g);
      x[kGradAvg] = ga;
      avg = sqrt(fma(-ga, ga, sq));                  // addcmul(ga, ga, value=-1).sqrt_()
    } else {
      avg = sqrt(sq);
    }
    avg = avg + splat<V>(eps);
    if constexpr (MOMENTUM) {
      V buf = x[kMomentumBuffer] * splat<V>(mom) + g / avg;  // mul_(momentum).addcdiv_(g, avg)
      x[kMomentumBuffer] = buf;
      x[kParam] = fma(splat<V>(neg_lr), buf, p);          // p.add_(buf, alpha=-lr)
    } else {
      x[kParam] = addcdiv(p, splat<V>(neg_lr), g, avg);
    }
  }
};

struct RMSpropKernel {
  using Step = RMSpropStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.decay == int(Decay::L2), [&](auto l2) {
      with_bool(s.centered != 0, [&](auto c) {
        with_bool(s.use_momentum != 0, [&](auto m) { fn(RMSprop<T, STEEPEST_C(l2), STEEPEST_C(c), STEEPEST_C(m)>(s)); });
      });
    });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
