// C++ API tests for the backward of views, indexing and joins: gradients worked out by hand
// for a transpose + slice chain, duplicate advanced indices, and a split with unused pieces.
#include <doctest/doctest.h>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
Tensor leaf(const Shape& shape) {  // 0, 1, 2, ... as float32, requiring grad
  Tensor t = reshape(to_dtype(arange(Scalar(0), Scalar(numel_of(shape))), kFloat32), shape);
  t.set_requires_grad(true);
  return t;
}
std::vector<float> values(const Tensor& t) {
  Tensor c = contiguous(t);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}
}  // namespace

TEST_CASE("a chain of views sends the gradient back to the picked elements") {
  Tensor x = leaf({2, 3});
  Tensor y = slice(transpose(x, 0, 1), 0, 1, 3);  // x[:, 1:].T
  CHECK(std::string(y.grad_fn()->name()) == "SliceBackward0");
  Tensor w = reshape(to_dtype(arange(Scalar(1), Scalar(5)), kFloat32), {2, 2});
  sum(mul(y, w)).backward();
  // y[i][j] = x[j][i + 1], weight w[i][j] = 1 + 2i + j
  CHECK(values(x.grad()) == std::vector<float>{0, 1, 3, 0, 2, 4});
}

TEST_CASE("advanced indexing adds up the gradients of repeated positions") {
  Tensor x = leaf({4});
  Tensor idx = Tensor::empty({5}, kInt64);
  int64_t picks[] = {3, 0, 3, 3, -4};
  for (int i = 0; i < 5; ++i) idx.data<int64_t>()[i] = picks[i];
  Tensor y = index(x, {TensorIndex::from_tensor(idx)});
  CHECK(std::string(y.grad_fn()->name()) == "IndexBackward0");
  sum(y).backward();
  CHECK(values(x.grad()) == std::vector<float>{2, 0, 0, 3});
}

TEST_CASE("split: pieces without a gradient count as zeros; in-place writes to them are refused") {
  Tensor x = leaf({5});
  std::vector<Tensor> pieces = split(x, 2, 0);
  REQUIRE(pieces.size() == 3);
  CHECK(std::string(pieces[0].grad_fn()->name()) == "SplitBackward0");
  sum(mul(pieces[2], Scalar(3))).backward();
  CHECK(values(x.grad()) == std::vector<float>{0, 0, 0, 0, 3});

  Tensor y = mul(x, Scalar(2));
  Tensor v = select(y, 0, 1);
  CHECK_THROWS_AS(add_(v, Scalar(1)), NotImplementedError);
}
