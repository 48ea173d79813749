// Adam / AdamW / AMSGrad fused step (optimizers.md §1.2): step counting and the per-step
// scalars (bias corrections in double, as torch computes them in Python).
#include <cmath>

#include "optim/driver.hpp"
#include "optim/updates/adam.hpp"

namespace steepest::optim {

int adam_step(TensorLists& lists, const AdamOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  detail::GroupPlan plan{"Adam", {2, 3}, {1, 2, 3}, [](int k, const Tensor& p, const Tensor&) {
                           return k == 1 ? detail::scalar_state(0) : detail::zeros_state(p);
                         }};
  if (o.amsgrad) {
    plan.array_lists.push_back(4);
    plan.used_lists.push_back(4);
  }
  auto g = detail::gather(lists, plan, &c);
  if (g.rows.empty()) return g.created;
  const std::vector<double> t = detail::increment_steps(lists, g);
  using updates::AdamStep;
  auto make = [&](double step) {
    AdamStep s{};
    s.grad_scale = detail::signed_scale(c, o.maximize);
    s.weight_decay = o.weight_decay;
    s.decay_factor = 1 - o.lr * o.weight_decay;
    s.decay = int(o.weight_decay == 0 ? updates::Decay::None
                                      : o.decoupled_weight_decay ? updates::Decay::Decoupled : updates::Decay::L2);
    s.beta1_weight = 1 - o.beta1;
    s.beta2 = o.beta2;
    s.one_minus_beta2 = 1 - o.beta2;
    const double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
    s.neg_step_size = -(o.lr / bc1);
    s.bias_correction2_sqrt = std::pow(bc2, 0.5);  // Python's bc2**0.5
    s.eps = o.eps;
    s.amsgrad = o.amsgrad;
    return s;
  };
  auto steps = detail::steps_by_key<AdamStep, double>(g.rows, [&](size_t r) { return t[r]; }, make);
  detail::run_rows(kernels::OptimRule::Adam, g.rows, steps, detail::kElementwise);
  return g.created;
}

}  // namespace steepest::optim
