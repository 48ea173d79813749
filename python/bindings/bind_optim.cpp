// Bindings for the fused optimizer steps (steepest/optim.hpp): a group's tensor lists held on
// the C++ side between steps (so a step converts no Python lists), one function per update
// rule, the multi-tensor norm and scaling. st.optim's classes are the Python face.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

// A parameter group's TensorLists, built once from Python lists (None = not created yet) and
// kept by the Python optimizer; steps fill created entries in place.
struct GroupLists {
  optim::TensorLists lists;
  optim::MixedPrecision mixed;  // set by the Python optimizer before each step
};

std::vector<Tensor> tensors_of(const py::handle& seq) {
  std::vector<Tensor> out;
  for (py::handle h : seq) out.push_back(h.is_none() ? Tensor() : h.cast<Tensor>());
  return out;
}

optim::StepControl control(double grad_scale, std::optional<Tensor> found_inf) {
  optim::StepControl c;
  c.grad_scale = grad_scale;
  if (found_inf) c.found_inf = *found_inf;
  return c;
}

// For steps that support mixed precision: the group's settings too.
optim::StepControl control(const GroupLists& g, double grad_scale, std::optional<Tensor> found_inf) {
  optim::StepControl c = control(grad_scale, found_inf);
  c.mixed = g.mixed;
  return c;
}

}  // namespace

