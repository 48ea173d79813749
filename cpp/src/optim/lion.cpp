// Lion (docs/optimizers.md): the rule's description and its fused step (no step counter, no
// bias correction, one Step for every row).
#include "optim/rule.hpp"
#include "optim/updates/lion.hpp"

namespace steepest::optim {

namespace {
detail::RuleBuilder<LionOptions> lion_rule() {
  using O = LionOptions;
  detail::RuleBuilder<O> b("Lion");
  b.hyper("lr", &O::lr, "lr").floats("betas", {&O::beta1, &O::beta2}, "betas")
      .hyper("weight_decay", &O::weight_decay, "nonneg").keyword_only().hyper("maximize", &O::maximize)
      .state("exp_avg", updates::LionSlots::kExpAvg)
      .low_precision();
  return b;
}
}  // namespace

int lion_step(TensorLists& lists, const LionOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<lion_rule>(o), &c);
  if (g.rows.empty()) return g.created;
  updates::LionStep s{};
  s.grad_scale = detail::signed_scale(c, o.maximize);
  s.decay_factor = 1 - o.lr * o.weight_decay;
  s.beta1 = o.beta1;
  s.one_minus_beta1 = 1 - o.beta1;
  s.beta2 = o.beta2;
  s.one_minus_beta2 = 1 - o.beta2;
  s.neg_lr = -o.lr;
  detail::run_rows<updates::LionKernel>(g.rows, {s}, detail::kElementwise);
  return g.created;
}

STEEPEST_REGISTER_RULE(Lion) { return lion_rule().step(lion_step); }

}  // namespace steepest::optim
