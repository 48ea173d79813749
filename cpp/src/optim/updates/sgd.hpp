// SGD with momentum, dampening, Nesterov and L2 weight decay: torch's _single_tensor_sgd
// (optimizers.md §1.1), one element at a time.
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

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: p, g[, momentum_buffer].
template <class T, bool L2, int MODE, bool NESTEROV>
struct SGD {
  static constexpr int kArrays = MODE == 0 ? 2 : 3;
  T gs, wd, mom, omd, neg_lr;
  STEEPEST_HOST_DEVICE explicit SGD(const SGDStep& s)
      : gs(T(s.grad_scale)), wd(T(s.weight_decay)), mom(T(s.momentum)),
        omd(T(s.one_minus_dampening)), neg_lr(T(s.neg_lr)) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V p = x[0], g = x[1] * splat<V>(gs);
    if constexpr (L2) g = fma(splat<V>(wd), p, g);            // grad.add(p, alpha=wd)
    if constexpr (MODE != 0) {
      V buf = g;                                               // first step: clone(g)
      if constexpr (MODE == 1) buf = fma(splat<V>(omd), g, x[2] * splat<V>(mom));  // mul_, add_(alpha=1-d)
      x[2] = buf;
      if constexpr (NESTEROV) g = fma(splat<V>(mom), buf, g);  // grad.add(buf, alpha=momentum)
      else g = buf;
    }
    x[0] = fma(splat<V>(neg_lr), g, p);                        // p.add_(g, alpha=-lr)
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
