// Adadelta (docs/optimizers.md): its options (torch's defaults), its description for the
// registry and its fused step (a step counter, no bias correction: one Step for every row).
#include "optim/rule.hpp"
#include "optim/updates/adadelta.hpp"

namespace steepest::optim {

namespace {
struct AdadeltaOptions {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
};

const HyperValue kNone{true, {}, {}}, kFalse{false, {0}, {}};

detail::RuleBuilder<AdadeltaOptions> adadelta_rule() {
  using O = AdadeltaOptions;
  using S = updates::AdadeltaSlots;
  detail::RuleBuilder<O> b("Adadelta");
  b.hyper("lr", &O::lr, "lr").hyper("rho", &O::rho, "nonneg").hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").ignored("foreach", kNone).keyword_only()
      .ignored("capturable", kFalse).hyper("maximize", &O::maximize).ignored("differentiable", kFalse)
      .scalar_state("step")
      .state("square_avg", S::kSquareAvg).state("acc_delta", S::kAccDelta);
  return b;
}

int adadelta_step(TensorLists& lists, const AdadeltaOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<adadelta_rule>(o));
  if (g.rows.empty()) return g.created;
  detail::increment_steps(lists, g);
  updates::AdadeltaStep s{};
  s.grad_scale = detail::signed_scale(c, o.maximize);
  s.weight_decay = o.weight_decay;
  s.decay = int(o.weight_decay != 0 ? updates::Decay::L2 : updates::Decay::None);
  s.rho = o.rho;
  s.one_minus_rho = 1 - o.rho;
  s.eps = o.eps;
  s.neg_lr = -o.lr;
  detail::run_rows<updates::AdadeltaKernel>(g.rows, {s}, detail::kElementwise);
  return g.created;
}
}  // namespace

STEEPEST_REGISTER_RULE(Adadelta) { return adadelta_rule().step(adadelta_step); }

}  // namespace steepest::optim
