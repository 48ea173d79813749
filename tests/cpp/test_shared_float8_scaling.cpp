// kernels/float8_scaling.hpp, which the CPU and CUDA FP8 kernels share, checked on the host:
// the delayed-scaling update against the formula worked by hand, and the NaN-winning maximum.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/float8_scaling.hpp"

using namespace steepest;

TEST_CASE("float8_scaling: the history shifts and the scale follows its finite positive maximum") {
  std::vector<float> h{3.0f, 0.5f, 7.25f};
  float scale = 1.0f;
  kernels::fp8_update_scale(h.data(), 3, 2.0f, 448.0, 4.0, &scale);  // margin 2
  CHECK(h == std::vector<float>{2.0f, 3.0f, 0.5f});
  CHECK(scale == float(448.0 / 3.0 / 4.0));
  kernels::fp8_update_scale(h.data(), 3, std::nanf(""), 448.0, 1.0, &scale);  // NaN: the scale stays
  CHECK(std::isnan(h[0]));
  CHECK(scale == float(448.0 / 3.0 / 4.0));
  std::vector<float> z{0.0f};
  kernels::fp8_update_scale(z.data(), 1, 0.0f, 448.0, 1.0, &scale);  // all zero: stays
  CHECK(scale == float(448.0 / 3.0 / 4.0));
  CHECK(kernels::fp8_nan_max(1.0f, std::nanf("")) != kernels::fp8_nan_max(1.0f, std::nanf("")));
  CHECK(kernels::fp8_nan_max(std::nanf(""), 1.0f) != kernels::fp8_nan_max(std::nanf(""), 1.0f));
}
