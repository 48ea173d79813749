// Warmup schedules for transformer-style training: linear warmup + cosine decay, and
// warmup-stable-decay (WSD, as HF transformers' get_wsd_schedule).
#include <algorithm>
#include <cmath>

#include "schedule/checks.hpp"
#include "steepest/schedule.hpp"

namespace steepest::schedule {

using namespace detail;

namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

// The rising shape for progress p in [0, 1] (0 -> 1).
double rise(Ramp shape, double p) {
  switch (shape) {
    case Ramp::linear: return p;
    case Ramp::cosine: return 0.5 * (1.0 - std::cos(kPi * p));
    case Ramp::one_minus_sqrt: return 1.0 - std::sqrt(1.0 - p);
  }
  return p;
}

// The falling shape for progress p in [0, 1] (1 -> 0).
double fall(Ramp shape, double p) {
  switch (shape) {
    case Ramp::linear: return 1.0 - p;
    case Ramp::cosine: return 0.5 * (1.0 + std::cos(kPi * p));
    case Ramp::one_minus_sqrt: return 1.0 - std::sqrt(p);
  }
  return 1.0 - p;
}

}  // namespace

Ramp ramp_shape(const std::string& name) {
  if (name == "linear") return Ramp::linear;
  if (name == "cosine") return Ramp::cosine;
  if (name == "1-sqrt") return Ramp::one_minus_sqrt;
  throw ValueError(str("warmup_stable_decay: shape must be 'linear', 'cosine' or '1-sqrt', got '", name, "'"));
}

double warmup_cosine(double base_lr, int64_t step, int64_t warmup_steps, int64_t total_steps, double min_lr,
                     double warmup_init_lr) {
  const char* fn = "warmup_cosine";
  check_finite(fn, "base_lr", base_lr);
  check_step(fn, step);
  check_at_least(fn, "warmup_steps", warmup_steps, 0);
  check_at_least(fn, "total_steps", total_steps, 1);
  STEEPEST_CHECK(warmup_steps <= total_steps, ValueError, fn, ": warmup_steps (", warmup_steps,
                 ") must be <= total_steps (", total_steps, ")");
  check_finite(fn, "min_lr", min_lr);
  check_finite(fn, "warmup_init_lr", warmup_init_lr);
  if (step < warmup_steps)
    return warmup_init_lr + (base_lr - warmup_init_lr) * double(step) / double(warmup_steps);
  if (step >= total_steps) return min_lr;
  double p = double(step - warmup_steps) / double(total_steps - warmup_steps);
  return min_lr + (base_lr - min_lr) * (1 + std::cos(kPi * p)) / 2;
}

double warmup_stable_decay(double base_lr, int64_t step, int64_t warmup_steps, int64_t stable_steps,
                           int64_t decay_steps, double min_lr_ratio, Ramp warmup, Ramp decay) {
  const char* fn = "warmup_stable_decay";
  check_finite(fn, "base_lr", base_lr);
  check_step(fn, step);
  check_at_least(fn, "warmup_steps", warmup_steps, 0);
  check_at_least(fn, "stable_steps", stable_steps, 0);
  check_at_least(fn, "decay_steps", decay_steps, 0);
  check_unit(fn, "min_lr_ratio", min_lr_ratio);
  double f;
  if (step < warmup_steps) {
    f = rise(warmup, double(step) / double(std::max<int64_t>(1, warmup_steps)));
  } else if (step < warmup_steps + stable_steps) {
    f = 1.0;
  } else if (step < warmup_steps + stable_steps + decay_steps) {
    double p = double(step - warmup_steps - stable_steps) / double(std::max<int64_t>(1, decay_steps));
    f = fall(decay, p);
  } else {
    return base_lr * min_lr_ratio;
  }
  return base_lr * std::max(0.0, f * (1.0 - min_lr_ratio) + min_lr_ratio);
}

}  // namespace steepest::schedule
