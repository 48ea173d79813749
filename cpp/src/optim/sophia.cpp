// SophiaG's fused steps (optimizers.md §3): the clipped sign-momentum step, the Hessian EMA
// update of update_hessian(), and the benchmark limit with the Hessian read but not written.
#include "optim/driver.hpp"
#include "optim/updates/sophia.hpp"
#include "optim/updates/touch.hpp"

namespace steepest::optim {

namespace {
detail::GroupPlan sophia_plan() {
  return {"SophiaG", {2, 3}, {1, 2, 3}, [](int k, const Tensor& p, const Tensor&) {
            return k == 1 ? detail::scalar_state(0) : detail::zeros_state(p);
          }};
}
}  // namespace

int sophia_step(TensorLists& lists, const SophiaOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, sophia_plan());
  if (g.rows.empty()) return g.created;
  detail::increment_steps(lists, g);
  updates::SophiaStep s{};
  s.grad_scale = detail::signed_scale(c, o.maximize);
  s.decay_factor = 1 - o.lr * o.weight_decay;
  s.beta1 = o.beta1;
  s.one_minus_beta1 = 1 - o.beta1;
  s.rho_bs = o.rho * o.bs;
  s.neg_lr = -o.lr;
  std::vector<updates::SophiaStep> steps{s};
  detail::run_rows(kernels::OptimRule::Sophia, g.rows, steps);
  return g.created;
}

int sophia_update_hessian(TensorLists& lists, const SophiaOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, sophia_plan());
  if (g.rows.empty()) return g.created;
  for (auto& row : g.rows) {  // the kernel's arrays: hessian (written), grad
    row.arrays[0] = row.arrays[3];
    row.arrays[2] = row.arrays[3] = nullptr;
  }
  updates::SophiaHessianStep s{c.grad_scale, o.beta2, 1 - o.beta2};
  std::vector<updates::SophiaHessianStep> steps{s};
  detail::run_rows(kernels::OptimRule::SophiaHessian, g.rows, steps);
  return g.created;
}

}  // namespace steepest::optim
