// The CTC loss through the C++ API: a case small enough to sum by hand, the CUDA kernels'
// slots (filled in the CUDA build; a CUDA tensor refused by name before anything is read in
// the CPU build), random arguments valid and not (each call returns or raises a steepest
// error), and the threaded path.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "dispatch/ctc.hpp"
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

#ifdef STEEPEST_WITH_CUDA
TEST_CASE("cuda build: both ctc_loss stubs have a CUDA kernel") {
  CHECK(dispatch::ctc_loss_stub().has(DeviceType::CUDA));
  CHECK(dispatch::ctc_loss_backward_stub().has(DeviceType::CUDA));
}
#else
TEST_CASE("ctc_loss on a CUDA tensor in the CPU build names the op and the device") {
  float mem[2] = {0, 0};
  auto storage = Storage::borrow(mem, sizeof(mem), Device(DeviceType::CUDA, 0), [] {});
  Tensor lp = Tensor::make(storage, Shape{2, 1, 1}, Strides{1, 1, 1}, 0, kFloat32);  // never read
  Tensor tg = Tensor::empty({0}, kInt64);
  CHECK_THROWS_WITH_AS(F::ctc_loss(lp, tg, std::vector<int64_t>{2}, std::vector<int64_t>{0}),
                       doctest::Contains("ctc_loss: not implemented for cuda:0"), NotImplementedError);
}
#endif

TEST_CASE("ctc_loss on random shapes, lengths and labels returns or raises a named error") {
  // Mostly valid arguments with a few wrong ones mixed in (a length out of range, a label out
  // of range or the blank, a wrong batch or target size, a bad blank); under tools/sanitize.sh
  // this walks the checks and both recursions over every edge.
  std::mt19937_64 r(123);
  auto U = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(r); };
  auto rarely = [&] { return U(0, 6) == 0; };
  int ok = 0, err = 0;
  for (int it = 0; it < 4000; ++it) {
    const int64_t T = U(0, 9), N = U(0, 4), C = U(0, 5);
    const DType dt = U(0, 1) ? kFloat64 : kFloat32;
    const bool batched = U(0, 4) > 0;
    Tensor lp = Tensor::empty(batched ? Shape{T, N, C} : Shape{T, C}, dt);
    for (int64_t i = 0; i < lp.numel(); ++i) {
      const double v = -double(U(0, 1000)) / 200.0;
      if (dt == kFloat64) lp.data<double>()[i] = v;
      else lp.data<float>()[i] = float(v);
    }
    const int64_t NB = batched ? N : 1;
    std::vector<int64_t> il, tl;
    for (int64_t b = 0, n = NB + (rarely() ? U(-1, 1) : 0); b < n; ++b) {
      il.push_back(rarely() ? U(-1, T + 1) : U(0, T));
      tl.push_back(rarely() ? U(-2, 12) : U(0, 5));
    }
    int64_t total = 0, longest = 0;
    for (int64_t v : tl) {
      total += std::max<int64_t>(v, 0);
      longest = std::max(longest, v);
    }
    const int64_t off = rarely() ? U(-1, 1) : 0;
    const Shape concatenated{std::max<int64_t>(total + off, 0)};
    const Shape padded{std::max<int64_t>(NB + off, 0), std::max<int64_t>(longest + U(-1, 2), 0)};
    Tensor tg = Tensor::empty(U(0, 1) ? concatenated : padded, kInt64);
    for (int64_t i = 0; i < tg.numel(); ++i)
      tg.data<int64_t>()[i] = rarely() ? U(-3, C + 2) : U(1, std::max<int64_t>(C - 1, 1));
    const int64_t blank = rarely() ? U(-1, C + 1) : 0;
    lp.set_requires_grad(true);
    try {
      sum(F::ctc_loss(lp, tg, il, tl, blank, F::Reduction(U(0, 2)), U(0, 1))).backward();
      ++ok;
    } catch (const Error&) {
      ++err;
    }
  }
  CHECK(ok > 300);
  CHECK(err > 300);
}

TEST_CASE("ctc_loss splits sequences of uneven lengths over threads") {
  // Enough work to wake the threads; under the sanitizers this checks their memory.
  std::mt19937_64 r(7);
  const int64_t T = 150, N = 6, C = 20, S = 40;
  Tensor lp = Tensor::empty({T, N, C}, kFloat32);
  for (int64_t i = 0; i < lp.numel(); ++i) lp.data<float>()[i] = -float(r() % 1000) / 300.0f;
  Tensor tg = Tensor::empty({N, S}, kInt64);
  for (int64_t i = 0; i < tg.numel(); ++i) tg.data<int64_t>()[i] = 1 + int64_t(r() % (C - 1));
  lp.set_requires_grad(true);
  Tensor l = F::ctc_loss(lp, tg, std::vector<int64_t>{150, 140, 100, 150, 60, 10},
                         std::vector<int64_t>{40, 35, 40, 0, 30, 20});
  l.backward();
  CHECK(lp.grad().defined());
}
