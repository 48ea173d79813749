// Muon's elementwise part (torch.optim.Muon, optimizers.md §4.3): the momentum EMA and the
// Nesterov blend that feed Newton–Schulz. The final p update is ScaledAdd (lamb.hpp).
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct MuonMomentumStep {
  double grad_scale, one_minus_momentum, momentum;
  int nesterov;
};

inline namespace STEEPEST_UPDATES_ABI {

// Arrays: momentum_buffer, g, u (written): buf.lerp_(g, 1-mu); u = g.lerp(buf, mu) or buf.
template <class T, bool NESTEROV>
struct MuonMomentum {
  static constexpr int kArrays = 3;
  T gs;
  Lerp<T> to_grad, to_buf;
  STEEPEST_HOST_DEVICE explicit MuonMomentum(const MuonMomentumStep& s)
      : gs(T(s.grad_scale)), to_grad(s.one_minus_momentum), to_buf(s.momentum) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    V g = x[1] * splat<V>(gs);
    V buf = to_grad(x[0], g);
    x[0] = buf;
    x[2] = NESTEROV ? to_buf(g, buf) : buf;
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
