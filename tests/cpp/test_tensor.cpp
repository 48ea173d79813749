// C++ API tests for the tensor core: creation, views' storage sharing, dtype conversion.
#include <doctest/doctest.h>

#include <cmath>

#include <steepest/steepest.hpp>

using namespace steepest;

TEST_CASE("zeros/full/fill give the requested values and dtype") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.is_contiguous());
  Tensor f = full({4}, Scalar(2.5), TensorOptions(kFloat64));
  for (int i = 0; i < 4; ++i) CHECK(f.data<double>()[i] == 2.5);
}

TEST_CASE("bfloat16 and float16 round to nearest even") {
  // 1 + 2^-8 is halfway between bf16 neighbours 1 and 1+2^-7: ties go to the even one (1).
  CHECK(float(bfloat16(1.0f + 1.0f / 256)) == 1.0f);
  CHECK(float(bfloat16(1.0f + 3.0f / 256)) == 1.0f + 4.0f / 256);
  CHECK(float(float16(65520.0f)) == INFINITY);
  CHECK(float(float16(65504.0f)) == 65504.0f);
  CHECK(float(float16(5.9604645e-08f)) == 5.9604645e-08f);  // smallest subnormal
}

TEST_CASE("to_dtype converts and copy_ broadcasts") {
  Tensor a = arange(Scalar(0), Scalar(6));
  CHECK(a.dtype() == kInt64);
  Tensor f = to_dtype(a, kFloat32);
  CHECK(f.data<float>()[5] == 5.0f);
  Tensor dst = empty({2, 3});
  Tensor row = full({3}, Scalar(1.5));
  copy_(dst, row);
  for (int i = 0; i < 6; ++i) CHECK(dst.data<float>()[i] == 1.5f);
}

TEST_CASE("errors name the problem") {
  CHECK_THROWS_AS(Tensor::empty({-1}), ValueError);
  Tensor t = zeros({2});
  CHECK_THROWS_WITH_AS(t.size(3), "dimension out of range (expected to be in range of [-1, 0], but got 3)",
                       IndexError);
}
