// Adamax (infinity-norm Adam): torch's _single_tensor_adamax (docs/optimizers.md §1.7), one
// element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct AdamaxStep {
  double grad_scale, weight_decay, beta1_weight, beta2, eps, neg_clr;  // neg_clr = -lr/(1-b1^t)
  int decay;
};

struct AdamaxSlots {
  enum : int { kExpAvg = kFirstState, kExpInf };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, exp_avg, exp_inf.
template <class T, bool L2>
struct Adamax : AdamaxSlots {
  static constexpr int kArrays = 4;
  T gs, wd, b2, eps, neg_clr;
  Lerp<T> lerp1;
  STEEPEST_HOST_DEVICE explicit Adamax(const AdamaxStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), b2(T(s.beta2)), eps(T(s.eps)),
        neg_clr(T(s.neg_clr)), lerp1(s.beta1_weight) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);
    V m = lerp1(x[kExpAvg], g);
    // torch.maximum(u*b2, |g|+eps): NaN on either side stays, so exp_inf keeps a NaN that
    // an earlier grad put there, as torch's does
    V u = maximum(x[kExpInf] * splat<V>(b2), abs(g) + splat<V>(eps));
    x[kParam] = addcdiv(p, splat<V>(neg_clr), m, u);
    x[kExpAvg] = m;
    x[kExpInf] = u;
  }
};

struct AdamaxKernel {
  using Step = AdamaxStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.decay == int(Decay::L2), [&](auto l2) { fn(Adamax<T, STEEPEST_C(l2)>(s)); });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
