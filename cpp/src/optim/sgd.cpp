// SGD's fused step (optimizers.md §1.1): per-step scalars, lazy momentum buffers (a new one
// is the grad itself, so fresh rows run the kernel's first-step form).
#include "optim/driver.hpp"
#include "optim/updates/sgd.hpp"

namespace steepest::optim {

int sgd_step(TensorLists& lists, const SGDOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  const bool momentum = o.momentum != 0;
  detail::GroupPlan plan{"SGD", {}, {}, [](int, const Tensor& p, const Tensor&) { return detail::empty_state(p); }};
  if (momentum) plan.array_lists = plan.used_lists = {1};
  auto g = detail::gather(lists, plan, &c);
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
  detail::run_rows(kernels::OptimRule::SGD, g.rows, steps, detail::kElementwise);
  return g.created;
}

}  // namespace steepest::optim
