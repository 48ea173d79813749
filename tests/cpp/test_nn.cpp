// The C++ nn modules: parameter names and counts as torch's, Linear's forward and init
// bounds, MLP gradients through backward against hand-written formulas, load_state errors.
#include <doctest/doctest.h>

#include <cmath>

#include "steepest/steepest.hpp"

using namespace steepest;

TEST_CASE("MLP parameters are named like torch's Sequential") {
  nn::MLP m({4, 8, 3});
  auto named = m.named_parameters();
  REQUIRE(named.size() == 4);
  CHECK(named[0].first == "0.weight");
  CHECK(named[1].first == "0.bias");
  CHECK(named[2].first == "2.weight");
  CHECK(named[3].first == "2.bias");
  CHECK(named[0].second.shape() == Shape{8, 4});
  CHECK(m.num_parameters() == 8 * 4 + 8 + 3 * 8 + 3);
  for (auto& [name, p] : named) CHECK(p.requires_grad());
}

TEST_CASE("Linear init stays inside torch's bound and forward is x W^T + b") {
  Generator gen(3);
  nn::Linear lin(16, 5, true, &gen);
  double bound = 1.0 / std::sqrt(16.0);
  const float* w = lin.weight.data<float>();
  for (int64_t i = 0; i < lin.weight.numel(); ++i) CHECK(std::fabs(w[i]) <= bound);
  Tensor x = randn({3, 16}, {}, &gen);
  Tensor y = lin(x);
  Tensor ref = add(matmul(x, t(lin.weight)), lin.bias);
  CHECK(max(abs(sub(y, ref))).item<double>() < 1e-5);
}

TEST_CASE("Linear gradients match the hand-derived formulas") {
  Generator gen(5);
  nn::Linear lin(4, 3, true, &gen);
  Tensor x = randn({6, 4}, {}, &gen);
  Tensor loss = sum(lin(x));  // d/dW = ones(6,3)^T x, d/db = 6
  loss.backward();
  Tensor gw = matmul(t(ones({6, 3})), x);
  CHECK(max(abs(sub(lin.weight.grad(), gw))).item<double>() < 1e-5);
  CHECK(max(abs(sub(lin.bias.grad(), full({3}, Scalar(6.0))))).item<double>() < 1e-6);
  nn::sgd_step(lin.parameters(), 0.5);  // p -= 0.5 g
  lin.zero_grad();
  CHECK_FALSE(lin.weight.grad().defined());
}

TEST_CASE("load_state names the missing key and the mismatched shape") {
  nn::MLP a({2, 3}), b({2, 3});
  b.load_state(a.named_parameters());
  CHECK(max(abs(sub(a.parameters()[0], b.parameters()[0]))).item<double>() == 0.0);
  CHECK_THROWS_WITH_AS(b.load_state({}), doctest::Contains("missing key \"0.weight\""), ValueError);
  nn::MLP c({3, 3});
  CHECK_THROWS_WITH_AS(b.load_state(c.named_parameters()), doctest::Contains("shape"), ValueError);
}
