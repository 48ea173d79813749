// LAMB (timm lamb.py, optimizers.md §6.1) in two passes around the per-tensor norms: the
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

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg, exp_avg_sq, u (written).
template <class T, Decay D>
struct LambMoments {
  static constexpr int kArrays = 5;
  static constexpr unsigned kReadOnly = D == Decay::Decoupled ? 0u : 1u;  // p changes only when decoupled
  T gs, b1, b3, b2, omb2, bc1, bc2_sqrt, eps, wd, neg_lr_wd;
  STEEPEST_HOST_DEVICE explicit LambMoments(const LambStep& s)
      : gs(T(s.grad_scale)), b1(T(s.beta1)), b3(T(s.beta3)), b2(T(s.beta2)), omb2(T(s.one_minus_beta2)),
        bc1(T(s.bias_correction1)), bc2_sqrt(T(s.bias_correction2_sqrt)), eps(T(s.eps)), wd(T(s.weight_decay)),
        neg_lr_wd(T(s.neg_lr_wd)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[0], g = x[1] * splat<V>(gs);
    V m = fma(splat<V>(b3), g, x[2] * splat<V>(b1));                   // mul_(b1).add_(g, alpha=beta3)
    V v = addcmul(x[3] * splat<V>(b2), splat<V>(omb2), g, g);          // mul_(b2).addcmul_(g, g, 1-b2)
    V denom = sqrt(v) / splat<V>(bc2_sqrt) + splat<V>(eps);
    V u = (m / splat<V>(bc1)) / denom;
    if constexpr (D == Decay::L2) u = fma(splat<V>(wd), p, u);         // update.add_(p, alpha=wd)
    if constexpr (D == Decay::Decoupled) x[0] = fma(splat<V>(neg_lr_wd), p, p);  // p.add_(p, alpha=-lr*wd)
    x[2] = m;
    x[3] = v;
    x[4] = u;
  }
};

// Arrays: p, u (read): p = p*decay + neg_lr*(u*scale), each product rounded as torch's
// mul_ then add_(alpha) (decay = scale = 1 leave the values exact).
template <class T>
struct ScaledAdd {
  static constexpr int kArrays = 2;
  T decay, scale, neg_lr;
  STEEPEST_HOST_DEVICE explicit ScaledAdd(const ScaledAddStep& s)
      : decay(T(s.decay_factor)), scale(T(s.scale)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    x[0] = fma(splat<V>(neg_lr), x[1] * splat<V>(scale), x[0] * splat<V>(decay));
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