void bind_optim(py::module_& m) {
  py::class_<GroupLists>(m, "_TensorLists")
      .def(py::init([](const py::sequence& lists) {
             GroupLists g;
             for (py::handle l : lists) g.lists.push_back(tensors_of(l));
             return g;
           }), py::arg("lists"))
      .def("__len__", [](const GroupLists& g) { return g.lists.size(); })
      .def("list", [](const GroupLists& g, size_t k) {
             py::list out;
             for (const Tensor& t : g.lists.at(k)) out.append(t.defined() ? py::cast(t) : py::none());
             return out;
           }, py::arg("k"))
      .def("get", [](const GroupLists& g, size_t k, size_t i) -> py::object {
             const Tensor& t = g.lists.at(k).at(i);
             return t.defined() ? py::cast(t) : py::none();
           }, py::arg("k"), py::arg("i"))
      .def("set_mixed", [](GroupLists& g, int master_list, DType state_dtype, bool stochastic_rounding,
                           uint64_t seed, uint32_t sr_step) {
             g.mixed = optim::MixedPrecision{master_list, state_dtype, stochastic_rounding, seed, sr_step};
           }, py::arg("master_list"), py::arg("state_dtype"), py::arg("stochastic_rounding"), py::arg("seed"),
           py::arg("sr_step"), "Mixed-precision settings for the next steps (steepest/optim.hpp MixedPrecision).");

  using optim::StepControl;
#define STEEPEST_CONTROL_ARGS py::arg("grad_scale") = 1.0, py::arg("found_inf") = py::none()
  m.def("_sgd_step", [](GroupLists& g, double lr, double momentum, double dampening, double weight_decay,
                        bool nesterov, bool maximize, double grad_scale, std::optional<Tensor> found_inf) {
          optim::SGDOptions o{lr, momentum, dampening, weight_decay, nesterov, maximize};
          return optim::sgd_step(g.lists, o, control(g, grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"),
        py::arg("nesterov"), py::arg("maximize"), STEEPEST_CONTROL_ARGS);
  m.def("_adam_step", [](GroupLists& g, double lr, double beta1, double beta2, double eps, double weight_decay,
                         bool amsgrad, bool maximize, bool decoupled_weight_decay, double grad_scale,
                         std::optional<Tensor> found_inf) {
          optim::AdamOptions o{lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay};
          return optim::adam_step(g.lists, o, control(g, grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled_weight_decay"), STEEPEST_CONTROL_ARGS);
  m.def("_adagrad_step", [](GroupLists& g, double lr, double lr_decay, double weight_decay,
                            double initial_accumulator_value, double eps, bool maximize, double grad_scale,
                            std::optional<Tensor> found_inf) {
          optim::AdagradOptions o{lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize};
          return optim::adagrad_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("lr_decay"), py::arg("weight_decay"),
        py::arg("initial_accumulator_value"), py::arg("eps"), py::arg("maximize"), STEEPEST_CONTROL_ARGS);
  m.def("_rmsprop_step", [](GroupLists& g, double lr, double alpha, double eps, double weight_decay, double momentum,
                            bool centered, bool maximize, double grad_scale, std::optional<Tensor> found_inf) {
          optim::RMSpropOptions o{lr, alpha, eps, weight_decay, momentum, centered, maximize};
          return optim::rmsprop_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("momentum"), py::arg("centered"), py::arg("maximize"), STEEPEST_CONTROL_ARGS);
  m.def("_nadam_step", [](GroupLists& g, double lr, double beta1, double beta2, double eps, double weight_decay,
                          double momentum_decay, bool decoupled_weight_decay, bool maximize, double grad_scale,
                          std::optional<Tensor> found_inf) {
          optim::NAdamOptions o{lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize};
          return optim::nadam_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("momentum_decay"), py::arg("decoupled_weight_decay"), py::arg("maximize"), STEEPEST_CONTROL_ARGS);
  m.def("_radam_step", [](GroupLists& g, double lr, double beta1, double beta2, double eps, double weight_decay,
                          bool decoupled_weight_decay, bool maximize, double grad_scale,
                          std::optional<Tensor> found_inf) {
          optim::RAdamOptions o{lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize};
          return optim::radam_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("decoupled_weight_decay"), py::arg("maximize"), STEEPEST_CONTROL_ARGS);
  m.def("_adamax_step", [](GroupLists& g, double lr, double beta1, double beta2, double eps, double weight_decay,
                           bool maximize, double grad_scale, std::optional<Tensor> found_inf) {
          optim::AdamaxOptions o{lr, beta1, beta2, eps, weight_decay, maximize};
          return optim::adamax_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("maximize"), STEEPEST_CONTROL_ARGS);
  m.def("_lion_step", [](GroupLists& g, double lr, double beta1, double beta2, double weight_decay, bool maximize,
                         double grad_scale, std::optional<Tensor> found_inf) {
          optim::LionOptions o{lr, beta1, beta2, weight_decay, maximize};
          return optim::lion_step(g.lists, o, control(g, grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("weight_decay"),
        py::arg("maximize"), STEEPEST_CONTROL_ARGS);
#undef STEEPEST_CONTROL_ARGS

  m.def("_total_norm", [](const py::sequence& tensors, double norm_type) {
          return optim::total_norm(tensors_of(tensors), norm_type);
        }, py::arg("tensors"), py::arg("norm_type") = 2.0,
        "Norm of all tensors together (one fused pass for norm_type 1, 2, inf).");
  m.def("_scale_", [](const py::sequence& tensors, double factor) { optim::scale_(tensors_of(tensors), factor); },
        py::arg("tensors"), py::arg("factor"), "x *= factor for every tensor, one multi-tensor pass.");
  m.def("_any_nonfinite", [](const py::sequence& tensors) { return optim::any_nonfinite(tensors_of(tensors)); },
        py::arg("tensors"), "True if any element is inf or NaN (one read-only multi-tensor pass).");
  m.def("_unscale_", [](const py::sequence& tensors, double inv_scale) {
          return optim::unscale_(tensors_of(tensors), inv_scale);
        }, py::arg("tensors"), py::arg("inv_scale"),
        "Checks for inf/NaN and multiplies by inv_scale in one pass; returns whether one was found.");
  m.def("_flatten_", [](const py::sequence& params) { return optim::flatten_(tensors_of(params)); },
        py::arg("params"), "Moves params and grads into flat buffers (params become views); returns the buffers.");
  m.def("_optim_touch", [](const py::sequence& lists) {
          optim::TensorLists l;
          for (py::handle h : lists) l.push_back(tensors_of(h));
          optim::detail::touch_step(l);
        }, py::arg("lists"), "Benchmark limit: read every list, write all but lists[1], one add each.");
  m.def("_zero_grads", [](const py::sequence& params, bool set_to_none) {
          for (py::handle h : params) {
            Tensor p = h.cast<Tensor>();
            Tensor g = p.grad();
            if (!g.defined()) continue;
            if (set_to_none) p.set_grad(Tensor());
            else zero_(g);
          }
        }, py::arg("params"), py::arg("set_to_none") = true, "Optimizer.zero_grad over a list in one call.");
#define STEEPEST_CONTROL_ARGS2 py::arg("grad_scale") = 1.0, py::arg("found_inf") = py::none()
  // Adafactor, Muon, SophiaG, Schedule-Free AdamW, LAMB, LARS (optimizers.md §3-§7).
  m.def("_adafactor_step", [](GroupLists& g, double lr, double beta2_decay, std::optional<double> eps1, double eps2,
                              double d, double weight_decay, bool maximize, double grad_scale,
                              std::optional<Tensor> found_inf) {
          optim::AdafactorOptions o{lr, beta2_decay, eps1 ? *eps1 : -1.0, eps2, d, weight_decay, maximize};
          return optim::adafactor_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta2_decay"), py::arg("eps1"), py::arg("eps2"), py::arg("d"),
        py::arg("weight_decay"), py::arg("maximize"), STEEPEST_CONTROL_ARGS2);
  auto muon_options = [](double lr, double weight_decay, double momentum, bool nesterov, std::tuple<double, double, double> abc,
                         double eps, int ns_steps, const std::string& adjust_lr_fn, bool ns_bf16) {
    optim::MuonOptions o;
    o.lr = lr;
    o.weight_decay = weight_decay;
    o.momentum = momentum;
    o.nesterov = nesterov;
    std::tie(o.ns_a, o.ns_b, o.ns_c) = abc;
    o.eps = eps;
    o.ns_steps = ns_steps;
    o.adjust_lr = adjust_lr_fn == "match_rms_adamw" ? optim::MuonAdjustLr::MatchRmsAdamW : optim::MuonAdjustLr::Original;
    o.ns_bf16 = ns_bf16;
    return o;
  };
  m.def("_muon_step", [muon_options](GroupLists& g, double lr, double weight_decay, double momentum, bool nesterov,
                                     std::tuple<double, double, double> ns_coefficients, double eps, int ns_steps,
                                     const std::string& adjust_lr_fn, bool ns_bf16, double grad_scale,
                                     std::optional<Tensor> found_inf) {
          auto o = muon_options(lr, weight_decay, momentum, nesterov, ns_coefficients, eps, ns_steps, adjust_lr_fn, ns_bf16);
          return optim::muon_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("weight_decay"), py::arg("momentum"), py::arg("nesterov"),
        py::arg("ns_coefficients"), py::arg("eps"), py::arg("ns_steps"), py::arg("adjust_lr_fn"), py::arg("ns_bf16"),
        STEEPEST_CONTROL_ARGS2);
  m.def("_newton_schulz", [muon_options](const Tensor& g, std::tuple<double, double, double> ns_coefficients, double eps,
                                         int ns_steps, bool ns_bf16) {
          return optim::newton_schulz(g, muon_options(0, 0, 0, false, ns_coefficients, eps, ns_steps, "", ns_bf16));
        }, py::arg("grad"), py::arg("ns_coefficients"), py::arg("eps"), py::arg("ns_steps"), py::arg("ns_bf16"),
        "Muon's Newton–Schulz orthogonalization of a 2-D tensor.");
  m.def("_sophia_step", [](GroupLists& g, double lr, double beta1, double beta2, double rho, double weight_decay,
                           double bs, bool maximize, double grad_scale, std::optional<Tensor> found_inf) {
          optim::SophiaOptions o{lr, beta1, beta2, rho, weight_decay, bs, maximize};
          return optim::sophia_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("rho"), py::arg("weight_decay"),
        py::arg("bs"), py::arg("maximize"), STEEPEST_CONTROL_ARGS2);
  m.def("_sophia_update_hessian", [](GroupLists& g, double beta2, double grad_scale, std::optional<Tensor> found_inf) {
          optim::SophiaOptions o;
          o.beta2 = beta2;
          return optim::sophia_update_hessian(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("beta2"), STEEPEST_CONTROL_ARGS2);
  m.def("_schedule_free_adamw_step", [](GroupLists& g, double lr, double beta1, double beta2, double eps,
                                        double weight_decay, double warmup_steps, double r, double weight_lr_power,
                                        double k, double weight_sum, double lr_max, double grad_scale,
                                        std::optional<Tensor> found_inf) {
          optim::ScheduleFreeAdamWOptions o{lr, beta1, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power};
          optim::ScheduleFreeGroupState s{k, weight_sum, lr_max, 0.0};
          int created = optim::schedule_free_adamw_step(g.lists, o, s, control(grad_scale, found_inf));
          return py::make_tuple(created, s.k, s.weight_sum, s.lr_max, s.scheduled_lr);
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("warmup_steps"), py::arg("r"), py::arg("weight_lr_power"), py::arg("k"), py::arg("weight_sum"),
        py::arg("lr_max"), STEEPEST_CONTROL_ARGS2,
        "One step; returns (created, k, weight_sum, lr_max, scheduled_lr), the group's new scalars.");
  m.def("_schedule_free_set_mode", [](GroupLists& g, double beta1, bool train) {
          optim::schedule_free_set_mode(g.lists, beta1, train);
        }, py::arg("lists"), py::arg("beta1"), py::arg("train"));
  m.def("_lamb_step", [](GroupLists& g, double lr, double beta1, double beta2, double eps, double weight_decay,
                         bool bias_correction, bool grad_averaging, bool trust_clip, bool always_adapt,
                         bool decoupled_decay, int64_t step, double grad_scale, std::optional<Tensor> found_inf) {
          optim::LambOptions o{lr, beta1, beta2, eps, weight_decay, bias_correction, grad_averaging, trust_clip,
                               always_adapt, decoupled_decay};
          int created = optim::lamb_step(g.lists, o, step, control(grad_scale, found_inf));
          return py::make_tuple(created, step);
        }, py::arg("lists"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
        py::arg("bias_correction"), py::arg("grad_averaging"), py::arg("trust_clip"), py::arg("always_adapt"),
        py::arg("decoupled_decay"), py::arg("step"), STEEPEST_CONTROL_ARGS2, "One step; returns (created, step).");
  m.def("_lamb_grad_norm", [](const py::sequence& grads) { return optim::lamb_grad_norm(tensors_of(grads)); },
        py::arg("grads"), "LAMB's global grad norm, summed in double in a fixed order.");
  m.def("_lars_step", [](GroupLists& g, double lr, double momentum, double dampening, double weight_decay,
                         bool nesterov, double trust_coeff, double eps, bool trust_clip, bool always_adapt,
                         bool exclude_1d, double grad_scale, std::optional<Tensor> found_inf) {
          optim::LarsOptions o;
          o.lr = lr;
          o.momentum = momentum;
          o.dampening = dampening;
          o.weight_decay = weight_decay;
          o.trust_coeff = trust_coeff;
          o.eps = eps;
          o.nesterov = nesterov;
          o.trust_clip = trust_clip;
          o.always_adapt = always_adapt;
          o.exclude_1d = exclude_1d;
          return optim::lars_step(g.lists, o, control(grad_scale, found_inf));
        }, py::arg("lists"), py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"),
        py::arg("nesterov"), py::arg("trust_coeff"), py::arg("eps"), py::arg("trust_clip"), py::arg("always_adapt"),
        py::arg("exclude_1d") = false, STEEPEST_CONTROL_ARGS2);
  m.def("_optim_touch_last_read_only", [](const py::sequence& lists) {
          optim::TensorLists l;
          for (py::handle h : lists) l.push_back(tensors_of(h));
          optim::detail::touch_step_last_read_only(l);
        }, py::arg("lists"), "Benchmark limit: _optim_touch, but the last list is only read.");
#undef STEEPEST_CONTROL_ARGS2
}

}  // namespace steepest::bindings
