// LARS (timm lars.py, docs/optimizers.md §6.2): the grad plus L2 decay scaled by the tensor's trust
// ratio, then torch's SGD momentum / dampening / Nesterov, one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct LarsStep {
  double grad_scale, weight_decay, trust_ratio, momentum, one_minus_dampening, neg_lr;
  int adapt;     // weight_decay != 0 or always_adapt: g = (g + wd*p) * trust_ratio
  int mode;      // 0: no momentum; 1: momentum; 2: the first step (buf = g)
  int nesterov;
};

struct LarsSlots {
  enum : int { kMomentumBuffer = kFirstState };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g[, momentum_buffer].
template <class T, bool ADAPT, int MODE, bool NESTEROV>
struct Lars : LarsSlots {
  static constexpr int kArrays = MODE == 0 ? 2 : 3;
  T gs, wd, ratio, mom, omd, neg_lr;
  STEEPEST_HOST_DEVICE explicit Lars(const LarsStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), ratio(T(s.trust_ratio)), mom(T(s.momentum)),
        omd(T(s.one_minus_dampening)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (ADAPT) g = fma(splat<V>(wd), p, g) * splat<V>(ratio);  // grad.add_(p, wd).mul_(r)
    if constexpr (MODE != 0) {
      V buf = g;                                                         // first step: clone(g)
      if constexpr (MODE == 1) buf = fma(splat<V>(omd), g, x[kMomentumBuffer] * splat<V>(mom));
      x[kMomentumBuffer] = buf;
      if constexpr (NESTEROV) g = fma(splat<V>(mom), buf, g);
      else g = buf;
    }
    x[kParam] = fma(splat<V>(neg_lr), g, p);
  }
};

struct LarsKernel {
  using Step = LarsStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.adapt != 0, [&](auto ad) {
      with_bool(s.nesterov != 0, [&](auto nest) {
        with_mode(s.mode, [&](auto mode) {
          fn(Lars<T, STEEPEST_C(ad), STEEPEST_C(mode), STEEPEST_C(mode) != 0 && STEEPEST_C(nest)>(s));
        });
      });
    });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
