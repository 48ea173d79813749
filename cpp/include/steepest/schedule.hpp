// Learning-rate schedules as pure functions of the step: lr = f(base_lr, step, arguments).
// No state, so a C++ training loop (or a resumed run) just asks for the value at any step.
//
// Conventions shared by every function here:
// - `step` counts optimizer steps from 0 (the value for the first update is f(…, 0)); this is
//   torch's `last_epoch` and optax's `count`.
// - The formulas are torch.optim.lr_scheduler's closed forms (docs/optimizers.md §8), evaluated in
//   double in the same order as torch, so the Python schedulers that call them match torch to
//   the bit. Warmup-cosine follows the usual linear-warmup + cosine shape; warmup-stable-decay
//   follows HF transformers' get_wsd_schedule.
// - Bad arguments (negative steps, non-positive periods, factors out of range, NaN) throw
//   steepest::ValueError naming the function and the argument.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace steepest::schedule {

// ConstantLR: base_lr * factor for step < total_iters, then base_lr. factor in [0, 1],
// total_iters >= 0. With the defaults it is a constant schedule.
double constant(double base_lr, int64_t step, double factor = 1.0, int64_t total_iters = 0);

// StepLR: base_lr * gamma^floor(step / step_size). step_size >= 1.
double step_decay(double base_lr, int64_t step, int64_t step_size, double gamma = 0.1);

// MultiStepLR: base_lr * gamma^(number of milestones <= step). Milestones are steps >= 0 in
// any order; a repeated milestone applies gamma once per occurrence (as torch's Counter).
double multistep(double base_lr, int64_t step, const std::vector<int64_t>& milestones, double gamma = 0.1);

// ExponentialLR: base_lr * gamma^step. gamma >= 0.
double exponential(double base_lr, int64_t step, double gamma);

// LinearLR: the factor moves linearly from start_factor (step 0) to end_factor (step
// total_iters) and then stays: base_lr * (s + (e - s) * min(total_iters, step) / total_iters).
// Factors >= 0 (torch's class also wants start_factor > 0 and both <= 1), total_iters >= 1.
double linear(double base_lr, int64_t step, double start_factor = 1.0 / 3, double end_factor = 1.0,
              int64_t total_iters = 5);

// PolynomialLR: base_lr * (1 - min(total_iters, step) / total_iters)^power: reaches 0 at
// total_iters and stays there. total_iters >= 1, power >= 0.
double polynomial(double base_lr, int64_t step, int64_t total_iters = 5, double power = 1.0);

// CosineAnnealingLR: eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2.
// Periodic like torch's: past T_max the rate rises again (period 2 * T_max). T_max >= 1.
double cosine(double base_lr, int64_t step, int64_t T_max, double eta_min = 0.0);

// CosineAnnealingWarmRestarts (SGDR): cosine from base_lr to eta_min over a period of T_0
// steps, restarting at base_lr; each period is T_mult times the previous one. `epoch` may be
// fractional (torch's step(epoch) form), >= 0. T_0 >= 1, T_mult >= 1.
double cosine_warm_restarts(double base_lr, double epoch, int64_t T_0, int64_t T_mult = 1, double eta_min = 0.0);

// CyclicLR (Smith 2017). One cycle is step_size_up steps rising from base_lr to max_lr and
// step_size_down steps falling back (step_size_down < 0 means "same as step_size_up"). The
// amplitude is scaled per mode: triangular 1, triangular2 1/2^(cycle-1), exp_range gamma^step.
enum class CyclicMode { triangular, triangular2, exp_range };
// "triangular" | "triangular2" | "exp_range"; ValueError otherwise.
CyclicMode cyclic_mode(const std::string& name);
double cyclic(double base_lr, double max_lr, int64_t step, double step_size_up = 2000, double step_size_down = -1,
              CyclicMode mode = CyclicMode::triangular, double gamma = 1.0);
// The momentum CyclicLR pairs with it: max_momentum at the cycle's ends, base_momentum at its
// peak (it moves opposite to the rate).
double cyclic_momentum(double base_momentum, double max_momentum, int64_t step, double step_size_up = 2000,
                       double step_size_down = -1, CyclicMode mode = CyclicMode::triangular, double gamma = 1.0);

// OneCycleLR (Smith & Topin 2018). The rate warms from max_lr/div_factor to max_lr over the
// first pct_start of total_steps, then anneals to max_lr/div_factor/final_div_factor at step
// total_steps - 1; with three_phase it first returns to max_lr/div_factor (symmetric) and
// anneals to the minimum in a third phase. step <= total_steps (torch allows one step past
// the end, which extrapolates). pct_start in [0, 1], div factors > 0.
enum class Anneal { cos, linear };
// "cos" | "linear"; ValueError otherwise.
Anneal anneal_strategy(const std::string& name);
double one_cycle(double max_lr, int64_t step, int64_t total_steps, double pct_start = 0.3,
                 Anneal anneal = Anneal::cos, double div_factor = 25.0, double final_div_factor = 1e4,
                 bool three_phase = false);
// The momentum OneCycleLR pairs with it: max_momentum -> base_momentum while the rate rises,
// back to max_momentum while it falls (and held at max_momentum in a third phase).
double one_cycle_momentum(double base_momentum, double max_momentum, int64_t step, int64_t total_steps,
                          double pct_start = 0.3, Anneal anneal = Anneal::cos, bool three_phase = false);

// Linear warmup, then cosine decay: for step < warmup_steps the rate rises linearly from
// warmup_init_lr (at step 0) towards base_lr; from warmup_steps to total_steps it follows
// min_lr + (base_lr - min_lr) * (1 + cos(pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2,
// and after total_steps it stays at min_lr. 0 <= warmup_steps <= total_steps, total_steps >= 1.
double warmup_cosine(double base_lr, int64_t step, int64_t warmup_steps, int64_t total_steps, double min_lr = 0.0,
                     double warmup_init_lr = 0.0);

// Warmup-stable-decay ("trapezoidal", WSD), as HF transformers' get_wsd_schedule with
// base_lr as the peak: a factor f rises over warmup_steps (f = p, (1 - cos(pi p)) / 2 or
// 1 - sqrt(1 - p) for shape linear | cosine | 1-sqrt, p = step / warmup_steps), stays 1 for
// stable_steps, falls over decay_steps (f = 1 - p, (1 + cos(pi p)) / 2 or 1 - sqrt(p)) and
// then stays 0; the rate is base_lr * (f * (1 - min_lr_ratio) + min_lr_ratio).
// Step counts >= 0, min_lr_ratio in [0, 1].
enum class Ramp { linear, cosine, one_minus_sqrt };
// "linear" | "cosine" | "1-sqrt"; ValueError otherwise.
Ramp ramp_shape(const std::string& name);
double warmup_stable_decay(double base_lr, int64_t step, int64_t warmup_steps, int64_t stable_steps,
                           int64_t decay_steps, double min_lr_ratio = 0.0, Ramp warmup = Ramp::linear,
                           Ramp decay = Ramp::cosine);

}  // namespace steepest::schedule
