// RAdam (rectified Adam; L2 or decoupled weight decay): torch's _single_tensor_radam
// (docs/optimizers.md §1.6), one element at a time. Whether the step is rectified depends only on
// t, so the two branches are two kernels.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct RAdamStep {
  double grad_scale, weight_decay, decay_factor, beta1_weight, beta2, one_minus_beta2;
  double bias_correction1, lr, eps, sqrt_bias_correction2, rect;
  int decay, rectified;
};

struct RAdamSlots {
  enum : int { kExpAvg = kFirstState, kExpAvgSq };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg, exp_avg_sq.
template <class T, Decay D, bool RECTIFIED>
struct RAdam : RAdamSlots {
  static constexpr int kArrays = 4;
  T gs, wd, decay, b2, omb2, bc1, lr, eps, sbc2, rect;
  Lerp<T> lerp1;
  STEEPEST_HOST_DEVICE explicit RAdam(const RAdamStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), decay(T(s.decay_factor)), b2(T(s.beta2)),
        omb2(T(s.one_minus_beta2)), bc1(T(s.bias_correction1)), lr(T(s.lr)), eps(T(s.eps)),
        sbc2(T(s.sqrt_bias_correction2)), rect(T(s.rect)), lerp1(s.beta1_weight) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (D == Decay::L2) g = fma(splat<V>(wd), p, g);
    if constexpr (D == Decay::Decoupled) p = p * splat<V>(decay);
    V m = lerp1(x[kExpAvg], g);
    V v = addcmul(x[kExpAvgSq] * splat<V>(b2), splat<V>(omb2), g, g);
    V step = (m / splat<V>(bc1)) * splat<V>(lr);
    if constexpr (RECTIFIED) {
      // sqrt(bc2) / (sqrt(v) + eps), as torch's scalar / tensor: reciprocal, then a product
      V adaptive = (splat<V>(1.0f) / (sqrt(v) + splat<V>(eps))) * splat<V>(sbc2);
      step = (step * adaptive) * splat<V>(rect);
    }
    x[kParam] = p - step;
    x[kExpAvg] = m;
    x[kExpAvgSq] = v;
  }
};

struct RAdamKernel {
  using Step = RAdamStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_decay(s.decay, [&](auto d) {
      with_bool(s.rectified != 0, [&](auto r) { fn(RAdam<T, STEEPEST_C(d), STEEPEST_C(r)>(s)); });
    });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
