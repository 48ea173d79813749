// torch.optim.Adafactor's description and step (docs/optimizers.md): factored second moments
// over the last two dims of >= 2-D params, a full one for 0-D/1-D params, update clipping by RMS(U)/d. Every
// param's update U goes to a scratch buffer: 0-D/1-D params get it from the AdafactorVariance
// kernel (all of them in one driver call), >= 2-D ones from the driver's factored kernel
// (row and column means summed in double, ISA-independent). Then the norms (row_norms, fixed
// order) and one ScaledAdd pass p = p*(1 - lr*wd) - alpha/max(1, RMS(U)/d) * U.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dispatch/optim.hpp"
#include "optim/rule.hpp"
#include "optim/row_norms.hpp"
#include "optim/updates/adafactor.hpp"
#include "optim/updates/lamb.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest::optim {

namespace {
namespace up = updates;

double eps1_of(const AdafactorOptions& o, bool f64) {
  if (o.eps1 >= 0) return o.eps1;
  return f64 ? double(std::numeric_limits<double>::epsilon()) : double(std::numeric_limits<float>::epsilon());
}

detail::RuleBuilder<AdafactorOptions> adafactor_rule() {
  using O = AdafactorOptions;
  detail::RuleBuilder<O> b("Adafactor");
  // row_var/col_var (>= 2-D params) or variance (0-D/1-D) get their shapes from the param's
  // rank: the step creates them itself (Init::Custom keeps them out of the driver's plan).
  b.hyper("lr", &O::lr, "lr").hyper("beta2_decay", &O::beta2_decay)
      .floats("eps", {&O::eps1, &O::eps2}, "", /*optional_first=*/true, /*none_value=*/-1)
      .hyper("d", &O::d).hyper("weight_decay", &O::weight_decay, "nonneg").keyword_only()
      .ignored("foreach").hyper("maximize", &O::maximize)
      .scalar_state("step")
      .state("row_var", -1, detail::Init::Custom)
      .state("col_var", -1, detail::Init::Custom)
      .state("variance", -1, detail::Init::Custom);
  return b;
}

void check_state(const Tensor& s, const Tensor& p, const Shape& want, size_t i, const char* name) {
  STEEPEST_CHECK(s.dtype() == p.dtype() && s.shape() == want && s.is_contiguous(), ValueError, "Adafactor: ", name,
                 " of param ", i, " must be a contiguous ", dtype_name(p.dtype()), " tensor of shape ", want,
                 ", got ", dtype_name(s.dtype()), " ", s.shape());
}
}  // namespace

int adafactor_step(TensorLists& lists, const AdafactorOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  for (int k = 2; k <= 4; ++k)
    STEEPEST_CHECK(lists.size() > size_t(k) && lists[k].size() == lists.at(0).size(), ValueError,
                   "Adafactor: expected lists params, step, row_var, col_var, variance of equal lengths");
  // gather() creates the step counters; the moments depend on the param's rank, made below.
  auto g = detail::gather(lists, detail::plan_for<adafactor_rule>(o));
  int created = g.created;
  if (g.rows.empty()) return created;
  const size_t nr = g.rows.size();
  const double gs = detail::signed_scale(c, o.maximize);
  const std::vector<double> t = detail::increment_steps(lists, g);
  std::vector<Tensor> upd(nr);
  std::vector<detail::Row> var_rows;
  std::vector<up::AdafactorVarianceStep> var_steps;
  std::vector<size_t> factored;
  for (size_t r = 0; r < nr; ++r) {
    const size_t i = size_t(g.index[r]);
    const Tensor& p = lists[0][i];
    upd[r] = detail::empty_state(p);
    if (p.dim() > 1) {
      Shape rs = p.shape(), cs = p.shape();
      rs[rs.size() - 1] = 1;
      cs[cs.size() - 2] = 1;
      for (auto [k, shape] : {std::pair<int, Shape>{2, rs}, std::pair<int, Shape>{3, cs}}) {
        if (!lists[k][i].defined()) {
          lists[k][i] = zeros(shape, TensorOptions(p.dtype(), p.device()));
          ++created;
        }
        check_state(lists[k][i], p, shape, i, k == 2 ? "row_var" : "col_var");
      }
      factored.push_back(r);
    } else {
      if (!lists[4][i].defined()) {
        lists[4][i] = detail::zeros_state(p);
        ++created;
      }
      check_state(lists[4][i], p, p.shape(), i, "variance");
      detail::Row row = g.rows[r];
      row.arrays[updates::AdafactorVarianceSlots::kVariance] = lists[4][i].data_ptr();
      row.arrays[updates::AdafactorVarianceSlots::kUpdateOut] = upd[r].data_ptr();
      row.step = int32_t(var_steps.size());
      const double e = eps1_of(o, row.f64);
      var_steps.push_back({gs, std::pow(t[r], o.beta2_decay), e * e});
      var_rows.push_back(row);
    }
  }
  // alpha = max(eps2, RMS(p)) * min(lr, 1/sqrt(t)), from p before the decay
  std::vector<detail::NormInput> pin, uin;
  for (size_t r = 0; r < nr; ++r) {
    pin.push_back({g.rows[r].arrays[0], g.rows[r].numel, g.rows[r].f64});
    uin.push_back({upd[r].data_ptr(), g.rows[r].numel, g.rows[r].f64});
  }
  const auto psq = detail::row_sum_sq(g.device, pin);
  detail::run_rows<updates::AdafactorVarianceKernel>(var_rows, var_steps);
  std::vector<dispatch::AdafactorFactoredRow> frows;
  for (size_t r : factored) {
    const size_t i = size_t(g.index[r]);
    frows.push_back({lists[0][i], lists[2][i], lists[3][i], upd[r], g.rows[r].arrays[updates::kGrad],
                     std::pow(t[r], o.beta2_decay), eps1_of(o, g.rows[r].f64)});
  }
  if (!frows.empty()) dispatch::optim_adafactor_stub()(g.device, frows, gs);
  const auto usq = detail::row_sum_sq(g.device, uin);
  std::vector<up::ScaledAddStep> apply(nr);
  std::vector<detail::Row> rows(nr);
  for (size_t r = 0; r < nr; ++r) {
    const double N = double(g.rows[r].numel);
    const double rho = std::min(o.lr, 1.0 / std::pow(t[r], 0.5));
    const double alpha = N == 0 ? 0.0 : std::max(o.eps2, std::sqrt(psq[r]) / std::sqrt(N)) * rho;
    const double denom = N == 0 ? 1.0 : std::max(1.0, std::sqrt(usq[r]) / (std::sqrt(N) * o.d));
    apply[r] = {o.weight_decay != 0 ? 1 - o.lr * o.weight_decay : 1.0, 1.0, -alpha / denom};
    rows[r] = g.rows[r];
    rows[r].arrays[updates::ScaledAddSlots::kUpdateIn] = upd[r].data_ptr();
    rows[r].step = int32_t(r);
  }
  detail::run_rows<updates::ScaledAddKernel>(rows, apply);
  return created;
}

STEEPEST_REGISTER_RULE(Adafactor) { return adafactor_rule().step(adafactor_step); }

}  // namespace steepest::optim
