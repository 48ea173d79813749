// F::batch_norm from C++: training output and running statistics against loops written here
// in double, eval mode reading the running statistics, and the backward refusing a gradient
// of the wrong shape.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "steepest/steepest.hpp"

using namespace steepest;
namespace F = steepest::nn::functional;

TEST_CASE("batch_norm training normalizes per channel and updates the running statistics") {
  Generator gen(11);
  const int64_t N = 3, C = 2, S = 5;
  Tensor x = randn({N, C, S}, TensorOptions(kFloat64), &gen);
  Tensor rm = zeros({C}, TensorOptions(kFloat64)), rv = ones({C}, TensorOptions(kFloat64));
  Tensor y = F::batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.25, 1e-5);
  const double* px = x.data<double>();
  const double* py = y.data<double>();
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) m += px[(n * C + c) * S + s];
    m /= double(N * S);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) v += std::pow(px[(n * C + c) * S + s] - m, 2);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t i = (n * C + c) * S + s;
        CHECK(py[i] == doctest::Approx((px[i] - m) / std::sqrt(v / double(N * S) + 1e-5)).epsilon(1e-12));
      }
    CHECK(rm.data<double>()[c] == doctest::Approx(0.25 * m).epsilon(1e-12));
    CHECK(rv.data<double>()[c] == doctest::Approx(0.75 + 0.25 * v / double(N * S - 1)).epsilon(1e-12));
  }
}

TEST_CASE("batch_norm eval reads the running statistics; bad arguments raise") {
  Tensor x = ones({2, 3}), rm = full({3}, Scalar(0.5)), rv = full({3}, Scalar(4.0));
  Tensor y = F::batch_norm(x, rm, rv, Tensor(), Tensor(), false, 0.1, 0.0);
  for (int64_t i = 0; i < 6; ++i) CHECK(y.data<float>()[i] == doctest::Approx(0.25));
  CHECK_THROWS_AS(F::batch_norm(ones({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true), ValueError);
  CHECK_THROWS_AS(F::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false), ValueError);
  CHECK_THROWS_AS(F::batch_norm(x, ones({4}), ones({3}), Tensor(), Tensor(), true), ValueError);
  Tensor xg = randn({4, 3});
  xg.set_requires_grad(true);
  Tensor out = F::batch_norm(xg, Tensor(), Tensor(), Tensor(), Tensor(), true);
  std::vector<Tensor> grads{ones({4, 4})};
  CHECK_THROWS_AS(out.grad_fn()->apply(grads), ValueError);
}
