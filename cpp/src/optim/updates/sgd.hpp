// SGD with momentum, dampening, Nesterov and L2 weight decay: torch's _single_tensor_sgd
// (docs/optimizers.md §1.1), one element at a time.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

// One step's scalars (double; rounded to the element type once per chunk).
struct SGDStep {
  double grad_scale, weight_decay, momentum, one_minus_dampening, neg_lr;
  int decay;     // Decay::None or Decay::L2
  int mode;      // 0: no momentum; 1: momentum; 2: the first step (buf = g, as torch's clone)
  int nesterov;
};

struct SGDSlots {
  enum : int { kMomentumBuffer = kFirstState };
};

inline namespace STEEPEST_UPDATES_ABI {

// Slots: param, grad[, momentum_buffer].
template <class T, bool L2, int MODE, bool NESTEROV>
struct SGD : SGDSlots {
  static constexpr int kArrays = MODE == 0 ? 2 : 3;
  T gs, wd, mom, omd, neg_lr;
  STEEPEST_HOST_DEVICE explicit SGD(const SGDStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), mom(T(s.momentum)),
        omd(T(s.one_minus_dampening)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[kParam], g = x[kGrad] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);            // grad.add(p, alpha=wd)
    if constexpr (MODE != 0) {
      V buf = g;                                               // first step: clone(g)
      if constexpr (MODE == 1) buf = fma(splat<V>(omd), g, x[kMomentumBuffer] * splat<V>(mom));  // mul_, add_(alpha=1-d)
      x[kMomentumBuffer] = buf;
      if constexpr (NESTEROV) g = fma(splat<V>(mom), buf, g);  // grad.add(buf, alpha=momentum)
      else g = buf;
    }
    x[kParam] = fma(splat<V>(neg_lr), g, p);                   // p.add_(g, alpha=-lr)
  }
};

struct SGDKernel {
  using Step = SGDStep;
  static constexpr bool kLowPrecision = true;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.decay == int(Decay::L2), [&](auto l2) {
      with_bool(s.nesterov != 0, [&](auto nest) {
        with_mode(s.mode, [&](auto mode) {
          fn(SGD<T, STEEPEST_C(l2), STEEPEST_C(mode), STEEPEST_C(mode) != 0 && STEEPEST_C(nest)>(s));
        });
      });
    });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
