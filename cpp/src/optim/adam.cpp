// Adam / AdamW / AMSGrad (docs/optimizers.md): the rule's description, step counting and the
// per-step scalars (bias corrections in double, as torch computes them in Python).
#include <cmath>

#include "optim/rule.hpp"
#include "optim/updates/adam.hpp"

namespace steepest::optim {

namespace {
using updates::AdamSlots;

detail::RuleBuilder<AdamOptions> adam_rule() {
  using O = AdamOptions;
  detail::RuleBuilder<O> b("Adam");
  b.hyper("lr", &O::lr, "lr").floats("betas", {&O::beta1, &O::beta2}, "betas").hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("amsgrad", &O::amsgrad).keyword_only()
      .ignored("foreach").hyper("maximize", &O::maximize).ignored("capturable", {false, {0}, {}})
      .ignored("differentiable", {false, {0}, {}}).ignored("fused").hyper("decoupled_weight_decay", &O::decoupled_weight_decay)
      .scalar_state("step")
      .state("exp_avg", AdamSlots::kExpAvg)
      .state("exp_avg_sq", AdamSlots::kExpAvgSq)
      .state("max_exp_avg_sq", AdamSlots::kMaxExpAvgSq, detail::Init::Zeros, [](const O& o) { return o.amsgrad; })
      .low_precision();
  return b;
}
}  // namespace

int adam_step(TensorLists& lists, const AdamOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<adam_rule>(o), &c);
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
  detail::run_rows<updates::AdamKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}

STEEPEST_REGISTER_RULE(Adam) { return adam_rule().step(adam_step); }

}  // namespace steepest::optim
