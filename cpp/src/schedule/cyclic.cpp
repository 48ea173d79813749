// The cyclical schedules: CyclicLR (triangular, triangular2, exp_range) and OneCycleLR, each
// with the momentum that moves opposite to the rate. Arithmetic follows torch's order.
#include <cmath>

#include "schedule/checks.hpp"
#include "steepest/schedule.hpp"

namespace steepest::schedule {

using namespace detail;

namespace {

constexpr double kPi = 3.141592653589793238462643383279502884;

// Where `step` sits in its cycle, times the mode's amplitude factor: 0 at the cycle's ends,
// the factor at its peak. Shared by the rate (base + (max - base) * a) and the momentum.
struct CyclicPosition {
  double scale;   // 0 -> 1 -> 0 over one cycle
  double factor;  // the mode's amplitude scaling
};

CyclicPosition cyclic_position(const char* fn, int64_t step, double up, double down, CyclicMode mode, double gamma) {
  check_step(fn, step);
  if (down < 0) down = up;
  STEEPEST_CHECK(std::isfinite(up) && up > 0, ValueError, fn, ": step_size_up must be > 0, got ", up);
  STEEPEST_CHECK(std::isfinite(down) && down > 0, ValueError, fn, ": step_size_down must be > 0, got ", down);
  check_finite(fn, "gamma", gamma);
  double total = up + down;
  double ratio = up / total;
  double cycle = std::floor(1 + double(step) / total);
  double x = 1.0 + double(step) / total - cycle;
  CyclicPosition p;
  p.scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
  switch (mode) {
    case CyclicMode::triangular: p.factor = 1.0; break;
    case CyclicMode::triangular2: p.factor = 1 / std::pow(2.0, cycle - 1); break;
    case CyclicMode::exp_range: p.factor = std::pow(gamma, double(step)); break;
  }
  return p;
}

struct Phase {
  double end_step;
  int start, end;  // which of the three levels the phase moves between (0 low, 1 high, 2 final)
};

// torch's phase table: end steps are floats, the last phase ends at total_steps - 1.
int phases(Phase* out, int64_t total, double pct_start, bool three_phase) {
  if (three_phase) {
    out[0] = {pct_start * double(total) - 1, 0, 1};
    out[1] = {2 * pct_start * double(total) - 2, 1, 0};
    out[2] = {double(total - 1), 0, 2};
    return 3;
  }
  out[0] = {pct_start * double(total) - 1, 0, 1};
  out[1] = {double(total - 1), 1, 2};
  return 2;
}

double anneal(Anneal how, double start, double end, double pct) {
  if (how == Anneal::cos) return end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1);
  return (end - start) * pct + start;
}

// Interpolates between levels[phase.start] and levels[phase.end] in the phase holding `step`.
double one_cycle_value(const char* fn, const double levels[3], int64_t step, int64_t total, double pct_start,
                       Anneal how, bool three_phase) {
  check_step(fn, step);
  check_at_least(fn, "total_steps", total, 1);
  check_unit(fn, "pct_start", pct_start);
  STEEPEST_CHECK(step <= total, ValueError, fn, ": step ", step, " is past total_steps ", total);
  Phase ph[3];
  int n = phases(ph, total, pct_start, three_phase);
  double start_step = 0;
  for (int i = 0; i < n; ++i) {
    if (double(step) <= ph[i].end_step || i == n - 1) {
      STEEPEST_CHECK(ph[i].end_step != start_step, ValueError, fn, ": phase ", i + 1,
                     " has no steps (total_steps ", total, ", pct_start ", pct_start, ")");
      double pct = (double(step) - start_step) / (ph[i].end_step - start_step);
      return anneal(how, levels[ph[i].start], levels[ph[i].end], pct);
    }
    start_step = ph[i].end_step;
  }
  return levels[2];  // unreachable: the last phase always matches
}

}  // namespace

CyclicMode cyclic_mode(const std::string& name) {
  if (name == "triangular") return CyclicMode::triangular;
  if (name == "triangular2") return CyclicMode::triangular2;
  if (name == "exp_range") return CyclicMode::exp_range;
  throw ValueError(str("cyclic: mode must be 'triangular', 'triangular2' or 'exp_range', got '", name, "'"));
}

Anneal anneal_strategy(const std::string& name) {
  if (name == "cos") return Anneal::cos;
  if (name == "linear") return Anneal::linear;
  throw ValueError(str("one_cycle: anneal_strategy must be 'cos' or 'linear', got '", name, "'"));
}

double cyclic(double base_lr, double max_lr, int64_t step, double step_size_up, double step_size_down, CyclicMode mode,
              double gamma) {
  check_finite("cyclic", "base_lr", base_lr);
  check_finite("cyclic", "max_lr", max_lr);
  CyclicPosition p = cyclic_position("cyclic", step, step_size_up, step_size_down, mode, gamma);
  double height = (max_lr - base_lr) * p.scale;
  return base_lr + height * p.factor;
}

double cyclic_momentum(double base_momentum, double max_momentum, int64_t step, double step_size_up,
                       double step_size_down, CyclicMode mode, double gamma) {
  check_finite("cyclic_momentum", "base_momentum", base_momentum);
  check_finite("cyclic_momentum", "max_momentum", max_momentum);
  CyclicPosition p = cyclic_position("cyclic_momentum", step, step_size_up, step_size_down, mode, gamma);
  double height = (max_momentum - base_momentum) * p.scale;
  return max_momentum - height * p.factor;
}

double one_cycle(double max_lr, int64_t step, int64_t total_steps, double pct_start, Anneal how, double div_factor,
                 double final_div_factor, bool three_phase) {
  check_finite("one_cycle", "max_lr", max_lr);
  STEEPEST_CHECK(std::isfinite(div_factor) && div_factor > 0, ValueError,
                 "one_cycle: div_factor must be > 0, got ", div_factor);
  STEEPEST_CHECK(std::isfinite(final_div_factor) && final_div_factor > 0, ValueError,
                 "one_cycle: final_div_factor must be > 0, got ", final_div_factor);
  double initial = max_lr / div_factor;
  const double levels[3] = {initial, max_lr, initial / final_div_factor};
  return one_cycle_value("one_cycle", levels, step, total_steps, pct_start, how, three_phase);
}

double one_cycle_momentum(double base_momentum, double max_momentum, int64_t step, int64_t total_steps,
                          double pct_start, Anneal how, bool three_phase) {
  check_finite("one_cycle_momentum", "base_momentum", base_momentum);
  check_finite("one_cycle_momentum", "max_momentum", max_momentum);
  // The momentum's levels mirror the rate's: high while the rate is low, and it ends high.
  const double levels[3] = {max_momentum, base_momentum, max_momentum};
  return one_cycle_value("one_cycle_momentum", levels, step, total_steps, pct_start, how, three_phase);
}

}  // namespace steepest::schedule
