// Muon's elementwise part (torch.optim.Muon, docs/optimizers.md §4.3): the momentum EMA and the
// Nesterov blend that feed Newton–Schulz. The final p update is ScaledAdd (lamb.hpp).
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct MuonMomentumStep {
  double grad_scale, one_minus_momentum, momentum;
  int nesterov;
};

// The momentum buffer is updated in the param's slot; the blended update goes to kUpdateOut.
struct MuonMomentumSlots {
  enum : int { kBuffer = kParam, kUpdateOut = kFirstState };
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: momentum_buffer, g, u (written): buf.lerp_(g, 1-mu); u = g.lerp(buf, mu) or buf.
template <class T, bool NESTEROV>
struct MuonMomentum : MuonMomentumSlots {
  static constexpr int kArrays = 3;
  T gs;
  Lerp<T> to_grad, to_buf;
  STEEPEST_HOST_DEVICE explicit MuonMomentum(const MuonMomentumStep& s)
      : gs(T(s.grad_scale)), to_grad(s.one_minus_momentum), to_buf(s.momentum) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[kGrad] * splat<V>(gs);
    V buf = to_grad(x[kBuffer], g);
    x[kBuffer] = buf;
    x[kUpdateOut] = NESTEROV ? to_buf(g, buf) : buf;
  }
};

struct MuonMomentumKernel {
  using Step = MuonMomentumStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    with_bool(s.nesterov != 0, [&](auto nest) { fn(MuonMomentum<T, STEEPEST_C(nest)>(s)); });
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
