// Adan (docs/optimizers.md; the worked example of docs/adding-an-optimizer.md): its options,
// its description for the registry, and the per-step scalars (bias corrections in double).
#include <cmath>

#include "optim/rule.hpp"
#include "optim/updates/adan.hpp"

namespace steepest::optim {

namespace {
// Defaults of the reference implementation (sail-sg/Adan).
struct AdanOptions {
  double lr = 1e-3, beta1 = 0.98, beta2 = 0.92, beta3 = 0.99, eps = 1e-8, weight_decay = 0;
  bool no_prox = false;
};

detail::RuleBuilder<AdanOptions> adan_rule() {
  using O = AdanOptions;
  using S = updates::AdanSlots;
  detail::RuleBuilder<O> b("Adan");
  b.hyper("lr", &O::lr, "lr").floats("betas", {&O::beta1, &O::beta2, &O::beta3}).hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("no_prox", &O::no_prox).ignored("foreach")
      .scalar_state("step")
      .state("exp_avg", S::kExpAvg).state("exp_avg_diff", S::kExpAvgDiff).state("exp_avg_sq", S::kExpAvgSq)
      .state("neg_pre_grad", S::kNegPreGrad, detail::Init::Empty);
  return b;
}

int adan_step(TensorLists& lists, const AdanOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<adan_rule>(o));
  if (g.rows.empty()) return g.created;
  const std::vector<double> t = detail::increment_steps(lists, g);
  struct Key {
    double t;
    bool first;
    bool operator==(const Key& k) const { return t == k.t && first == k.first; }
  };
  auto make = [&](const Key& k) {
    updates::AdanStep s{};
    s.grad_scale = c.grad_scale;
    s.beta1 = o.beta1;
    s.one_minus_beta1 = 1 - o.beta1;
    s.beta2 = o.beta2;
    s.one_minus_beta2 = 1 - o.beta2;
    s.beta3 = o.beta3;
    s.one_minus_beta3 = 1 - o.beta3;
    s.bias_correction3_sqrt = std::sqrt(1 - std::pow(o.beta3, k.t));
    s.eps = o.eps;
    s.neg_step = -(o.lr / (1 - std::pow(o.beta1, k.t)));
    s.neg_step_diff = -(o.lr * o.beta2 / (1 - std::pow(o.beta2, k.t)));
    s.decay_factor = 1 - o.lr * o.weight_decay;
    s.prox_divisor = 1 + o.lr * o.weight_decay;
    s.no_prox = o.no_prox;
    s.first = k.first;
    return s;
  };
  auto steps = detail::steps_by_key<updates::AdanStep, Key>(
      g.rows, [&](size_t r) { return Key{t[r], g.fresh[r] != 0}; }, make);
  detail::run_rows<updates::AdanKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}
}  // namespace

STEEPEST_REGISTER_RULE(Adan) { return adan_rule().step(adan_step); }

}  // namespace steepest::optim
