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
}

}  // namespace steepest::bindings
