// The CTC loss through the C++ API: a case small enough to sum by hand, and a CUDA tensor
// (no CTC kernel on that backend yet) refused by name before anything is read.
#include <doctest/doctest.h>

#include <cmath>

#include "steepest/steepest.hpp"

using namespace steepest;
namespace F = steepest::nn::functional;

TEST_CASE("ctc_loss sums the alignments of a two-frame, one-label target") {
  // T = 2, C = 2, target [1]: the alignments 1 1, 0 1 and 1 0 (blank = 0).
  Tensor lp = Tensor::empty({2, 1, 2}, kFloat64);
  const double p[4] = {std::log(0.3), std::log(0.7), std::log(0.6), std::log(0.4)};
  for (int i = 0; i < 4; ++i) lp.data<double>()[i] = p[i];
  Tensor tg = Tensor::empty({1, 1}, kInt64);
  tg.data<int64_t>()[0] = 1;
  const double want = -std::log(0.7 * 0.4 + 0.3 * 0.4 + 0.7 * 0.6);
  Tensor l = F::ctc_loss(lp, tg, std::vector<int64_t>{2}, std::vector<int64_t>{1}, 0, F::Reduction::Sum);
  CHECK(l.data<double>()[0] == doctest::Approx(want).epsilon(1e-12));
}

TEST_CASE("ctc_loss on a device without its kernel names the op and the device") {
  float mem[2] = {0, 0};
  auto storage = Storage::borrow(mem, sizeof(mem), Device(DeviceType::CUDA, 0), [] {});
  Tensor lp = Tensor::make(storage, Shape{2, 1, 1}, Strides{1, 1, 1}, 0, kFloat32);  // never read
  Tensor tg = Tensor::empty({0}, kInt64);
  CHECK_THROWS_WITH_AS(F::ctc_loss(lp, tg, std::vector<int64_t>{2}, std::vector<int64_t>{0}),
                       doctest::Contains("ctc_loss: not implemented for cuda:0"), NotImplementedError);
}
