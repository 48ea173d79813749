// SophiaG (Liuhong99/Sophia sophia.py, docs/optimizers.md §3): the clipped sign-momentum step and
// the Hessian EMA update that update_hessian() runs, one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct SophiaStep {
  double grad_scale, decay_factor;  // p *= 1 - lr*wd first
  double beta1, one_minus_beta1;
  double rho_bs;                    // rho * bs, as the reference's Python product
  double neg_lr;
};

struct SophiaHessianStep {
  double grad_scale, beta2, one_minus_beta2;
};

struct SophiaSlots {
  enum : int { kExpAvg = kFirstState, kHessian };
};
// SophiaHessian updates the Hessian EMA in the param's slot (the param itself isn't touched).
struct SophiaHessianSlots {
  enum : int { kHessianEma = kParam };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg, hessian (read only).
template <class T>
struct Sophia : SophiaSlots {
  static constexpr int kArrays = 4;
  static constexpr unsigned kReadOnly = 1u << kHessian;
  T gs, decay, b1, omb1, rho_bs, neg_lr;
  STEEPEST_HOST_DEVICE explicit Sophia(const SophiaStep& s)
      : gs(T(s.grad_scale)), decay(T(s.decay_factor)), b1(T(s.beta1)), omb1(T(s.one_minus_beta1)),
        rho_bs(T(s.rho_bs)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[kGrad] * splat<V>(gs);
    V p = x[kParam] * splat<V>(decay);                                   // param.mul_(1 - lr*wd)
    V m = fma(splat<V>(omb1), g, x[kExpAvg] * splat<V>(b1));              // mul_(b1).add_(g, alpha=1-b1)
    V ratio = abs(m) / (x[kHessian] * splat<V>(rho_bs) + splat<V>(T(1e-15)));
    V one = splat<V>(T(1));
    ratio = select(cmp_gt(ratio, one), one, ratio);                 // clamp(max=1), NaN stays NaN
    x[kParam] = addcmul(p, splat<V>(neg_lr), sign(m), ratio);       // addcmul_(sign(m), ratio, value=-lr)
    x[kExpAvg] = m;
  }
};

// Arrays: hessian, g: h.mul_(b2).addcmul_(g, g, value=1-b2).
template <class T>
struct SophiaHessian : SophiaHessianSlots {
  static constexpr int kArrays = 2;
  T gs, b2, omb2;
  STEEPEST_HOST_DEVICE explicit SophiaHessian(const SophiaHessianStep& s)
      : gs(T(s.grad_scale)), b2(T(s.beta2)), omb2(T(s.one_minus_beta2)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[kGrad] * splat<V>(gs);
    x[kHessianEma] = addcmul(x[kHessianEma] * splat<V>(b2), splat<V>(omb2), g, g);
  }
};

struct SophiaKernel {
  using Step = SophiaStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) { fn(Sophia<T>(s)); }
};
struct SophiaHessianKernel {
  using Step = SophiaHessianStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) { fn(SophiaHessian<T>(s)); }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
