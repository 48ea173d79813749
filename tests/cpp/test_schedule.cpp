// C++ tests for the learning-rate schedules (steepest/schedule.hpp): torch 2.13's values
// (docs/optimizers.md §8.2), the shapes' defining properties, and errors for bad arguments.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <steepest/error.hpp>
#include <steepest/schedule.hpp>

namespace s = steepest::schedule;

namespace {

const double kPi = std::acos(-1.0);

// Within the 7 digits torch's values are printed with in docs/optimizers.md.
bool close(double a, double b, double tol = 5e-7) { return std::abs(a - b) <= tol; }

}  // namespace

TEST_CASE("schedule: torch 2.13 test vectors (base lr 0.1)") {
  const std::vector<double> step_v = {.1, .1, .1, .01, .01, .01, .001, .001, .001};
  for (size_t t = 0; t < step_v.size(); ++t) CHECK(close(s::step_decay(0.1, int64_t(t), 3, 0.1), step_v[t]));

  const std::vector<double> ms = {.1, .1, .05, .05, .05, .0125, .0125, .0125};
  for (size_t t = 0; t < ms.size(); ++t) CHECK(close(s::multistep(0.1, int64_t(t), {2, 5, 5}, 0.5), ms[t]));

  const std::vector<double> ex = {.1, .09, .081, .0729, .06561};
  for (size_t t = 0; t < ex.size(); ++t) CHECK(close(s::exponential(0.1, int64_t(t), 0.9), ex[t]));

  const std::vector<double> lin = {.0333333, .0466667, .06, .0733333, .0866667, .1, .1, .1};
  for (size_t t = 0; t < lin.size(); ++t) CHECK(close(s::linear(0.1, int64_t(t)), lin[t]));

  for (int64_t t = 0; t < 8; ++t) CHECK(close(s::constant(0.1, t, 1.0 / 3, 5), t < 5 ? .0333333 : .1));

  const std::vector<double> poly = {.1, .05625, .025, .00625, 0, 0, 0};
  for (size_t t = 0; t < poly.size(); ++t) CHECK(close(s::polynomial(0.1, int64_t(t), 4, 2.0), poly[t]));

  const std::vector<double> cosv = {.1, .0868198, .055, .0231802, .01, .0231802, .055, .0868198, .1, .0868198, .055};
  for (size_t t = 0; t < cosv.size(); ++t) CHECK(close(s::cosine(0.1, int64_t(t), 4, 0.01), cosv[t]));

  const std::vector<double> sgdr = {.1, .0775, .0325, .1, .0939711, .0775, .055, .0325, .0160289, .1, .0984667};
  for (size_t t = 0; t < sgdr.size(); ++t) CHECK(close(s::cosine_warm_restarts(0.1, double(t), 3, 2, 0.01), sgdr[t]));

  const std::vector<double> cyc = {.1, .55, 1.0, .55, .1, .55, 1.0};
  for (size_t t = 0; t < cyc.size(); ++t) CHECK(close(s::cyclic(0.1, 1.0, int64_t(t), 2), cyc[t]));
}

TEST_CASE("schedule: one-cycle matches torch's rate and momentum, two and three phases") {
  const std::vector<double> lr = {.04, .52, 1.0, .9504846, .8117457, .6112620, .3887420, .1882583, .0495194, 4e-6};
  const std::vector<double> mom = {.95, .9, .85, .8549516, .8688255, .8888740, .9111260, .9311745, .9450484, .95};
  for (size_t t = 0; t < lr.size(); ++t) {
    CAPTURE(t);
    CHECK(close(s::one_cycle(1.0, int64_t(t), 10), lr[t]));
    CHECK(close(s::one_cycle_momentum(0.85, 0.95, int64_t(t), 10), mom[t]));
  }
  const std::vector<double> three = {.04, .52, 1.0, .52, .04, .0320008, .0240016, .0160024, .0080032, 4e-6};
  for (size_t t = 0; t < three.size(); ++t)
    CHECK(close(s::one_cycle(1.0, int64_t(t), 10, 0.3, s::Anneal::linear, 25, 1e4, true), three[t]));
  // One step past the end is allowed (torch extrapolates); two are not.
  CHECK_NOTHROW(s::one_cycle(1.0, 10, 10));
  CHECK_THROWS_AS(s::one_cycle(1.0, 11, 10), steepest::ValueError);
}

TEST_CASE("schedule: cyclic modes scale the amplitude per cycle or per step") {
  // triangular2 halves the peak each cycle; exp_range multiplies it by gamma^step.
  for (int64_t cycle = 0; cycle < 5; ++cycle) {
    int64_t peak = cycle * 8 + 4;  // up = down = 4
    CHECK(s::cyclic(0.0, 1.0, peak, 4, 4, s::CyclicMode::triangular2) == doctest::Approx(std::pow(0.5, double(cycle))));
    CHECK(s::cyclic(0.0, 1.0, peak, 4, 4, s::CyclicMode::exp_range, 0.99) ==
          doctest::Approx(std::pow(0.99, double(peak))));
    CHECK(s::cyclic(0.2, 1.0, cycle * 8, 4, 4, s::CyclicMode::triangular) == doctest::Approx(0.2));
  }
  // Asymmetric cycle: 1 step up, 3 down.
  CHECK(s::cyclic(0.0, 1.0, 1, 1, 3) == doctest::Approx(1.0));
  CHECK(s::cyclic(0.0, 1.0, 2, 1, 3) == doctest::Approx(2.0 / 3));
  CHECK(s::cyclic_momentum(0.8, 0.9, 1, 1, 3) == doctest::Approx(0.8));
  CHECK(s::cyclic_momentum(0.8, 0.9, 0, 1, 3) == doctest::Approx(0.9));
}

