// torch.optim.Muon's description and step (docs/optimizers.md): the momentum kernel, Newton–Schulz through
// steepest::matmul (BLAS) per param, or in bfloat16 through the bfloat16 GEMM (gemm_), then the decayed,
// lr-adjusted update kernel.
#include <algorithm>
#include <cmath>

#include "dispatch/optim.hpp"
#include "optim/rule.hpp"
#include "optim/updates/lamb.hpp"
#include "optim/updates/muon.hpp"
#include "steepest/ops.hpp"

namespace steepest::optim {

namespace {
Tensor round_bf16(const Tensor& x) { return to_dtype(to_dtype(x, kBFloat16), x.dtype()); }

detail::RuleBuilder<MuonOptions> muon_rule() {
  using O = MuonOptions;
  detail::RuleBuilder<O> b("Muon");
  b.hyper("lr", &O::lr, "lr").hyper("weight_decay", &O::weight_decay, "nonneg").hyper("momentum", &O::momentum, "nonneg")
      .hyper("nesterov", &O::nesterov).floats("ns_coefficients", {&O::ns_a, &O::ns_b, &O::ns_c})
      .hyper("eps", &O::eps, "nonneg").hyper("ns_steps", &O::ns_steps)
      .choice("adjust_lr_fn", {"original", "match_rms_adamw"}, "original",
              [](O& o, int k) { o.adjust_lr = MuonAdjustLr(k); }, /*none_default=*/true)
      .keyword_only()
      .choice("ns_dtype", {"float32", "bfloat16"}, "bfloat16", [](O& o, int k) { o.ns_bf16 = k == 1; })
      .state("momentum_buffer", updates::MuonMomentumSlots::kUpdateOut);
  return b;
}

double sum_sq(const Tensor& x) {
  const Tensor c = contiguous(x);
  return dispatch::optim_frobenius_sq_stub()(c.device(), c);
}
}  // namespace

Tensor newton_schulz(const Tensor& g, const MuonOptions& o) {
  STEEPEST_CHECK(g.dim() == 2, ValueError, "Muon: Newton–Schulz takes a 2-D matrix, got shape ", g.shape());
  STEEPEST_CHECK(o.ns_steps >= 0 && o.ns_steps < 100, ValueError, "Muon: ns_steps must be in [0, 100), got ",
                 o.ns_steps);
  const bool bf = o.ns_bf16;
  auto rnd = [&](const Tensor& x) { return bf ? round_bf16(x) : x; };
  Tensor x = g.dtype() == kFloat64 && !bf ? g : to_dtype(g, kFloat32);
  x = rnd(x);
  const bool transposed = g.shape()[0] > g.shape()[1];
  if (transposed) x = contiguous(transpose(x, 0, 1));
  double norm = std::sqrt(sum_sq(x));
  if (bf) norm = double(float(round_bf16(full(Shape{}, Scalar(norm), TensorOptions(kFloat32))).item<float>()));
  x = rnd(div(x, Scalar(std::max(norm, o.eps))));  // X / clamp(||X||_F, min=eps)
  if (bf) {
    // Every iterate a bfloat16 tensor, each step three bfloat16 GEMMs (float32 accumulation,
    // one rounding per iterate, the scaled sums folded in as alpha / beta):
    // A = X X^T, B = b A + c A A, X = a X + B X.
    Tensor xb = to_dtype(x, kBFloat16);
    const int64_t rows = xb.shape()[0];
    for (int k = 0; k < o.ns_steps; ++k) {
      Tensor a = Tensor::empty({rows, rows}, kBFloat16, xb.device());
      gemm_(a, xb, transpose(xb, 0, 1));
      Tensor b = clone(a);
      gemm_(b, a, a, o.ns_c, o.ns_b);
      Tensor xn = clone(xb);
      gemm_(xn, b, xb, 1.0, o.ns_a);
      xb = xn;
    }
    if (transposed) xb = transpose(xb, 0, 1);
    return contiguous(to_dtype(xb, g.dtype()));
  }
  for (int k = 0; k < o.ns_steps; ++k) {
    Tensor a = rnd(matmul(x, transpose(x, 0, 1)));                                    // Gram X X^T
    Tensor b = rnd(add(mul(a, Scalar(o.ns_b)), mul(matmul(a, a), Scalar(o.ns_c))));   // b A + c A A
    x = rnd(add(mul(x, Scalar(o.ns_a)), matmul(b, x)));                               // a X + B X
  }
  if (transposed) x = transpose(x, 0, 1);
  return contiguous(to_dtype(x, g.dtype()));
}

int muon_step(TensorLists& lists, const MuonOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  for (size_t i = 0; i < lists.at(0).size(); ++i) {
    const Tensor& p = lists[0][i];
    STEEPEST_CHECK(!p.defined() || p.dim() == 2, ValueError,
                   "Muon only supports 2-D parameters; param ", i, " has shape ", p.shape(),
                   " (optimize it with AdamW, e.g. st.optim.MuonWithAuxAdamW)");
  }
  auto g = detail::gather(lists, detail::plan_for<muon_rule>(o));
  if (g.rows.empty()) return g.created;
  // Momentum: the buffer (gathered into kUpdateOut's slot) moves to kBuffer, and the blended
  // update u is written to kUpdateOut.
  using S = updates::MuonMomentumSlots;
  std::vector<Tensor> upd;
  std::vector<detail::Row> rows = g.rows;
  for (size_t r = 0; r < rows.size(); ++r) {
    upd.push_back(detail::empty_state(lists[0][g.index[r]]));
    rows[r].arrays[S::kBuffer] = g.rows[r].arrays[S::kUpdateOut];
    rows[r].arrays[S::kUpdateOut] = upd.back().data_ptr();
  }
  detail::run_rows<updates::MuonMomentumKernel>(rows, {{c.grad_scale, 1 - o.momentum, o.momentum, int(o.nesterov)}});
  // Orthogonalize each update, then p = p*(1 - lr*wd) - adjusted_lr * O.
  std::vector<Tensor> ortho;
  std::vector<updates::ScaledAddStep> apply(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const Tensor& p = lists[0][g.index[r]];
    ortho.push_back(newton_schulz(upd[r], o));
    const double A = double(p.shape()[0]), B = double(p.shape()[1]);
    const double ratio = o.adjust_lr == MuonAdjustLr::MatchRmsAdamW ? 0.2 * std::sqrt(std::max(A, B))
                                                                    : std::sqrt(std::max(1.0, A / B));
    apply[r] = {1 - o.lr * o.weight_decay, 1.0, -(o.lr * ratio)};
    rows[r] = g.rows[r];
    rows[r].arrays[updates::ScaledAddSlots::kUpdateIn] = ortho.back().data_ptr();
    rows[r].arrays[S::kUpdateOut] = nullptr;
    rows[r].step = int32_t(r);
  }
  detail::run_rows<updates::ScaledAddKernel>(rows, apply);
  return g.created;
}

STEEPEST_REGISTER_RULE(Muon) { return muon_rule().step(muon_step); }

}  // namespace steepest::optim
