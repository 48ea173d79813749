// SophiaG (docs/optimizers.md): the rule's description, the clipped sign-momentum step and the
// Hessian EMA update of update_hessian().
#include "optim/rule.hpp"
#include "optim/updates/sophia.hpp"

namespace steepest::optim {

namespace {
detail::RuleBuilder<SophiaOptions> sophia_rule() {
  using O = SophiaOptions;
  detail::RuleBuilder<O> b("SophiaG");
  b.hyper("lr", &O::lr, "lr").floats("betas", {&O::beta1, &O::beta2}, "betas").hyper("rho", &O::rho, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").keyword_only().hyper("maximize", &O::maximize)
      .ignored("capturable", {false, {0}, {}}).step_argument("bs", &O::bs, "nonneg")
      .scalar_state("step")
      .state("exp_avg", updates::SophiaSlots::kExpAvg)
      .state("hessian", updates::SophiaSlots::kHessian);
  return b;
}
}  // namespace

int sophia_step(TensorLists& lists, const SophiaOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  detail::ContiguousParams contiguous_params(lists);  // read only: nothing to write back
  auto g = detail::gather(lists, detail::plan_for<sophia_rule>(o));
  if (g.rows.empty()) return g.created;
  detail::increment_steps(lists, g);
  updates::SophiaStep s{};
  s.grad_scale = detail::signed_scale(c, o.maximize);
  s.decay_factor = 1 - o.lr * o.weight_decay;
  s.beta1 = o.beta1;
  s.one_minus_beta1 = 1 - o.beta1;
  s.rho_bs = o.rho * o.bs;
  s.neg_lr = -o.lr;
  detail::run_rows<updates::SophiaKernel>(g.rows, {s});
  return g.created;
}

int sophia_update_hessian(TensorLists& lists, const SophiaOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  detail::ContiguousParams contiguous_params(lists);  // read only: nothing to write back
  auto g = detail::gather(lists, detail::plan_for<sophia_rule>(o));
  if (g.rows.empty()) return g.created;
  for (auto& row : g.rows) {  // the kernel updates the Hessian EMA from the grad
    row.arrays[updates::SophiaHessianSlots::kHessianEma] = row.arrays[updates::SophiaSlots::kHessian];
    row.arrays[updates::SophiaSlots::kExpAvg] = row.arrays[updates::SophiaSlots::kHessian] = nullptr;
  }
  updates::SophiaHessianStep s{c.grad_scale, o.beta2, 1 - o.beta2};
  detail::run_rows<updates::SophiaHessianKernel>(g.rows, {s});
  return g.created;
}

STEEPEST_REGISTER_RULE(SophiaG) { return sophia_rule().step(sophia_step); }

}  // namespace steepest::optim
