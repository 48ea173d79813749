// Bindings for the learning-rate schedules (steepest/schedule.hpp) as the submodule
// _core.schedule: pure functions of the step that steepest.optim.lr_scheduler builds its
// classes on (and re-exports as steepest.optim.lr_scheduler.schedule).
#include "bind.hpp"
#include "steepest/schedule.hpp"

namespace steepest::bindings {

void bind_schedule(py::module_& core) {
  namespace s = steepest::schedule;
  using py::arg;
  py::module_ m = core.def_submodule("schedule", "Learning-rate schedules as pure functions of the step.");
  m.def("constant", &s::constant, arg("base_lr"), arg("step"), arg("factor") = 1.0,
        arg("total_iters") = 0, "ConstantLR: base_lr * factor for step < total_iters, then base_lr.");
  m.def("step", &s::step_decay, arg("base_lr"), arg("step"), arg("step_size"), arg("gamma") = 0.1,
        "StepLR: base_lr * gamma ** (step // step_size).");
  m.def("multistep", &s::multistep, arg("base_lr"), arg("step"), arg("milestones"), arg("gamma") = 0.1,
        "MultiStepLR: base_lr * gamma ** (number of milestones <= step).");
  m.def("exponential", &s::exponential, arg("base_lr"), arg("step"), arg("gamma"),
        "ExponentialLR: base_lr * gamma ** step.");
  m.def("linear", &s::linear, arg("base_lr"), arg("step"), arg("start_factor") = 1.0 / 3,
        arg("end_factor") = 1.0, arg("total_iters") = 5,
        "LinearLR: the factor moves linearly from start_factor to end_factor over total_iters steps.");
  m.def("polynomial", &s::polynomial, arg("base_lr"), arg("step"), arg("total_iters") = 5,
        arg("power") = 1.0, "PolynomialLR: base_lr * (1 - min(step, total_iters) / total_iters) ** power.");
  m.def("cosine", &s::cosine, arg("base_lr"), arg("step"), arg("T_max"), arg("eta_min") = 0.0,
        "CosineAnnealingLR: eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2 (periodic).");
  m.def("cosine_warm_restarts", &s::cosine_warm_restarts, arg("base_lr"), arg("epoch"), arg("T_0"),
        arg("T_mult") = 1, arg("eta_min") = 0.0,
        "CosineAnnealingWarmRestarts (SGDR) at a (possibly fractional) epoch.");
  m.def("cyclic", [](double base_lr, double max_lr, int64_t step, double up, std::optional<double> down,
                              const std::string& mode, double gamma) {
    return s::cyclic(base_lr, max_lr, step, up, down.value_or(-1.0), s::cyclic_mode(mode), gamma);
  }, arg("base_lr"), arg("max_lr"), arg("step"), arg("step_size_up") = 2000.0, arg("step_size_down") = py::none(),
        arg("mode") = "triangular", arg("gamma") = 1.0,
        "CyclicLR's rate; mode is 'triangular', 'triangular2' or 'exp_range'.");
  m.def("cyclic_momentum", [](double base_m, double max_m, int64_t step, double up,
                                       std::optional<double> down, const std::string& mode, double gamma) {
    return s::cyclic_momentum(base_m, max_m, step, up, down.value_or(-1.0), s::cyclic_mode(mode), gamma);
  }, arg("base_momentum"), arg("max_momentum"), arg("step"), arg("step_size_up") = 2000.0,
        arg("step_size_down") = py::none(), arg("mode") = "triangular", arg("gamma") = 1.0,
        "CyclicLR's momentum (opposite to the rate).");
  m.def("one_cycle", [](double max_lr, int64_t step, int64_t total_steps, double pct_start,
                                 const std::string& anneal, double div, double final_div, bool three_phase) {
    return s::one_cycle(max_lr, step, total_steps, pct_start, s::anneal_strategy(anneal), div, final_div, three_phase);
  }, arg("max_lr"), arg("step"), arg("total_steps"), arg("pct_start") = 0.3, arg("anneal_strategy") = "cos",
        arg("div_factor") = 25.0, arg("final_div_factor") = 1e4, arg("three_phase") = false,
        "OneCycleLR's rate; anneal_strategy is 'cos' or 'linear'.");
  m.def("one_cycle_momentum", [](double base_m, double max_m, int64_t step, int64_t total_steps,
                                          double pct_start, const std::string& anneal, bool three_phase) {
    return s::one_cycle_momentum(base_m, max_m, step, total_steps, pct_start, s::anneal_strategy(anneal), three_phase);
  }, arg("base_momentum"), arg("max_momentum"), arg("step"), arg("total_steps"), arg("pct_start") = 0.3,
        arg("anneal_strategy") = "cos", arg("three_phase") = false, "OneCycleLR's momentum (opposite to the rate).");
  m.def("warmup_cosine", &s::warmup_cosine, arg("base_lr"), arg("step"), arg("warmup_steps"),
        arg("total_steps"), arg("min_lr") = 0.0, arg("warmup_init_lr") = 0.0,
        "Linear warmup from warmup_init_lr to base_lr, then cosine decay to min_lr at total_steps.");
  m.def("wsd", [](double base_lr, int64_t step, int64_t warmup, int64_t stable, int64_t decay,
                           double min_lr_ratio, const std::string& warmup_type, const std::string& decay_type) {
    return s::warmup_stable_decay(base_lr, step, warmup, stable, decay, min_lr_ratio, s::ramp_shape(warmup_type),
                                  s::ramp_shape(decay_type));
  }, arg("base_lr"), arg("step"), arg("warmup_steps"), arg("stable_steps"), arg("decay_steps"),
        arg("min_lr_ratio") = 0.0, arg("warmup_type") = "linear", arg("decay_type") = "cosine",
        "Warmup-stable-decay; shapes are 'linear', 'cosine' or '1-sqrt'.");
  // The old spellings _core.schedule_<name> stay for existing callers; module.cpp keeps them
  // out of `from steepest._core import *`, so they don't reach the top-level namespace.
  for (auto item : m.attr("__dict__").cast<py::dict>()) {
    auto name = item.first.cast<std::string>();
    if (name.rfind("__", 0) != 0) core.attr(("schedule_" + name).c_str()) = item.second;
  }
}

}  // namespace steepest::bindings
