// C++ API tests for the elementwise ops: promotion, broadcasting, in-place rules, where,
// special values and the operator overloads an embedding program uses.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
Tensor vec(std::initializer_list<float> v) {
  Tensor t = empty({int64_t(v.size())});
  float* p = t.data<float>();
  for (float x : v) *p++ = x;
  return t;
}
}  // namespace

TEST_CASE("result_type follows torch's priority of dims, 0-d tensors and numbers") {
  Tensor i = arange(Scalar(0), Scalar(3));                 // int64, 1-d
  Tensor f0 = scalar_tensor(Scalar(1.5), kFloat64);         // float64, 0-d
  Tensor h = zeros({2}, TensorOptions(kFloat16));
  CHECK(result_type(i, Scalar(2.0)) == kFloat32);           // float number over int tensor: default float
  CHECK(result_type(h, Scalar(2.0)) == kFloat16);           // same category: the tensor wins
  CHECK(result_type(i, f0) == kFloat64);                    // higher category in a 0-d tensor
  CHECK(result_type(zeros({2}), f0) == kFloat32);           // same category: the dimensioned one wins
  CHECK(result_type(zeros({2}, TensorOptions(kBool)), Scalar(int64_t(3))) == kInt64);
  CHECK(result_type(zeros({1}, TensorOptions(kBFloat16)), zeros({1}, TensorOptions(kFloat16))) == kFloat32);
  CHECK(result_type(Scalar(2), Scalar(3.0)) == kFloat32);
}

TEST_CASE("binary ops broadcast and true division makes floats") {
  Tensor a = full({2, 1}, Scalar(6));                      // int64
  Tensor b = arange(Scalar(1), Scalar(4));                 // int64 (3,)
  Tensor q = a / b;
  CHECK(q.shape() == Shape{2, 3});
  CHECK(q.dtype() == kFloat32);
  CHECK(q.data<float>()[2] == 2.0f);
  Tensor s = 10 - b;                                       // rsub
  CHECK(s.data<int64_t>()[0] == 9);
  Tensor p = pow(b, Scalar(2));
  CHECK(p.data<int64_t>()[2] == 9);
  CHECK_THROWS_WITH_AS(pow(b, Scalar(-1)), "Integers to negative integer powers are not allowed.", Error);
  CHECK_THROWS_AS(add(zeros({2}), zeros({3})), ValueError);
  Tensor x = vec({1, 2});
  Tensor y = add(x, vec({10, 20}), Scalar(0.5));
  CHECK(y.data<float>()[1] == 12.0f);
}

TEST_CASE("in-place ops cast to the target and keep its shape") {
  Tensor f = vec({1, 2});
  add_(f, Scalar(1));
  CHECK(f.data<float>()[1] == 3.0f);
  uint64_t v = f.version();
  mul_(f, vec({2, 3}));
  CHECK(f.version() > v);
  CHECK(f.data<float>()[1] == 9.0f);
  Tensor i = arange(Scalar(0), Scalar(2));
  CHECK_THROWS_WITH_AS(add_(i, Scalar(1.5)), "result type Float can't be cast to the desired output type Long", Error);
  CHECK_THROWS_AS(add_(f, zeros({2, 2})), ValueError);
  clamp_(f, std::nullopt, Scalar(5));  // f was (4, 9)
  CHECK(f.data<float>()[0] == 4.0f);
  CHECK(f.data<float>()[1] == 5.0f);
}

TEST_CASE("special values: NaN propagation, signed zeros, infinities") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  Tensor x = vec({nan, -0.0f, inf, -inf, 1e-45f});
  Tensor e = exp(x);
  CHECK(std::isnan(e.data<float>()[0]));
  CHECK(e.data<float>()[1] == 1.0f);
  CHECK(e.data<float>()[2] == inf);
  CHECK(e.data<float>()[3] == 0.0f);
  Tensor l = log(x);
  CHECK(l.data<float>()[1] == -inf);
  CHECK(std::fabs(l.data<float>()[4] - std::log(double(1e-45f))) < 1e-5);
  CHECK(std::signbit(sin(x).data<float>()[1]));
  CHECK(std::signbit(tanh(x).data<float>()[1]));
  CHECK(std::isnan(maximum(x, vec({0, 0, 0, 0, 0})).data<float>()[0]));
  CHECK(std::isnan(relu(x).data<float>()[0]));
  CHECK(sigmoid(x).data<float>()[3] == 0.0f);
}

TEST_CASE("where broadcasts and promotes; comparisons give bool") {
  Tensor c = gt(vec({1, -1, 2}), Scalar(0));
  CHECK(c.dtype() == kBool);
  Tensor w = where(c, vec({1, 2, 3}), Scalar(int64_t(7)));
  CHECK(w.dtype() == kFloat32);
  CHECK(w.data<float>()[1] == 7.0f);
  CHECK_THROWS_AS(where(vec({1, 0, 1}), vec({1, 2, 3}), vec({0, 0, 0})), TypeError);
  Tensor n = logical_not(c);
  CHECK(n.data<bool>()[1]);
}
