// Lion's fused step (optimizers.md §2): no step counter, no bias correction, one Step.
#include "optim/driver.hpp"
#include "optim/updates/lion.hpp"

namespace steepest::optim {

int lion_step(TensorLists& lists, const LionOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  detail::GroupPlan plan{"Lion", {1}, {1}, [](int, const Tensor& p, const Tensor&) { return detail::zeros_state(p); }};
  auto g = detail::gather(lists, plan, &c);
  if (g.rows.empty()) return g.created;
  updates::LionStep s{};
  s.grad_scale = detail::signed_scale(c, o.maximize);
  s.decay_factor = 1 - o.lr * o.weight_decay;
  s.beta1 = o.beta1;
  s.one_minus_beta1 = 1 - o.beta1;
  s.beta2 = o.beta2;
  s.one_minus_beta2 = 1 - o.beta2;
  s.neg_lr = -o.lr;
  std::vector<updates::LionStep> steps{s};
  detail::run_rows(kernels::OptimRule::Lion, g.rows, steps, detail::kElementwise);
  return g.created;
}

}  // namespace steepest::optim
