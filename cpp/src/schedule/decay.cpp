// The decaying schedules of torch.optim.lr_scheduler in closed form: constant, step,
// multistep, exponential, linear, polynomial, cosine annealing and SGDR warm restarts.
#include <cmath>

#include "schedule/checks.hpp"
#include "steepest/schedule.hpp"

namespace steepest::schedule {

using namespace detail;

namespace {
constexpr double kPi = 3.141592653589793238462643383279502884;  // rounds to Python's math.pi
}

double constant(double base_lr, int64_t step, double factor, int64_t total_iters) {
  check_finite("constant", "base_lr", base_lr);
  check_step("constant", step);
  check_unit("constant", "factor", factor);
  check_at_least("constant", "total_iters", total_iters, 0);
  return base_lr * (step < total_iters ? factor : 1.0);
}

double step_decay(double base_lr, int64_t step, int64_t step_size, double gamma) {
  check_finite("step", "base_lr", base_lr);
  check_step("step", step);
  check_at_least("step", "step_size", step_size, 1);
  check_nonnegative("step", "gamma", gamma);
  return base_lr * std::pow(gamma, double(step / step_size));
}

double multistep(double base_lr, int64_t step, const std::vector<int64_t>& milestones, double gamma) {
  check_finite("multistep", "base_lr", base_lr);
  check_step("multistep", step);
  check_nonnegative("multistep", "gamma", gamma);
  int64_t passed = 0;
  for (int64_t m : milestones) {
    STEEPEST_CHECK(m >= 0, ValueError, "multistep: milestones must be steps >= 0, got ", m);
    passed += (m <= step);
  }
  return base_lr * std::pow(gamma, double(passed));
}

double exponential(double base_lr, int64_t step, double gamma) {
  check_finite("exponential", "base_lr", base_lr);
  check_step("exponential", step);
  check_nonnegative("exponential", "gamma", gamma);
  return base_lr * std::pow(gamma, double(step));
}

double linear(double base_lr, int64_t step, double start_factor, double end_factor, int64_t total_iters) {
  check_finite("linear", "base_lr", base_lr);
  check_step("linear", step);
  check_nonnegative("linear", "start_factor", start_factor);
  check_nonnegative("linear", "end_factor", end_factor);
  check_at_least("linear", "total_iters", total_iters, 1);
  int64_t t = step < total_iters ? step : total_iters;
  // torch: s + (e - s) * min(T, t) / T, left to right.
  return base_lr * (start_factor + (end_factor - start_factor) * double(t) / double(total_iters));
}

double polynomial(double base_lr, int64_t step, int64_t total_iters, double power) {
  check_finite("polynomial", "base_lr", base_lr);
  check_step("polynomial", step);
  check_at_least("polynomial", "total_iters", total_iters, 1);
  check_nonnegative("polynomial", "power", power);
  int64_t t = step < total_iters ? step : total_iters;
  return base_lr * std::pow(1.0 - double(t) / double(total_iters), power);
}

double cosine(double base_lr, int64_t step, int64_t T_max, double eta_min) {
  check_finite("cosine", "base_lr", base_lr);
  check_step("cosine", step);
  check_at_least("cosine", "T_max", T_max, 1);
  check_finite("cosine", "eta_min", eta_min);
  return eta_min + (base_lr - eta_min) * (1 + std::cos(kPi * double(step) / double(T_max))) / 2;
}

double cosine_warm_restarts(double base_lr, double epoch, int64_t T_0, int64_t T_mult, double eta_min) {
  check_finite("cosine_warm_restarts", "base_lr", base_lr);
  STEEPEST_CHECK(std::isfinite(epoch) && epoch >= 0, ValueError,
                 "cosine_warm_restarts: epoch must be a finite number >= 0, got ", epoch);
  check_at_least("cosine_warm_restarts", "T_0", T_0, 1);
  check_at_least("cosine_warm_restarts", "T_mult", T_mult, 1);
  check_finite("cosine_warm_restarts", "eta_min", eta_min);
  // Find the period holding `epoch` by walking period ends: exact in integers, where a
  // logarithm can land a hair below a restart. Periods grow geometrically when T_mult > 1,
  // so the walk is short; with T_mult == 1 the period is a remainder.
  double t_cur, t_i = double(T_0);
  if (T_mult == 1) {
    t_cur = std::fmod(epoch, t_i);
  } else {
    double start = 0;
    while (epoch >= start + t_i) {
      start += t_i;
      t_i *= double(T_mult);
    }
    t_cur = epoch - start;
  }
  return eta_min + (base_lr - eta_min) * (1 + std::cos(kPi * t_cur / t_i)) / 2;
}

}  // namespace steepest::schedule
