// SGD (docs/optimizers.md): the rule's description and its fused step's per-step scalars. A
// new momentum buffer is the grad itself, so fresh rows run the kernel's first-step form.
#include "optim/rule.hpp"
#include "optim/updates/sgd.hpp"

namespace steepest::optim {

namespace {
const HyperValue kNone{true, {}, {}}, kFalse{false, {0}, {}};

detail::RuleBuilder<SGDOptions> sgd_rule() {
  using O = SGDOptions;
  detail::RuleBuilder<O> b("SGD");
  b.hyper("lr", &O::lr, "lr").hyper("momentum", &O::momentum, "nonneg").hyper("dampening", &O::dampening)
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("nesterov", &O::nesterov).keyword_only()
      .hyper("maximize", &O::maximize).ignored("foreach", kNone).ignored("differentiable", kFalse).ignored("fused", kNone)
      .state("momentum_buffer", updates::SGDSlots::kMomentumBuffer, detail::Init::Empty,
             [](const O& o) { return o.momentum != 0; })
      .low_precision();
  return b;
}
}  // namespace

int sgd_step(TensorLists& lists, const SGDOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  const bool momentum = o.momentum != 0;
  auto g = detail::gather(lists, detail::plan_for<sgd_rule>(o), &c);
  if (g.rows.empty()) return g.created;
  using updates::SGDStep;
  auto make = [&](int mode) {
    SGDStep s{};
    s.grad_scale = detail::signed_scale(c, o.maximize);
    s.weight_decay = o.weight_decay;
    s.decay = int(o.weight_decay != 0 ? updates::Decay::L2 : updates::Decay::None);
    s.momentum = o.momentum;
    s.one_minus_dampening = 1 - o.dampening;
    s.neg_lr = -o.lr;
    s.mode = mode;
    s.nesterov = o.nesterov;
    return s;
  };
  auto steps = detail::steps_by_key<SGDStep, int>(
      g.rows, [&](size_t r) { return momentum ? (g.fresh[r] ? 2 : 1) : 0; }, make);
  detail::run_rows<updates::SGDKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}

STEEPEST_REGISTER_RULE(SGD) { return sgd_rule().step(sgd_step); }

}  // namespace steepest::optim
