// NAdam (momentum-decay schedule, L2 or decoupled weight decay): torch's _single_tensor_nadam
// (docs/optimizers.md §1.5), one element at a time. The mu products are per-tensor scalars the
// host keeps; here they arrive folded into the two step coefficients.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct NAdamStep {
  double grad_scale, weight_decay, decay_factor, beta1_weight, beta2, one_minus_beta2;
  double bias_correction2, eps, grad_coef, avg_coef;  // -lr(1-mu)/(1-prod), -lr mu'/(1-prod')
  int decay;
};

struct NAdamSlots {
  enum : int { kExpAvg = kFirstState, kExpAvgSq };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg, exp_avg_sq.
template <class T, Decay D>
struct NAdam : NAdamSlots {
  static constexpr int kArrays = 4;
  T gs, wd, decay, b2, omb2, bc2, eps, cg, cm;
  Lerp<T> lerp1;
  STEEPEST_HOST_DEVICE explicit NAdam(const NAdamStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), decay(T(s.decay_factor)), b2(T(s.beta2)),
        omb2(T(s.one_minus_beta2)), bc2(T(s.bias_correction2)), eps(T(s.eps)), cg(T(s.grad_coef)),
        cm(T(s.avg_coef)), lerp1(s.beta1_weight) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (D == Decay::L2) g = fma(splat<V>(wd), p, g);
    if constexpr (D == Decay::Decoupled) p = p * splat<V>(decay);
    V m = lerp1(x[kExpAvg], g);
    V v = addcmul(x[kExpAvgSq] * splat<V>(b2), splat<V>(omb2), g, g);
    V denom = sqrt(v / splat<V>(bc2)) + splat<V>(eps);  // bias-corrects v before the sqrt
    p = addcdiv(p, splat<V>(cg), g, denom);
    x[kParam] = addcdiv(p, splat<V>(cm), m, denom);
    x[kExpAvg] = m;
    x[kExpAvgSq] = v;
  }
};

struct NAdamKernel {
  using Step = NAdamStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_decay(s.decay, [&](auto d) { fn(NAdam<T, STEEPEST_C(d)>(s)); });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
