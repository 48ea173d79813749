// Schedule-Free AdamW's description, fused step and mode switch (docs/optimizers.md): the group scalars
// (warmup, lr_max, weight_sum, c) in double as the reference computes them in Python, then one
// kernel over y, z and the second moment; train()/eval() lerp the params toward z.
#include <cmath>

#include "optim/rule.hpp"
#include "optim/updates/schedule_free.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest::optim {

namespace {
// The hyperparameters and the group's running scalars, as one Options for the registry.
struct ScheduleFreeRuleOptions : ScheduleFreeAdamWOptions, ScheduleFreeGroupState {};

detail::RuleBuilder<ScheduleFreeRuleOptions> schedule_free_rule() {
  using O = ScheduleFreeRuleOptions;
  detail::RuleBuilder<O> b("ScheduleFreeAdamW");
  b.hyper("lr", &O::lr, "lr").floats("betas", {&O::beta1, &O::beta2}, "betas").hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("warmup_steps", &O::warmup_steps, "nonneg")
      .hyper("r", &O::r, "nonneg").hyper("weight_lr_power", &O::weight_lr_power, "nonneg")
      .ignored("foreach", {false, {1}, {}})
      .group_state("k", &O::k, HyperKind::Int).group_state("weight_sum", &O::weight_sum)
      .group_state("lr_max", &O::lr_max).group_state("scheduled_lr", &O::scheduled_lr)
      .front_end("train_mode", HyperKind::Bool, {false, {0}, {}}, /*group_state=*/true)
      .state("z", updates::ScheduleFreeSlots::kZ, detail::Init::CloneParam)
      .state("exp_avg_sq", updates::ScheduleFreeSlots::kExpAvgSq);
  return b;
}
}  // namespace

int schedule_free_adamw_step(TensorLists& lists, const ScheduleFreeAdamWOptions& o, ScheduleFreeGroupState& gs,
                             const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  const double k = gs.k;
  const double sched = k < o.warmup_steps ? (k + 1) / o.warmup_steps : 1.0;
  const double bc2 = 1 - std::pow(o.beta2, k + 1);
  const double lr = o.lr * sched;
  gs.scheduled_lr = lr;
  gs.lr_max = std::max(lr, gs.lr_max);
  const double weight = std::pow(k + 1, o.r) * std::pow(gs.lr_max, o.weight_lr_power);
  gs.weight_sum = gs.weight_sum + weight;
  const double ckp1 = gs.weight_sum == 0 ? 0.0 : weight / gs.weight_sum;
  gs.k = k + 1;
  auto g = detail::gather(lists, detail::plan_for<schedule_free_rule>(ScheduleFreeRuleOptions{}));
  if (g.rows.empty()) return g.created;
  updates::ScheduleFreeAdamWStep s{};
  s.grad_scale = c.grad_scale;
  s.beta2 = o.beta2;
  s.one_minus_beta2 = 1 - o.beta2;
  s.bias_correction2 = bc2;
  s.eps = o.eps;
  s.weight_decay = o.weight_decay;
  s.decay = int(o.weight_decay != 0 ? updates::Decay::L2 : updates::Decay::None);
  s.ckp1 = ckp1;
  s.y_coef = lr * (o.beta1 * (1 - ckp1) - 1);
  s.neg_lr = -lr;
  detail::run_rows<updates::ScheduleFreeAdamWKernel>(g.rows, {s});
  return g.created;
}

void schedule_free_set_mode(TensorLists& lists, double beta1, bool train) {
  STEEPEST_CHECK(lists.size() >= 2 && lists[1].size() == lists[0].size(), ValueError,
                 "ScheduleFreeAdamW: expected the params and z lists");
  detail::ContiguousParams contiguous_params(lists, /*grads_only=*/false);  // strided params: via copies
  std::vector<detail::Row> rows;
  for (size_t i = 0; i < lists[0].size(); ++i) {
    const Tensor& p = lists[0][i];
    const Tensor& z = lists[1][i];
    if (!z.defined()) continue;
    STEEPEST_CHECK(z.dtype() == p.dtype() && z.numel() == p.numel() && z.is_contiguous() && p.is_contiguous(),
                   ValueError, "ScheduleFreeAdamW: z of param ", i, " doesn't match the param");
    STEEPEST_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, TypeError, "ScheduleFreeAdamW: param ", i, " is ",
                   dtype_name(p.dtype()));
    detail::Row r;
    r.numel = p.numel();
    r.f64 = p.dtype() == kFloat64;
    r.device = p.device();
    r.arrays[updates::kParam] = p.data_ptr();
    r.arrays[updates::LerpToSlots::kTarget] = z.data_ptr();
    rows.push_back(r);
    p.bump_version();
  }
  detail::run_rows<updates::LerpToKernel>(rows, {{train ? 1 - beta1 : 1 - 1 / beta1}});
  contiguous_params.write_back();
}

STEEPEST_REGISTER_RULE(ScheduleFreeAdamW) {
  return schedule_free_rule().step([](TensorLists& lists, ScheduleFreeRuleOptions& o, const StepControl& c) {
    return schedule_free_adamw_step(lists, o, o, c);
  });
}

}  // namespace steepest::optim
