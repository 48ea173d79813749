// Schedule-Free AdamW (facebookresearch/schedule_free adamw_schedulefree.py, docs/optimizers.md §5):
// the per-element step on y (the param in train mode), z and the second moment, and the
// lerp toward z that train()/eval() use to swap y and x.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct ScheduleFreeAdamWStep {
  double grad_scale, beta2, one_minus_beta2, bias_correction2, eps, weight_decay;
  double ckp1;       // c = weight / weight_sum, the lerp weight of y toward z
  double y_coef;     // lr*(beta1*(1-c) - 1)
  double neg_lr;     // z -= lr*u
  int decay;         // Decay::None or Decay::L2 (decay evaluated at y)
};

struct LerpToStep {
  double weight;
};

struct ScheduleFreeSlots {
  enum : int { kZ = kFirstState, kExpAvgSq };
};
// LerpTo: x[kParam] moves toward x[kTarget] (read in the grad's slot, never written).
struct LerpToSlots {
  enum : int { kTarget = kGrad };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: y (the param), g, z, exp_avg_sq.
template <class T, bool WD>
struct ScheduleFreeAdamW : ScheduleFreeSlots {
  static constexpr int kArrays = 4;
  T gs, b2, omb2, bc2, eps, wd, y_coef, neg_lr;
  Lerp<T> lerp_c;
  STEEPEST_HOST_DEVICE explicit ScheduleFreeAdamW(const ScheduleFreeAdamWStep& s)
      : gs(T(s.grad_scale)), b2(T(s.beta2)), omb2(T(s.one_minus_beta2)), bc2(T(s.bias_correction2)),
        eps(T(s.eps)), wd(T(s.weight_decay)), y_coef(T(s.y_coef)), neg_lr(T(s.neg_lr)), lerp_c(s.ckp1) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V y = x[kParam], g = x[kGrad] * splat<V>(gs), z = x[kZ];
    V v = addcmul(x[kExpAvgSq] * splat<V>(b2), splat<V>(omb2), g, g);       // mul_(b2).addcmul_(g, g, 1-b2)
    V denom = sqrt(v / splat<V>(bc2)) + splat<V>(eps);               // div(bc2).sqrt_().add_(eps)
    V u = g / denom;
    if constexpr (WD) u = fma(splat<V>(wd), y, u);                   // add_(y, alpha=wd)
    y = lerp_c(y, z);                                                // y.lerp_(z, c)
    x[kParam] = fma(splat<V>(y_coef), u, y);                         // y.add_(u, alpha=lr(b1(1-c)-1))
    x[kZ] = fma(splat<V>(neg_lr), u, z);                             // z.sub_(u, alpha=lr)
    x[kExpAvgSq] = v;
  }
};

// Arrays: p, z (read): p.lerp_(z, weight).
template <class T>
struct LerpTo : LerpToSlots {
  static constexpr int kArrays = 2;
  Lerp<T> lerp;
  STEEPEST_HOST_DEVICE explicit LerpTo(const LerpToStep& s) : lerp(s.weight) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const { x[kParam] = lerp(x[kParam], x[kTarget]); }
};

struct ScheduleFreeAdamWKernel {
  using Step = ScheduleFreeAdamWStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.decay == int(Decay::L2), [&](auto wd) { fn(ScheduleFreeAdamW<T, STEEPEST_C(wd)>(s)); });
  }
};
struct LerpToKernel {
  using Step = LerpToStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) { fn(LerpTo<T>(s)); }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
