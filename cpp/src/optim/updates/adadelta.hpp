// Adadelta with L2 weight decay: torch's _single_tensor_adadelta (docs/optimizers.md, Adadelta),
// one element at a time (dense, real grads).
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct AdadeltaStep {
  double grad_scale, weight_decay, rho, one_minus_rho, eps, neg_lr;
  int decay;
};

// torch's state order: square_avg, acc_delta.
struct AdadeltaSlots {
  enum : int { kSquareAvg = kFirstState, kAccDelta };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g, square_avg, acc_delta.
template <class T, bool L2>
struct Adadelta : AdadeltaSlots {
  static constexpr int kArrays = 4;
  T gs, wd, rho, omr, eps, neg_lr;
  STEEPEST_HOST_DEVICE explicit Adadelta(const AdadeltaStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), rho(T(s.rho)), omr(T(s.one_minus_rho)), eps(T(s.eps)),
        neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);              // grad.add(p, alpha=wd)
    V sq = addcmul(x[kSquareAvg] * splat<V>(rho), splat<V>(omr), g, g);
    V std_ = sqrt(sq + splat<V>(eps));
    V delta = sqrt(x[kAccDelta] + splat<V>(eps));
    delta = (delta / std_) * g;                                   // div_(std).mul_(grad): two roundings
    x[kAccDelta] = addcmul(x[kAccDelta] * splat<V>(rho), splat<V>(omr), delta, delta);
    x[kSquareAvg] = sq;
    x[kParam] = fma(splat<V>(neg_lr), delta, p);                  // p.add_(delta, alpha=-lr)
  }
};

struct AdadeltaKernel {
  using Step = AdadeltaStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.decay == int(Decay::L2), [&](auto l2) { fn(Adadelta<T, STEEPEST_C(l2)>(s)); });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
