// C++ API tests for reductions, matmul and cat/split: values against hand-computed
// references, views sharing storage, and errors of the right kind.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
// A (rows, cols) float64 tensor holding f(i, j).
template <class F>
Tensor mat(int64_t rows, int64_t cols, F f) {
  Tensor t = empty({rows, cols}, TensorOptions(kFloat64));
  double* p = t.data<double>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) p[i * cols + j] = f(i, j);
  return t;
}
}  // namespace

TEST_CASE("sum/mean over all and over dims, keepdim, transposed views") {
  Tensor a = mat(3, 5, [](int64_t i, int64_t j) { return double(i * 5 + j); });
  CHECK(sum(a).item<double>() == 105.0);
  CHECK(mean(a).item<double>() == 7.0);
  Tensor s0 = sum(a, {0});
  CHECK(s0.shape() == Shape{5});
  for (int j = 0; j < 5; ++j) CHECK(s0.data<double>()[j] == double(15 + 3 * j));
  Tensor s1 = sum(a, {-1}, true);
  CHECK(s1.shape() == Shape{3, 1});
  for (int i = 0; i < 3; ++i) CHECK(s1.data<double>()[i] == double(25 * i + 10));
  // The same data through a transposed view (strides (1, 5)).
  Tensor at = Tensor::make(a.storage(), {5, 3}, {1, 5}, 0, kFloat64);
  Tensor st0 = sum(at, {1});
  for (int j = 0; j < 5; ++j) CHECK(st0.data<double>()[j] == s0.data<double>()[j]);
  // ints sum to int64
  Tensor ai = arange(Scalar(0), Scalar(10));
  Tensor i32 = to_dtype(ai, kInt32);
  CHECK(sum(i32).dtype() == kInt64);
  CHECK(sum(i32).item<int64_t>() == 45);
  CHECK_THROWS_AS(mean(i32), TypeError);
}

TEST_CASE("a long float32 sum is accurate (pairwise)") {
  const int64_t n = 1 << 20;
  Tensor t = full({n}, Scalar(0.1), TensorOptions(kFloat32));
  double exact = double(n) * double(0.1f);
  CHECK(std::fabs(sum(t).item<double>() - exact) <= 1e-5 * exact);
}

TEST_CASE("max/min/argmax: values, first index on ties, NaN wins") {
  Tensor a = mat(2, 4, [](int64_t i, int64_t j) { return i == 0 ? double(j % 2) : double(3 - j); });
  auto [v, idx] = max(a, 1);
  CHECK(v.data<double>()[0] == 1.0);
  CHECK(idx.data<int64_t>()[0] == 1);  // ties: [0, 1, 0, 1] -> first 1
  CHECK(idx.data<int64_t>()[1] == 0);
  CHECK(argmin(a).item<int64_t>() == 0);
  CHECK(amax(a).item<double>() == 3.0);
  CHECK(amin(a, {0}).data<double>()[3] == 0.0);
  a.data<double>()[6] = NAN;
  CHECK(std::isnan(max(a).item<double>()));
  CHECK(argmax(a).item<int64_t>() == 6);
  CHECK(argmin(a, 1).data<int64_t>()[1] == 2);
  CHECK_THROWS_AS(amax(empty({0, 3})), ValueError);
  CHECK_THROWS_AS(max(empty({0, 3}), 0), IndexError);
  CHECK_THROWS_AS(sum(a, {0, -2}), ValueError);
  CHECK_THROWS_AS(sum(a, {2}), IndexError);
}

// steepest::std must be qualified where `using namespace steepest` meets namespace std.
TEST_CASE("var/std with corrections") {
  Tensor a = mat(1, 4, [](int64_t, int64_t j) { return double(j + 1); });  // 1 2 3 4
  CHECK(var(a).item<double>() == doctest::Approx(5.0 / 3.0));
  CHECK(var(a, {}, 0).item<double>() == doctest::Approx(1.25));
  CHECK(steepest::std(a, {1}, 1, true).shape() == Shape{1, 1});
  CHECK(steepest::std(a, {1}).data<double>()[0] == doctest::Approx(std::sqrt(5.0 / 3.0)));
  CHECK(std::isinf(var(a, {}, 4).item<double>()));
}

TEST_CASE("matmul: 2-D, batched with broadcast, 1-D promotion, transposed operand") {
  Tensor a = mat(2, 3, [](int64_t i, int64_t j) { return double(i + j); });
  Tensor b = mat(3, 2, [](int64_t i, int64_t j) { return double(i * j + 1); });
  Tensor c = matmul(a, b);
  CHECK(c.shape() == Shape{2, 2});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      double ref = 0;
      for (int k = 0; k < 3; ++k) ref += double(i + k) * double(k * j + 1);
      CHECK(c.data<double>()[i * 2 + j] == ref);
    }
  Tensor bt = Tensor::make(b.storage(), {2, 3}, {1, 2}, 0, kFloat64);  // b^T as a view
  Tensor c2 = matmul(bt, Tensor::make(a.storage(), {3, 2}, {1, 3}, 0, kFloat64));  // (a b)^T
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) CHECK(c2.data<double>()[j * 2 + i] == c.data<double>()[i * 2 + j]);
  Tensor v = Tensor::make(b.storage(), {3}, {2}, 0, kFloat64);  // column 0 of b: all ones
  Tensor av = matmul(a, v);
  CHECK(av.shape() == Shape{2});
  CHECK(av.data<double>()[1] == 6.0);
  Tensor batch = stack({a, a, a});
  CHECK(matmul(batch, b).shape() == Shape{3, 2, 2});
  CHECK(matmul(v, b).shape() == Shape{2});
  CHECK(dot(v, v).item<double>() == 3.0);
  CHECK_THROWS_AS(matmul(a, a), ValueError);
  CHECK_THROWS_AS(matmul(a, to_dtype(b, kFloat32)), TypeError);
  CHECK_THROWS_AS(matmul(scalar_tensor(Scalar(1.0)), b), ValueError);
  CHECK(matmul(empty({2, 0}, TensorOptions(kFloat64)), empty({0, 4}, TensorOptions(kFloat64))).shape() == Shape{2, 4});
}

TEST_CASE("cat/stack/split/chunk/unbind") {
  Tensor a = mat(2, 3, [](int64_t i, int64_t j) { return double(i * 3 + j); });
  Tensor c = cat({a, a}, 1);
  CHECK(c.shape() == Shape{2, 6});
  CHECK(c.data<double>()[4] == 1.0);
  CHECK(cat({a, to_dtype(a, kInt32)}, 0).dtype() == kFloat64);
  CHECK(stack({a, a}, -1).shape() == Shape{2, 3, 2});
  auto parts = split(c, 4, 1);
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].shape() == Shape{2, 2});
  CHECK(parts[1].storage() == c.storage());
  CHECK(parts[1].data<double>()[0] == 1.0);
  auto ch = chunk(a, 2, 0);
  CHECK(ch.size() == 2);
  CHECK(ch[1].data<double>()[0] == 3.0);
  auto rows = unbind(a, 1);
  CHECK(rows.size() == 3);
  CHECK(rows[2].shape() == Shape{2});
  CHECK_THROWS_AS(cat({a, empty({3, 4}, TensorOptions(kFloat64))}, 0), ValueError);
  CHECK_THROWS_AS(split(a, std::vector<int64_t>{1, 2}, 0), ValueError);
  CHECK_THROWS_AS(chunk(a, 0), ValueError);
}
