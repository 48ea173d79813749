// Adam, AdamW (decoupled weight decay) and AMSGrad: torch's _single_tensor_adam
// (docs/optimizers.md §1.2), one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct AdamStep {
  double grad_scale, weight_decay, decay_factor;  // L2: g += wd*p; decoupled: p *= decay_factor
  double beta1_weight;                            // 1 - beta1, the lerp weight
  double beta2, one_minus_beta2, neg_step_size, bias_correction2_sqrt, eps;
  int decay, amsgrad;
};

struct AdamSlots {
  enum : int { kExpAvg = kFirstState, kExpAvgSq, kMaxExpAvgSq };
};

inline namespace STEEPEST_UPDATES_ABI {

// Slots: param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq].
template <class T, Decay D, bool AMSGRAD>
struct Adam : AdamSlots {
  static constexpr int kArrays = AMSGRAD ? 5 : 4;
  T gs, wd, decay, b2, omb2, neg_step, bc2_sqrt, eps;
  Lerp<T> lerp1;
  STEEPEST_HOST_DEVICE explicit Adam(const AdamStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), decay(T(s.decay_factor)), b2(T(s.beta2)),
        omb2(T(s.one_minus_beta2)), neg_step(T(s.neg_step_size)),
        bc2_sqrt(T(s.bias_correction2_sqrt)), eps(T(s.eps)), lerp1(s.beta1_weight) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (D == Decay::L2) g = fma(splat<V>(wd), p, g);
    if constexpr (D == Decay::Decoupled) p = p * splat<V>(decay);
    V m = lerp1(x[kExpAvg], g);
    V v = addcmul(x[kExpAvgSq] * splat<V>(b2), splat<V>(omb2), g, g);
    V vv = v;
    if constexpr (AMSGRAD) {  // torch.maximum of the raw second moments: NaN on either side stays
      vv = maximum(x[kMaxExpAvgSq], v);
      x[kMaxExpAvgSq] = vv;
    }
    V denom = sqrt(vv) / splat<V>(bc2_sqrt) + splat<V>(eps);  // eps outside the sqrt
    x[kParam] = addcdiv(p, splat<V>(neg_step), m, denom);
    x[kExpAvg] = m;
    x[kExpAvgSq] = v;
  }
};

struct AdamKernel {
  using Step = AdamStep;
  static constexpr bool kLowPrecision = true;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_decay(s.decay, [&](auto d) {
      with_bool(s.amsgrad != 0, [&](auto ams) { fn(Adam<T, STEEPEST_C(d), STEEPEST_C(ams)>(s)); });
    });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
