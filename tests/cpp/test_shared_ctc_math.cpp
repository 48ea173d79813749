// kernels/ctc_math.hpp, which the CPU and CUDA CTC kernels share, checked on the host against
// independent answers: hand-worked extended labels and skips, log-sum-exp in long double, and
// the alpha and beta recursions built from it against a sum over every alignment.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/ctc_math.hpp"

using namespace steepest;
using kernels::ctc_alpha_in;
using kernels::ctc_beta_in;
using kernels::ctc_can_skip_into;
using kernels::ctc_label;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// log(sum of e^x) in long double, summed plainly: the reference for the shared log-adds.
double log_sum(std::initializer_list<double> xs) {
  long double s = 0;
  for (double x : xs) s += std::exp(static_cast<long double>(x));
  return double(std::log(s));
}

// -log p(target | lp) by enumerating all C^T paths: collapse repeats, drop blanks, compare.
double brute_nll(const std::vector<double>& lp, int64_t T, int64_t C, const std::vector<int64_t>& tg, int64_t blank) {
  long double total = 0;
  std::vector<int64_t> path(size_t(T), 0);
  for (;;) {
    std::vector<int64_t> out;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t c = path[size_t(t)];
      if (c != blank && (t == 0 || path[size_t(t) - 1] != c)) out.push_back(c);
    }
    if (out == tg) {
      long double lsum = 0;
      for (int64_t t = 0; t < T; ++t) lsum += lp[size_t(t * C + path[size_t(t)])];
      total += std::exp(lsum);
    }
    int64_t i = 0;
    while (i < T && ++path[size_t(i)] == C) path[size_t(i++)] = 0;
    if (i == T) break;
  }
  return -double(std::log(total));
}

}  // namespace

TEST_CASE("ctc_math: the extended labels and the skip rule") {
  const std::vector<int64_t> tg{1, 1, 2};  // states: _ 1 _ 1 _ 2 _
  const int64_t want[7] = {0, 1, 0, 1, 0, 2, 0};
  for (int64_t s = 0; s < 7; ++s) CHECK(ctc_label(tg.data(), s, 0) == want[s]);
  // Onto a blank never (its predecessor two back is a blank too); onto the second 1 not
  // (the blank between the copies is needed); onto the 2 yes; states 0 and 1 have none.
  const bool skip[7] = {false, false, false, false, false, true, false};
  for (int64_t s = 0; s < 7; ++s) {
    INFO(s);
    CHECK(ctc_can_skip_into(tg.data(), s, 0) == skip[s]);
  }
  const std::vector<int64_t> other{0, 2};  // with blank = 3: states 3 0 3 2 3
  CHECK(ctc_label(other.data(), 0, 3) == 3);
  CHECK(ctc_label(other.data(), 3, 3) == 2);
  CHECK(ctc_can_skip_into(other.data(), 3, 3));
}

TEST_CASE("ctc_math: log-space sums against long double") {
  using kernels::ctc_log_accumulate;
  using kernels::ctc_log_add3;
  CHECK(ctc_log_add3(-1.0, -2.0, -3.0) == doctest::Approx(log_sum({-1, -2, -3})).epsilon(1e-15));
  CHECK(ctc_log_add3(-700.0, -701.0, -kInf) == doctest::Approx(log_sum({-700, -701})).epsilon(1e-15));
  CHECK(ctc_log_add3(-kInf, -kInf, -kInf) == -kInf);  // not NaN
  CHECK(ctc_log_add3(-kInf, 0.5, -kInf) == 0.5);
  CHECK(ctc_log_add3(-1.0f, -1.0f, -std::numeric_limits<float>::infinity()) == doctest::Approx(log_sum({-1, -1})).epsilon(1e-6));
  double acc = -kInf;
  ctc_log_accumulate(acc, -kInf);
  CHECK(acc == -kInf);
  ctc_log_accumulate(acc, -2.0);
  CHECK(acc == -2.0);
  ctc_log_accumulate(acc, -0.5);
  CHECK(acc == doctest::Approx(log_sum({-2, -0.5})).epsilon(1e-15));
  // The gradient's formula: p - e^(lab + nll - lp), times g; no path through (t, c) leaves p g.
  CHECK(kernels::ctc_grad(std::log(0.25), -kInf, 1.0, 2.0) == doctest::Approx(0.5));
  CHECK(kernels::ctc_grad(std::log(0.25), std::log(0.1), -std::log(0.2), 1.0) ==
        doctest::Approx(0.25 - 0.1 / 0.2 / 0.25));
}

TEST_CASE("ctc_math: the alpha and beta recursions sum every alignment") {
  std::mt19937_64 r(7);
  std::normal_distribution<double> nd(0.0, 1.5);
  const std::vector<std::vector<int64_t>> targets{{}, {1}, {1, 1}, {1, 2}, {2, 1, 2}, {1, 1, 1}};
  for (int64_t T = 1; T <= 6; ++T) {
    for (const auto& tg : targets) {
      const int64_t C = 3, K = int64_t(tg.size()), S = 2 * K + 1;
      std::vector<double> lp(size_t(T * C));
      for (int64_t t = 0; t < T; ++t) {  // log_softmax of random logits
        double z = 0;
        for (int64_t c = 0; c < C; ++c) z += std::exp(lp[size_t(t * C + c)] = nd(r));
        for (int64_t c = 0; c < C; ++c) lp[size_t(t * C + c)] -= std::log(z);
      }
      const double want = brute_nll(lp, T, C, tg, 0);
      // alpha over t, as the kernels step it, from the first blank or label.
      std::vector<double> prev(size_t(S), -kInf), cur(prev.size());
      prev[0] = lp[0];
      if (K > 0) prev[1] = lp[size_t(tg[0])];
      for (int64_t t = 1; t < T; ++t) {
        for (int64_t s = 0; s < S; ++s)
          cur[size_t(s)] = ctc_alpha_in(prev.data(), s, tg.data(), 0) + lp[size_t(t * C + ctc_label(tg.data(), s, 0))];
        prev.swap(cur);
      }
      const double a_end = K == 0 ? prev[0] : kernels::ctc_log_add3(prev[size_t(S - 1)], prev[size_t(S - 2)], -kInf);
      // beta back to t = 0, ending on the last label or the trailing blank.
      std::vector<double> next(size_t(S), -kInf);
      next[size_t(S - 1)] = lp[size_t((T - 1) * C)];
      if (K > 0) next[size_t(S - 2)] = lp[size_t((T - 1) * C + tg[size_t(K - 1)])];
      for (int64_t t = T - 2; t >= 0; --t) {
        for (int64_t s = 0; s < S; ++s)
          cur[size_t(s)] = ctc_beta_in(next.data(), s, S, tg.data(), 0) + lp[size_t(t * C + ctc_label(tg.data(), s, 0))];
        next.swap(cur);
      }
      const double b_start = K == 0 ? next[0] : kernels::ctc_log_add3(next[0], next[1], -kInf);
      INFO("T=" << T << " K=" << K);
      if (std::isinf(want)) {  // no alignment fits in T frames
        CHECK(a_end == -kInf);
        CHECK(b_start == -kInf);
      } else {
        CHECK(-a_end == doctest::Approx(want).epsilon(1e-12));
        CHECK(-b_start == doctest::Approx(want).epsilon(1e-12));
      }
    }
  }
}
