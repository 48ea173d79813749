// Adam's relatives NAdam, RAdam and Adamax (docs/optimizers.md): their descriptions and fused
// steps, with step counting and per-step scalars computed in double, as torch does.
#include <cmath>

#include "optim/rule.hpp"
#include "optim/updates/adamax.hpp"
#include "optim/updates/nadam.hpp"
#include "optim/updates/radam.hpp"

namespace steepest::optim {

namespace {
updates::Decay decay_of(double wd, bool decoupled) {
  return wd == 0 ? updates::Decay::None : decoupled ? updates::Decay::Decoupled : updates::Decay::L2;
}
const HyperValue kNone{true, {}, {}}, kFalse{false, {0}, {}};

// lr, betas, eps, weight_decay: the hyperparameters every Adam-like rule starts with.
template <class O>
detail::RuleBuilder<O> adam_like(const char* name) {
  detail::RuleBuilder<O> b(name);
  b.hyper("lr", &O::lr, "lr").floats("betas", {&O::beta1, &O::beta2}, "betas").hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg");
  return b;
}

detail::RuleBuilder<NAdamOptions> nadam_rule() {
  using O = NAdamOptions;
  auto b = adam_like<O>("NAdam");
  b.hyper("momentum_decay", &O::momentum_decay, "nonneg").hyper("decoupled_weight_decay", &O::decoupled_weight_decay)
      .keyword_only().ignored("foreach", kNone).hyper("maximize", &O::maximize).ignored("capturable", kFalse)
      .ignored("differentiable", kFalse)
      .scalar_state("step").scalar_state("mu_product", 1.0)
      .state("exp_avg", updates::NAdamSlots::kExpAvg).state("exp_avg_sq", updates::NAdamSlots::kExpAvgSq);
  return b;
}
detail::RuleBuilder<RAdamOptions> radam_rule() {
  using O = RAdamOptions;
  auto b = adam_like<O>("RAdam");
  b.hyper("decoupled_weight_decay", &O::decoupled_weight_decay).keyword_only().ignored("foreach", kNone)
      .hyper("maximize", &O::maximize).ignored("capturable", kFalse).ignored("differentiable", kFalse)
      .scalar_state("step")
      .state("exp_avg", updates::RAdamSlots::kExpAvg).state("exp_avg_sq", updates::RAdamSlots::kExpAvgSq);
  return b;
}
detail::RuleBuilder<AdamaxOptions> adamax_rule() {
  using O = AdamaxOptions;
  auto b = adam_like<O>("Adamax");
  b.ignored("foreach", kNone).keyword_only().hyper("maximize", &O::maximize).ignored("differentiable", kFalse)
      .ignored("capturable", kFalse)
      .scalar_state("step")
      .state("exp_avg", updates::AdamaxSlots::kExpAvg).state("exp_inf", updates::AdamaxSlots::kExpInf);
  return b;
}
}  // namespace

int nadam_step(TensorLists& lists, const NAdamOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<nadam_rule>(o));
  if (g.rows.empty()) return g.created;
  // Key: (t, mu_product after this step's update), both per param in torch.
  struct Key {
    double t, prod;
    bool operator==(const Key& k) const { return t == k.t && prod == k.prod; }
  };
  const std::vector<double> t = detail::increment_steps(lists, g);
  std::vector<Tensor> products;
  std::vector<double> mus;
  for (size_t r = 0; r < g.rows.size(); ++r) {
    const Tensor& mp = lists[2][size_t(g.index[r])];
    STEEPEST_CHECK(mp.numel() == 1 && mp.dtype() == kFloat32 && mp.is_contiguous(), TypeError,
                   "NAdam: mu_product must be a one-element float32 tensor");
    products.push_back(mp);
    mus.push_back(o.beta1 * (1.0 - 0.5 * std::pow(0.96, t[r] * o.momentum_decay)));
  }
  const std::vector<double> prod = detail::multiply_scalars(g.device, products, mus);
  std::vector<Key> keys(g.rows.size());
  for (size_t r = 0; r < g.rows.size(); ++r) keys[r] = {t[r], prod[r]};
  using updates::NAdamStep;
  auto make = [&](const Key& k) {
    NAdamStep s{};
    s.grad_scale = detail::signed_scale(c, o.maximize);
    s.weight_decay = o.weight_decay;
    s.decay_factor = 1 - o.lr * o.weight_decay;
    s.decay = int(decay_of(o.weight_decay, o.decoupled_weight_decay));
    s.beta1_weight = 1 - o.beta1;
    s.beta2 = o.beta2;
    s.one_minus_beta2 = 1 - o.beta2;
    s.bias_correction2 = 1 - std::pow(o.beta2, k.t);
    s.eps = o.eps;
    const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, k.t * o.momentum_decay));
    const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (k.t + 1) * o.momentum_decay));
    const double prod_next = k.prod * mu_next;
    s.grad_coef = -o.lr * (1.0 - mu) / (1.0 - k.prod);
    s.avg_coef = (-o.lr * mu_next) / (1.0 - prod_next);
    return s;
  };
  auto steps = detail::steps_by_key<NAdamStep, Key>(g.rows, [&](size_t r) { return keys[r]; }, make);
  detail::run_rows<updates::NAdamKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}

