// RMSprop, plain or centered, with or without momentum: torch's _single_tensor_rmsprop
// (optimizers.md §1.4), one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct RMSpropStep {
  double grad_scale, weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr;
  int decay, centered, use_momentum;
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, square_avg[, grad_avg if centered][, momentum_buffer if momentum].
template <class T, bool L2, bool CENTERED, bool MOMENTUM>
struct RMSprop {
  static constexpr int kArrays = 3 + CENTERED + MOMENTUM;
  T gs, wd, alpha, oma, eps, mom, neg_lr;
  Lerp<T> lerp_a;
  STEEPEST_HOST_DEVICE explicit RMSprop(const RMSpropStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), alpha(T(s.alpha)), oma(T(s.one_minus_alpha)),
        eps(T(s.eps)), mom(T(s.momentum)), neg_lr(T(s.neg_lr)), lerp_a(s.one_minus_alpha) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[0], g = x[1] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);
    V sq = addcmul(x[2] * splat<V>(alpha), splat<V>(oma), g, g);
    x[2] = sq;
    V avg;
    if constexpr (CENTERED) {
      V ga = lerp_a(x[3], g);
      x[3] = ga;
      avg = sqrt(fma(-ga, ga, sq));                  // addcmul(ga, ga, value=-1).sqrt_()
    } else {
      avg = sqrt(sq);
    }
    avg = avg + splat<V>(eps);
    if constexpr (MOMENTUM) {
      constexpr int kb = 3 + CENTERED;
      V buf = x[kb] * splat<V>(mom) + g / avg;       // mul_(momentum).addcdiv_(g, avg)
      x[kb] = buf;
      x[0] = fma(splat<V>(neg_lr), buf, p);          // p.add_(buf, alpha=-lr)
    } else {
      x[0] = addcdiv(p, splat<V>(neg_lr), g, avg);
    }
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
