// LAMB (timm lamb.py, docs/optimizers.md §6.1) in two passes around the per-tensor norms: the
// moment update that writes the raw update u, then p -= lr * trust_ratio * u (ScaledAdd,
// which Muon's final step shares).
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct LambStep {
  double grad_scale, beta1, beta3;   // m = m*b1 + beta3*g (beta3 = 1-b1 with grad averaging, else 1)
  double beta2, one_minus_beta2;
  double bias_correction1, bias_correction2_sqrt, eps;
  double weight_decay;               // L2 form: u += wd*p
  double neg_lr_wd;                  // decoupled form: p += (-lr*wd)*p
  int decay;
};

struct ScaledAddStep {
  double decay_factor, scale, neg_lr;
};

struct LambSlots {
  enum : int { kExpAvg = kFirstState, kExpAvgSq, kUpdate };  // kUpdate: the raw update u, written
};
// ScaledAdd: p = p*decay - lr*scale*u, u read in the grad's slot.
struct ScaledAddSlots {
  enum : int { kUpdateIn = kGrad };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg, exp_avg_sq, u (written).
template <class T, Decay D>
struct LambMoments : LambSlots {
  static constexpr int kArrays = 5;
  static constexpr unsigned kReadOnly = D == Decay::Decoupled ? 0u : 1u << kParam;  // p changes only when decoupled
  T gs, b1, b3, b2, omb2, bc1, bc2_sqrt, eps, wd, neg_lr_wd;
  STEEPEST_HOST_DEVICE explicit LambMoments(const LambStep& s)
      : gs(T(s.grad_scale)), b1(T(s.beta1)), b3(T(s.beta3)), b2(T(s.beta2)), omb2(T(s.one_minus_beta2)),
        bc1(T(s.bias_correction1)), bc2_sqrt(T(s.bias_correction2_sqrt)), eps(T(s.eps)), wd(T(s.weight_decay)),
        neg_lr_wd(T(s.neg_lr_wd)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    V m = fma(splat<V>(b3), g, x[kExpAvg] * splat<V>(b1));                   // mul_(b1).add_(g, alpha=beta3)
    V v = addcmul(x[kExpAvgSq] * splat<V>(b2), splat<V>(omb2), g, g);          // mul_(b2).addcmul_(g, g, 1-b2)
    V denom = sqrt(v) / splat<V>(bc2_sqrt) + splat<V>(eps);
    V u = (m / splat<V>(bc1)) / denom;
    if constexpr (D == Decay::L2) u = fma(splat<V>(wd), p, u);         // update.add_(p, alpha=wd)
    if constexpr (D == Decay::Decoupled) x[kParam] = fma(splat<V>(neg_lr_wd), p, p);  // p.add_(p, alpha=-lr*wd)
    x[kExpAvg] = m;
    x[kExpAvgSq] = v;
    x[kUpdate] = u;
  }
};

// Arrays: p, u (read): p = p*decay + neg_lr*(u*scale), each product rounded as torch's
// mul_ then add_(alpha) (decay = scale = 1 leave the values exact).
template <class T>
struct ScaledAdd : ScaledAddSlots {
  static constexpr int kArrays = 2;
  T decay, scale, neg_lr;
  STEEPEST_HOST_DEVICE explicit ScaledAdd(const ScaledAddStep& s)
      : decay(T(s.decay_factor)), scale(T(s.scale)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    x[kParam] = fma(splat<V>(neg_lr), x[kUpdateIn] * splat<V>(scale), x[kParam] * splat<V>(decay));
  }
};

struct LambMomentsKernel {
  using Step = LambStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_decay(s.decay, [&](auto d) { fn(LambMoments<T, STEEPEST_C(d)>(s)); });
  }
};
struct ScaledAddKernel {
  using Step = ScaledAddStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) { fn(ScaledAdd<T>(s)); }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