int radam_step(TensorLists& lists, const RAdamOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<radam_rule>(o));
  if (g.rows.empty()) return g.created;
  const std::vector<double> t = detail::increment_steps(lists, g);
  using updates::RAdamStep;
  auto make = [&](double step) {
    RAdamStep s{};
    s.grad_scale = detail::signed_scale(c, o.maximize);
    s.weight_decay = o.weight_decay;
    s.decay_factor = 1 - o.lr * o.weight_decay;
    s.decay = int(decay_of(o.weight_decay, o.decoupled_weight_decay));
    s.beta1_weight = 1 - o.beta1;
    s.beta2 = o.beta2;
    s.one_minus_beta2 = 1 - o.beta2;
    s.bias_correction1 = 1 - std::pow(o.beta1, step);
    const double bc2 = 1 - std::pow(o.beta2, step);
    s.lr = o.lr;
    s.eps = o.eps;
    const double rho_inf = 2 / (1 - o.beta2) - 1;
    const double rho_t = rho_inf - 2 * step * std::pow(o.beta2, step) / bc2;
    s.rectified = rho_t > 5.0;
    if (s.rectified) {
      s.rect = std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5);
      s.sqrt_bias_correction2 = std::pow(bc2, 0.5);
    }
    return s;
  };
  auto steps = detail::steps_by_key<RAdamStep, double>(g.rows, [&](size_t r) { return t[r]; }, make);
  detail::run_rows<updates::RAdamKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}

int adamax_step(TensorLists& lists, const AdamaxOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  auto g = detail::gather(lists, detail::plan_for<adamax_rule>(o));
  if (g.rows.empty()) return g.created;
  const std::vector<double> t = detail::increment_steps(lists, g);
  using updates::AdamaxStep;
  auto make = [&](double step) {
    AdamaxStep s{};
    s.grad_scale = detail::signed_scale(c, o.maximize);
    s.weight_decay = o.weight_decay;
    s.decay = int(decay_of(o.weight_decay, false));
    s.beta1_weight = 1 - o.beta1;
    s.beta2 = o.beta2;
    s.eps = o.eps;
    s.neg_clr = -(o.lr / (1 - std::pow(o.beta1, step)));
    return s;
  };
  auto steps = detail::steps_by_key<AdamaxStep, double>(g.rows, [&](size_t r) { return t[r]; }, make);
  detail::run_rows<updates::AdamaxKernel>(g.rows, steps, detail::kElementwise);
  return g.created;
}

STEEPEST_REGISTER_RULE(NAdam) { return nadam_rule().step(nadam_step); }
STEEPEST_REGISTER_RULE(RAdam) { return radam_rule().step(radam_step); }
STEEPEST_REGISTER_RULE(Adamax) { return adamax_rule().step(adamax_step); }

}  // namespace steepest::optim
