// LAMB and LARS (timm; docs/optimizers.md): their descriptions and steps, layer-wise trust
// ratios from per-tensor norms (row_norms.hpp, the same bits on every ISA) around the
// elementwise kernels.
#include <algorithm>
#include <cmath>

#include "optim/rule.hpp"
#include "dispatch/stub.hpp"
#include "optim/row_norms.hpp"
#include "optim/updates/lamb.hpp"
#include "optim/updates/lars.hpp"
#include "steepest/ops.hpp"

namespace steepest::optim {

namespace {
// LAMB's hyperparameters and the group's step count, as one Options for the registry.
struct LambRuleOptions : LambOptions {
  double step = 0;
};

detail::RuleBuilder<LambRuleOptions> lamb_rule() {
  using O = LambRuleOptions;
  detail::RuleBuilder<O> b("Lamb");
  b.hyper("lr", &O::lr, "lr").hyper("bias_correction", &O::bias_correction)
      .floats("betas", {&O::beta1, &O::beta2}, "betas").hyper("eps", &O::eps, "nonneg")
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("grad_averaging", &O::grad_averaging)
      .front_end("max_grad_norm", HyperKind::Float, {false, {1.0}, {}})
      .hyper("trust_clip", &O::trust_clip).hyper("always_adapt", &O::always_adapt)
      .hyper("decoupled_decay", &O::decoupled_decay)
      .group_state("step", &O::step, HyperKind::Int)
      .state("exp_avg", updates::LambSlots::kExpAvg)
      .state("exp_avg_sq", updates::LambSlots::kExpAvgSq);
  return b;
}

detail::RuleBuilder<LarsOptions> lars_rule() {
  using O = LarsOptions;
  detail::RuleBuilder<O> b("Lars");
  b.hyper("lr", &O::lr, "lr").hyper("momentum", &O::momentum, "nonneg").hyper("dampening", &O::dampening)
      .hyper("weight_decay", &O::weight_decay, "nonneg").hyper("nesterov", &O::nesterov)
      .hyper("trust_coeff", &O::trust_coeff, "nonneg").hyper("eps", &O::eps, "nonneg")
      .hyper("trust_clip", &O::trust_clip).hyper("always_adapt", &O::always_adapt).keyword_only()
      .hyper("exclude_1d", &O::exclude_1d)
      .state("momentum_buffer", updates::LarsSlots::kMomentumBuffer, detail::Init::Empty,
             [](const O& o) { return o.momentum != 0; });
  return b;
}

std::vector<double> norms_of(const std::vector<detail::Row>& rows, int array) {
  std::vector<detail::NormInput> in;
  in.reserve(rows.size());
  for (const auto& r : rows) in.push_back({r.arrays[array], r.numel, r.f64});
  auto s = detail::row_sum_sq(rows.empty() ? Device() : rows.front().device, in);
  for (double& x : s) x = std::sqrt(x);
  return s;
}
}  // namespace

int lamb_step(TensorLists& lists, const LambOptions& o, int64_t& step, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  step += 1;
  auto g = detail::gather(lists, detail::plan_for<lamb_rule>(LambRuleOptions{}));
  if (g.rows.empty()) return g.created;
  // The raw update u of each param (timm materializes it too: its norm is needed first).
  std::vector<Tensor> upd;
  upd.reserve(g.rows.size());
  for (size_t r = 0; r < g.rows.size(); ++r) {
    upd.push_back(detail::empty_state(lists[0][g.index[r]]));
    g.rows[r].arrays[updates::LambSlots::kUpdate] = upd.back().data_ptr();
  }
  const double t = double(step);
  updates::LambStep s{};
  s.grad_scale = c.grad_scale;
  s.beta1 = o.beta1;
  s.beta3 = o.grad_averaging ? 1 - o.beta1 : 1.0;
  s.beta2 = o.beta2;
  s.one_minus_beta2 = 1 - o.beta2;
  s.bias_correction1 = o.bias_correction ? 1 - std::pow(o.beta1, t) : 1.0;
  s.bias_correction2_sqrt = std::sqrt(o.bias_correction ? 1 - std::pow(o.beta2, t) : 1.0);
  s.eps = o.eps;
  s.weight_decay = o.weight_decay;
  s.neg_lr_wd = -o.lr * o.weight_decay;
  s.decay = int(o.weight_decay == 0 ? updates::Decay::None
                                    : o.decoupled_decay ? updates::Decay::Decoupled : updates::Decay::L2);
  detail::run_rows<updates::LambMomentsKernel>(g.rows, {s});

  const bool adapt = o.weight_decay != 0 || o.always_adapt;
  std::vector<double> ratio(g.rows.size(), 1.0);
  if (adapt) {
    auto wn = norms_of(g.rows, updates::kParam), un = norms_of(g.rows, updates::LambSlots::kUpdate);
    for (size_t r = 0; r < ratio.size(); ++r) {
      // 1 unless both norms are > 0 (so NaN norms give 1, as timm's nested where)
      double tr = wn[r] > 0 ? (un[r] > 0 ? wn[r] / un[r] : 1.0) : 1.0;
      if (o.trust_clip) tr = std::min(tr, 1.0);
      ratio[r] = tr;
    }
  }
  std::vector<updates::ScaledAddStep> apply(g.rows.size());
  std::vector<detail::Row> rows2(g.rows.size());
  for (size_t r = 0; r < g.rows.size(); ++r) {
    apply[r] = {1.0, ratio[r], -o.lr};
    rows2[r] = g.rows[r];
    rows2[r].arrays[updates::ScaledAddSlots::kUpdateIn] = rows2[r].arrays[updates::LambSlots::kUpdate];
    for (int k : {updates::LambSlots::kExpAvg, updates::LambSlots::kExpAvgSq, updates::LambSlots::kUpdate})
      rows2[r].arrays[k] = nullptr;
    rows2[r].step = int32_t(r);
  }
  detail::run_rows<updates::ScaledAddKernel>(rows2, apply);
  return g.created;
}

double lamb_grad_norm(const std::vector<Tensor>& grads) {
  std::vector<detail::NormInput> in;
  std::vector<Tensor> keep;
  std::vector<const Tensor*> operands;
  for (const Tensor& g : grads) operands.push_back(&g);
  const Device device = dispatch::common_device(operands);
  for (size_t i = 0; i < grads.size(); ++i) {
    Tensor g = grads[i];
    if (!g.defined()) continue;
    STEEPEST_CHECK(g.dtype() == kFloat32 || g.dtype() == kFloat64, TypeError, "Lamb: grad ", i, " is ",
                   dtype_name(g.dtype()), "; expected float32 or float64");
    if (!g.is_contiguous()) g = contiguous(g);
    keep.push_back(g);
    in.push_back({g.data_ptr(), g.numel(), g.dtype() == kFloat64});
  }
  double s = 0;
  for (double x : detail::row_sum_sq(device, in)) s += x;
  return std::sqrt(s);
}

int lars_step(TensorLists& lists, const LarsOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  const bool momentum = o.momentum != 0;
  auto g = detail::gather(lists, detail::plan_for<lars_rule>(o));
  if (g.rows.empty()) return g.created;
  const bool adapt = o.weight_decay != 0 || o.always_adapt;
  const double gs = detail::signed_scale(c, false);
  std::vector<double> ratio(g.rows.size(), 1.0);
  if (adapt) {
    auto wn = norms_of(g.rows, updates::kParam), gn = norms_of(g.rows, updates::kGrad);
    for (size_t r = 0; r < ratio.size(); ++r) {
      const double gnorm = gn[r] * std::fabs(gs);
      double tr = o.trust_coeff * wn[r] / (gnorm + wn[r] * o.weight_decay + o.eps);
      tr = wn[r] > 0 ? (gnorm > 0 ? tr : 1.0) : 1.0;
      if (o.trust_clip) tr = std::min(tr / o.lr, 1.0);
      ratio[r] = tr;
    }
  }
  std::vector<updates::LarsStep> steps(g.rows.size());
  for (size_t r = 0; r < g.rows.size(); ++r) {
    updates::LarsStep& s = steps[r];
    s.grad_scale = gs;
    s.weight_decay = o.weight_decay;
    s.trust_ratio = ratio[r];
    s.momentum = o.momentum;
    s.one_minus_dampening = 1 - o.dampening;
    s.neg_lr = -o.lr;
    s.adapt = adapt && !(o.exclude_1d && lists[0][g.index[r]].dim() <= 1);
    s.mode = momentum ? (g.fresh[r] ? 2 : 1) : 0;
    s.nesterov = o.nesterov;
    g.rows[r].step = int32_t(r);
  }
  detail::run_rows<updates::LarsKernel>(g.rows, steps);
  return g.created;
}

STEEPEST_REGISTER_RULE(Lamb) {
  return lamb_rule().step([](TensorLists& lists, LambRuleOptions& o, const StepControl& c) {
    int64_t step = int64_t(o.step);
    const int created = lamb_step(lists, o, step, c);
    o.step = double(step);
    return created;
  });
}
STEEPEST_REGISTER_RULE(Lars) { return lars_rule().step(lars_step); }

}  // namespace steepest::optim
