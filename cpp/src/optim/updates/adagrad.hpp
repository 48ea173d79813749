// Adagrad with lr decay and L2 weight decay: torch's _single_tensor_adagrad (docs/optimizers.md
// §1.3), one element at a time (dense grads).
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct AdagradStep {
  double grad_scale, weight_decay, neg_clr, eps;  // neg_clr = -lr / (1 + (t-1) lr_decay)
  int decay;
};

struct AdagradSlots {
  enum : int { kSum = kFirstState };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, sum.
template <class T, bool L2>
struct Adagrad : AdagradSlots {
  static constexpr int kArrays = 3;
  T gs, wd, neg_clr, eps;
  STEEPEST_HOST_DEVICE explicit Adagrad(const AdagradStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), neg_clr(T(s.neg_clr)), eps(T(s.eps)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);
    V s = fma(g, g, x[kSum]);                         // addcmul_(g, g, value=1)
    V std_ = sqrt(s) + splat<V>(eps);
    x[kParam] = addcdiv(p, splat<V>(neg_clr), g, std_);
    x[kSum] = s;
  }
};

struct AdagradKernel {
  using Step = AdagradStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.decay == int(Decay::L2), [&](auto l2) { fn(Adagrad<T, STEEPEST_C(l2)>(s)); });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
