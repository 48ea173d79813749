// Adafactor's per-element math (torch.optim.Adafactor, docs/optimizers.md §7), shared by the
// factored and unfactored paths of adafactor.cpp, whose row/column reductions are plain loops.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct AdafactorVarianceStep {
  double grad_scale, weight, eps1_sq;  // weight = t^beta2_decay, the lerp weight
};

// AdafactorVariance: the variance EMA in the param's slot, the update U written to kUpdateOut.
struct AdafactorVarianceSlots {
  enum : int { kVariance = kParam, kUpdateOut = kFirstState };
};

inline namespace STEEPEST_UPDATES_ABI {

// The factored variance estimate row_i * col_j / clamp(mean(row), min=eps1) (a [n,1]@[1,m]
// product is one rounding per element, then div_).
template <class V> STEEPEST_HOST_DEVICE inline V adafactor_factored_var(V row, V col, V row_mean_clamped) {
  return (row * col) / row_mean_clamped;
}

// U = rsqrt(clamp(V, min=eps1^2)) * g (clamp keeps NaN, as torch's).
template <class V> STEEPEST_HOST_DEVICE inline V adafactor_update(V g, V var, V eps1_sq) {
  V v = select(cmp_lt(var, eps1_sq), eps1_sq, var);
  return (splat<V>(1.0f) / sqrt(v)) * g;
}

// p = p*decay + step*U (param.mul_(1 - lr*wd) then add_(U, alpha=-alpha/denom)).
template <class V> STEEPEST_HOST_DEVICE inline V adafactor_apply(V p, V decay, V step, V u) {
  return fma(step, u, p * decay);
}

// The unfactored (0-D/1-D) path, arrays: variance, g, u (written): variance.lerp_(g*g, w),
// u = rsqrt(clamp(variance, eps1^2)) * g.
template <class T>
struct AdafactorVariance : AdafactorVarianceSlots {
  static constexpr int kArrays = 3;
  T gs, eps1_sq;
  Lerp<T> lerp;
  STEEPEST_HOST_DEVICE explicit AdafactorVariance(const AdafactorVarianceStep& s)
      : gs(T(s.grad_scale)), eps1_sq(T(s.eps1_sq)), lerp(s.weight) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[kGrad] * splat<V>(gs);
    V v = lerp(x[kVariance], g * g);
    x[kVariance] = v;
    x[kUpdateOut] = adafactor_update(g, v, splat<V>(eps1_sq));
  }
};

struct AdafactorVarianceKernel {
  using Step = AdafactorVarianceStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) { fn(AdafactorVariance<T>(s)); }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
