// The squared-grad accumulators, Adagrad and RMSprop (docs/optimizers.md): their descriptions
// and fused steps, with step counting and per-step scalars in double.
#include "optim/rule.hpp"
#include "optim/updates/adagrad.hpp"
#include "optim/updates/rmsprop.hpp"

namespace steepest::optim {

namespace {
const HyperValue kNone{true, {}, {}}, kFalse{false, {0}, {}};

detail::RuleBuilder<AdagradOptions> adagrad_rule() {
  using O = AdagradOptions;
  detail::RuleBuilder<O> b("Adagrad");
  b.hyper("lr", &O::lr, "lr").hyper("lr_decay", &O::lr_decay, "nonneg").hyper("weight_decay", &O::weight_decay, "nonneg")
      .hyper("initial_accumulator_value", &O::initial_accumulator_value, "nonneg").hyper("eps", &O::eps, "nonneg")
      .ignored("foreach", kNone).keyword_only().hyper("maximize", &O::maximize).ignored("differentiable", kFalse)
      .ignored("fused", kNone)
      .scalar_state("step")
      .state("sum", updates::AdagradSlots::kSum, detail::Init::Fill, {},
             [](const O& o) { return o.initial_accumulator_value; });
  return b;
}

detail::RuleBuilder<RMSpropOptions> rmsprop_rule() {
  using O = RMSpropOptions;
  using S = updates::RMSpropSlots;
  detail::RuleBuilder<O> b("RMSprop");
  b.hyper("lr", &O::lr, "lr").hyper("alpha", &O::alpha, "nonneg").hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("momentum", &O::momentum, "nonneg")
      .hyper("centered", &O::centered).ignored("capturable", kFalse).ignored("foreach", kNone)
      .hyper("maximize", &O::maximize).ignored("differentiable", kFalse)
      .scalar_state("step")
      .state("square_avg", S::kSquareAvg)
      .state("momentum_buffer", S::kMomentumBuffer, detail::Init::Zeros, [](const O& o) { return o.momentum > 0; })
      .state("grad_avg", S::kGradAvg, detail::Init::Zeros, [](const O& o) { return o.centered; });
  return b;
}
}  // namespace

int adagrad_step(TensorLists& lists, const AdagradOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<adagrad_rule>(o));
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
  detail::run_rows<updates::AdagradKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}

int rmsprop_step(TensorLists& lists, const RMSpropOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<rmsprop_rule>(o));
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
  s.use_momentum = o.momentum > 0;
  detail::run_rows<updates::RMSpropKernel>(g.rows, {s}, detail::kElementwise);  // no bias correction: one Step
  return g.created;
}

STEEPEST_REGISTER_RULE(Adagrad) { return adagrad_rule().step(adagrad_step); }
STEEPEST_REGISTER_RULE(RMSprop) { return rmsprop_rule().step(rmsprop_step); }

}  // namespace steepest::optim