TEST_CASE("schedule: warm restarts with T_mult walk exact period boundaries") {
  // Periods 1, 2, 4, 8, ...: every power-of-two-minus-one step is a restart (lr == base).
  for (int64_t k = 0; k < 40; ++k) {
    double restart = std::pow(2.0, double(k)) - 1;
    CHECK(s::cosine_warm_restarts(1.0, restart, 1, 2) == 1.0);
  }
  // Fractional epochs: half way through the first period of 4.
  CHECK(s::cosine_warm_restarts(1.0, 2.0, 4) == doctest::Approx(0.5));
  CHECK(s::cosine_warm_restarts(1.0, 6.0, 4) == doctest::Approx(0.5));
  CHECK(s::cosine_warm_restarts(1.0, 1.5, 3, 1, 0.0) == doctest::Approx(0.5));
}

TEST_CASE("schedule: warmup-cosine rises linearly, then follows the half cosine to min_lr") {
  const int64_t W = 10, T = 110;
  for (int64_t t = 0; t < 130; ++t) {
    double expect;
    if (t < W) expect = 0.01 + (1.0 - 0.01) * double(t) / W;
    else if (t >= T) expect = 0.05;
    else expect = 0.05 + 0.95 * 0.5 * (1 + std::cos(kPi * double(t - W) / double(T - W)));
    CAPTURE(t);
    CHECK(s::warmup_cosine(1.0, t, W, T, 0.05, 0.01) == doctest::Approx(expect).epsilon(1e-12));
  }
  CHECK(s::warmup_cosine(1.0, W, W, T) == 1.0);  // the peak right after warmup
  CHECK(s::warmup_cosine(2.0, 0, 0, 5) == 2.0);  // no warmup
}

TEST_CASE("schedule: warmup-stable-decay phases and shapes") {
  const int64_t W = 4, S = 6, D = 8;
  for (int64_t t = 0; t < 25; ++t) {
    double f;
    if (t < W) f = double(t) / W;
    else if (t < W + S) f = 1;
    else if (t < W + S + D) f = 0.5 * (1 + std::cos(kPi * double(t - W - S) / D));
    else f = 0;
    double expect = t >= W + S + D ? 0.1 * 2.0 : 2.0 * (f * 0.9 + 0.1);
    CAPTURE(t);
    CHECK(s::warmup_stable_decay(2.0, t, W, S, D, 0.1) == doctest::Approx(expect).epsilon(1e-12));
  }
  // 1-sqrt decay ends at min ratio; cosine warmup is half way at half the warmup.
  CHECK(s::warmup_stable_decay(1.0, 2, 4, 0, 4, 0.0, s::Ramp::cosine, s::Ramp::one_minus_sqrt) ==
        doctest::Approx(0.5));
  CHECK(s::warmup_stable_decay(1.0, 7, 4, 0, 4, 0.0, s::Ramp::linear, s::Ramp::one_minus_sqrt) ==
        doctest::Approx(1 - std::sqrt(0.75)));
  CHECK(s::ramp_shape("1-sqrt") == s::Ramp::one_minus_sqrt);
}

TEST_CASE("schedule: polynomial and linear reach their end and stay") {
  for (int64_t t = 5; t < 50; ++t) {
    CHECK(s::polynomial(0.3, t, 5, 0.5) == 0.0);
    CHECK(s::linear(0.3, t, 0.1, 0.7, 5) == doctest::Approx(0.21));
  }
  CHECK(s::constant(0.3, 100) == 0.3);
}

TEST_CASE("schedule: bad arguments raise ValueError naming the argument") {
  using steepest::ValueError;
  auto message = [](auto f) {
    try {
      f();
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message([] { s::cosine(0.1, 0, 0); }).find("T_max") != std::string::npos);
  CHECK(message([] { s::cosine(0.1, -1, 5); }).find("step must be >= 0") != std::string::npos);
  CHECK(message([] { s::step_decay(0.1, 3, 0); }).find("step_size") != std::string::npos);
  CHECK(message([] { s::constant(0.1, 3, 1.5, 2); }).find("factor") != std::string::npos);
  CHECK(message([] { s::multistep(0.1, 3, {2, -1}); }).find("milestones") != std::string::npos);
  CHECK(message([] { s::polynomial(0.1, 3, 0); }).find("total_iters") != std::string::npos);
  CHECK(message([] { s::exponential(NAN, 3, 0.9); }).find("base_lr") != std::string::npos);
  CHECK(message([] { s::cosine_warm_restarts(0.1, 3, 2, 0); }).find("T_mult") != std::string::npos);
  CHECK(message([] { s::cyclic(0.1, 1, 3, 0); }).find("step_size_up") != std::string::npos);
  CHECK(message([] { s::cyclic_mode("zigzag"); }).find("zigzag") != std::string::npos);
  CHECK(message([] { s::anneal_strategy("cosine"); }).find("anneal_strategy") != std::string::npos);
  CHECK(message([] { s::one_cycle(1, 0, 10, 1.5); }).find("pct_start") != std::string::npos);
  CHECK(message([] { s::one_cycle(1, 0, 1, 1.0); }).find("no steps") != std::string::npos);
  CHECK(message([] { s::warmup_cosine(1, 0, 10, 5); }).find("warmup_steps") != std::string::npos);
  CHECK(message([] { s::warmup_stable_decay(1, 0, 1, 1, 1, 2.0); }).find("min_lr_ratio") != std::string::npos);
  CHECK(message([] { s::ramp_shape("sqrt"); }).find("sqrt") != std::string::npos);
}
