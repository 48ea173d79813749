// Fused backward kernels read their incoming gradient with the forward's geometry: each node
// must refuse a gradient of another shape with an error instead of reading past it, whoever
// calls it (the engine routes only well-shaped gradients; an embedding program may not).
#include <doctest/doctest.h>

#include <vector>

#include "steepest/steepest.hpp"

using namespace steepest;
namespace F = steepest::nn::functional;

namespace {
Tensor param(const Shape& shape) {
  Tensor t = randn(shape);
  t.set_requires_grad(true);
  return t;
}

// Calls the node that made `out` with a gradient of `wrong` shape.
void apply_with(const Tensor& out, const Shape& wrong) {
  std::vector<Tensor> grads{ones(wrong)};
  out.grad_fn()->apply(grads);
}
}  // namespace

TEST_CASE("every fused backward refuses a gradient whose shape isn't its output's") {
  Tensor x = param({4, 8}), w = param({5, 8}), b = param({5});
  CHECK_THROWS_AS(apply_with(F::linear(x, w, b), {3, 3}), ValueError);
  CHECK_THROWS_AS(apply_with(F::layer_norm(x, {8}, param({8}), param({8})), {4, 4}), ValueError);
  CHECK_THROWS_AS(apply_with(F::softmax(x, 1), {2, 8}), ValueError);
  CHECK_THROWS_AS(apply_with(F::log_softmax(x, 1), {8, 8}), ValueError);
  CHECK_THROWS_AS(apply_with(F::gelu(x), {64}), ValueError);
  Tensor target = zeros({4}, TensorOptions(kInt64));
  CHECK_THROWS_AS(apply_with(F::cross_entropy(x, target), {4}), ValueError);
  CHECK_THROWS_AS(apply_with(F::cross_entropy(x, target, Tensor(), -100, F::Reduction::None), {}), ValueError);
  CHECK_THROWS_AS(apply_with(F::nll_loss(F::log_softmax(x, 1).detach().set_requires_grad(true), target, Tensor(),
                                         -100, F::Reduction::None), {5}),
                  ValueError);
  CHECK_THROWS_AS(apply_with(F::embedding(param({10, 3}), zeros({2, 6}, TensorOptions(kInt64))), {2, 3}),
                  ValueError);
}

TEST_CASE("the same nodes accept a gradient of their output's shape") {
  Tensor x = param({4, 8}), w = param({5, 8});
  Tensor y = F::linear(x, w);
  std::vector<Tensor> grads{ones({4, 5})};
  std::vector<Tensor> in = y.grad_fn()->apply(grads);
  REQUIRE(in.size() == 3);
  CHECK(in[0].shape() == Shape{4, 8});
  CHECK(in[1].shape() == Shape{5, 8});
}
