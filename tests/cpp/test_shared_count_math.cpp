// kernels/count_math.hpp, which the CPU and CUDA histc and searchsorted kernels share, checked
// on the host against independent answers: hand-worked bins and std::lower_bound/upper_bound.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/count_math.hpp"

using namespace steepest;

TEST_CASE("count_math: histc's bin and the binary search") {
  // Independent formula: floor((v - lo) / (hi - lo) * bins), hi itself in the last bin.
  CHECK(kernels::histc_bin(-1.0, -1.0, 1.0, 4) == 0);
  CHECK(kernels::histc_bin(1.0, -1.0, 1.0, 4) == 3);
  CHECK(kernels::histc_bin(-0.5, -1.0, 1.0, 4) == 1);
  CHECK(kernels::histc_bin(0.49, -1.0, 1.0, 4) == 2);
  CHECK(kernels::histc_bin(1.0000001, -1.0, 1.0, 4) == -1);
  CHECK(kernels::histc_bin(-2.0, -1.0, 1.0, 4) == -1);
  CHECK(kernels::histc_bin(std::nan(""), -1.0, 1.0, 4) == -1);
  const std::vector<double> s{-3, -1, -1, 0, 2, 2, 2, 5};
  for (double v : {-4.0, -3.0, -1.0, -0.5, 0.0, 2.0, 3.0, 5.0, 6.0}) {
    INFO(v);
    const auto m = int64_t(s.size());
    CHECK(kernels::search_row(s.data(), nullptr, m, v, false) == std::lower_bound(s.begin(), s.end(), v) - s.begin());
    CHECK(kernels::search_row(s.data(), nullptr, m, v, true) == std::upper_bound(s.begin(), s.end(), v) - s.begin());
  }
  const std::vector<double> shuffled{2, -1, 5, -3, 0, 2, -1, 2};
  const std::vector<int64_t> perm{3, 1, 6, 4, 0, 5, 7, 2};  // shuffled read through perm is s
  CHECK(kernels::search_row(shuffled.data(), perm.data(), 8, 2.0, false) == 4);
  CHECK(kernels::search_row(shuffled.data(), perm.data(), 8, 2.0, true) == 7);
}
