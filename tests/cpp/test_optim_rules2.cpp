// C++ API tests for SophiaG, Schedule-Free AdamW and Muon's Newton–Schulz (steepest/optim.hpp):
// the spec's vectors (the reference test vectors (torch 2.13 / reference code, float64)) through the C++ calls an embedder makes.
#include <doctest/doctest.h>

#include <vector>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
Tensor vec64(std::vector<double> v) {
  Tensor t = empty({int64_t(v.size())}, TensorOptions(kFloat64));
  for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i];
  return t;
}
void spec_grad(Tensor& p, int t) { p.set_grad(vec64({0.1 * t, -0.2, 0.3 * (t % 2 ? -1 : 1)})); }
}  // namespace

TEST_CASE("sophia_step and sophia_update_hessian: the SophiaG vector") {
  Tensor p = vec64({1, -2, 3});
  optim::TensorLists lists{{p}, {Tensor()}, {Tensor()}, {Tensor()}};
  optim::SophiaOptions o;
  o.lr = 0.1, o.rho = 0.04, o.weight_decay = 0.1, o.bs = 10;
  for (int t = 1; t <= 4; ++t) {
    spec_grad(p, t);
    CHECK(optim::sophia_step(lists, o) == (t == 1 ? 3 : 0));
    if (t == 2) {
      p.set_grad(vec64({0.5, 0.05, -0.2}));
      optim::sophia_update_hessian(lists, o);
    }
  }
  const double want[] = {0.56655611, -1.52715212, 2.87980793};
  for (int i = 0; i < 3; ++i) CHECK(p.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-7));
  CHECK(lists[1][0].item().to_double() == 4.0);
}

TEST_CASE("schedule_free_adamw_step: y in train mode, x after the eval lerp") {
  Tensor p = vec64({1, -2, 3});
  optim::TensorLists lists{{p}, {Tensor()}, {Tensor()}};
  optim::ScheduleFreeAdamWOptions o;
  o.lr = 0.1, o.warmup_steps = 2, o.weight_decay = 0.1;
  optim::ScheduleFreeGroupState g;
  for (int t = 1; t <= 4; ++t) {
    spec_grad(p, t);
    optim::schedule_free_adamw_step(lists, o, g);
  }
  CHECK(g.k == 4);
  const double y[] = {0.664408471282, -1.70706070702, 2.91109047881};
  for (int i = 0; i < 3; ++i) CHECK(p.data<double>()[i] == doctest::Approx(y[i]).epsilon(1e-10));
  optim::schedule_free_set_mode(lists, o.beta1, false);
  const double x[] = {0.681740548588, -1.72068458536, 2.91834070675};
  for (int i = 0; i < 3; ++i) CHECK(p.data<double>()[i] == doctest::Approx(x[i]).epsilon(1e-10));
}

TEST_CASE("newton_schulz: the float64 iteration of the spec's 3x2 matrix; muon_step rejects 1-D params") {
  Tensor G = empty({3, 2}, TensorOptions(kFloat64));
  const double gv[] = {1, .5, .2, -1, .3, .4};
  for (int i = 0; i < 6; ++i) G.data<double>()[i] = gv[i];
  optim::MuonOptions exact;
  exact.ns_bf16 = false;  // the default iterates in bfloat16, as torch; this checks the float64 iteration
  Tensor O = optim::newton_schulz(G, exact);
  const double want[] = {0.817671, 0.467696, 0.103768, -0.81586, 0.258884, 0.34699};
  for (int i = 0; i < 6; ++i) CHECK(O.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-5));
  Tensor v = vec64({1, 2});
  v.set_grad(vec64({1, 1}));
  optim::TensorLists lists{{v}, {Tensor()}};
  CHECK_THROWS_AS(optim::muon_step(lists, optim::MuonOptions{}), ValueError);
}
