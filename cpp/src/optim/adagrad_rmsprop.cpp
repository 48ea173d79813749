// The fused steps of the squared-grad accumulators: Adagrad (§1.3) and RMSprop (§1.4) of
// optimizers.md, with step counting and per-step scalars in double.
#include "optim/driver.hpp"
#include "optim/updates/adagrad.hpp"
#include "optim/updates/rmsprop.hpp"

namespace steepest::optim {

int adagrad_step(TensorLists& lists, const AdagradOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  const double init = o.initial_accumulator_value;
  detail::GroupPlan plan{"Adagrad", {2}, {1, 2}, [init](int k, const Tensor& p, const Tensor&) {
                           return k == 1 ? detail::scalar_state(0) : detail::filled_state(p, init);
                         }};
  auto g = detail::gather(lists, plan);
  if (g.rows.empty()) return g.created;
  const std::vector<double> t = detail::increment_steps(lists, g);
  using updates::AdagradStep;
  auto make = [&](double step) {
    AdagradStep s{};
    s.grad_scale = detail::signed_scale(c, o.maximize);
    s.weight_decay = o.weight_decay;
    s.decay = int(o.weight_decay != 0 ? updates::Decay::L2 : updates::Decay::None);
    s.neg_clr = -(o.lr / (1 + (step - 1) * o.lr_decay));
    s.eps = o.eps;
    return s;
  };
  auto steps = detail::steps_by_key<AdagradStep, double>(g.rows, [&](size_t r) { return t[r]; }, make);
  detail::run_rows(kernels::OptimRule::Adagrad, g.rows, steps, detail::kElementwise);
  return g.created;
}

int rmsprop_step(TensorLists& lists, const RMSpropOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  // Lists: 1 step, 2 square_avg, 3 momentum_buffer, 4 grad_avg; the kernel wants
  // square_avg[, grad_avg][, momentum_buffer].
  const bool use_momentum = o.momentum > 0;
  detail::GroupPlan plan{"RMSprop", {2}, {1, 2}, [](int k, const Tensor& p, const Tensor&) {
                           return k == 1 ? detail::scalar_state(0) : detail::zeros_state(p);
                         }};
  if (o.centered) {
    plan.array_lists.push_back(4);
    plan.used_lists.push_back(4);
  }
  if (use_momentum) {
    plan.array_lists.push_back(3);
    plan.used_lists.push_back(3);
  }
  auto g = detail::gather(lists, plan);
  if (g.rows.empty()) return g.created;
  detail::increment_steps(lists, g);
  updates::RMSpropStep s{};
  s.grad_scale = detail::signed_scale(c, o.maximize);
  s.weight_decay = o.weight_decay;
  s.decay = int(o.weight_decay != 0 ? updates::Decay::L2 : updates::Decay::None);
  s.alpha = o.alpha;
  s.one_minus_alpha = 1 - o.alpha;
  s.eps = o.eps;
  s.momentum = o.momentum;
  s.neg_lr = -o.lr;
  s.centered = o.centered;
  s.use_momentum = use_momentum;
  std::vector<updates::RMSpropStep> steps{s};  // no bias correction: one Step for all rows
  detail::run_rows(kernels::OptimRule::RMSprop, g.rows, steps, detail::kElementwise);
  return g.created;
}

}  // namespace steepest::optim
