// Bindings for the fused optimizer steps (steepest/optim.hpp): a group's tensor lists held on
// the C++ side between steps (so a step converts no Python lists), one generic step for every
// registered rule plus the registry's descriptions (steepest/optim/registry.hpp), the
// multi-tensor norm and scaling. st.optim's classes are the Python face.
#include <cmath>

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

// The step's control: grad scale, the skip flag, and (rules with low-precision support) the
// group's mixed-precision settings.
optim::StepControl control(const optim::MixedPrecision* mixed, double grad_scale, std::optional<Tensor> found_inf) {
  optim::StepControl c;
  c.grad_scale = grad_scale;
  if (found_inf) c.found_inf = *found_inf;
  if (mixed) c.mixed = *mixed;
  return c;
}

const char* kind_name(optim::HyperKind k) {
  switch (k) {
    case optim::HyperKind::Float: return "float";
    case optim::HyperKind::Bool: return "bool";
    case optim::HyperKind::Int: return "int";
    case optim::HyperKind::Floats: return "floats";
    case optim::HyperKind::Choice: return "choice";
    case optim::HyperKind::Ignored: return "ignored";
  }
  return "?";
}

// A hyperparameter value as Python writes it.
py::object python_value(const optim::HyperSpec& s, const optim::HyperValue& v) {
  if (v.none) return py::none();
  switch (s.kind) {
    case optim::HyperKind::Float: return py::float_(v.nums.at(0));
    case optim::HyperKind::Bool: return py::bool_(v.nums.at(0) != 0);
    case optim::HyperKind::Int: return py::int_(int64_t(v.nums.at(0)));
    case optim::HyperKind::Floats: {
      py::tuple t(v.nums.size());
      for (size_t k = 0; k < v.nums.size(); ++k)
        t[k] = (k == 0 && s.optional_first && std::isnan(v.nums[0])) ? py::object(py::none()) : py::float_(v.nums[k]);
      return std::move(t);
    }
    case optim::HyperKind::Choice: return py::str(v.text);
    case optim::HyperKind::Ignored: return v.nums.empty() ? py::object(py::none()) : py::bool_(v.nums[0] != 0);
  }
  return py::none();
}

double number(const optim::HyperSpec& s, const py::handle& x) {
  try {
    return x.cast<double>();
  } catch (const py::cast_error&) {
    throw TypeError("Invalid " + s.name + ": " + py::repr(x).cast<std::string>() + " (" + s.name + " must be a number)");
  }
}

// The group's hyperparameters by the rule's names (missing ones are left to their defaults).
optim::HyperMap hypers_of(const optim::RuleInfo& rule, const py::dict& group) {
  optim::HyperMap h;
  for (const optim::HyperSpec& s : rule.hypers) {
    if (s.kind == optim::HyperKind::Ignored || s.front_end_only || !group.contains(s.name.c_str())) continue;
    const py::handle x = group[s.name.c_str()];
    optim::HyperValue v;
    if (x.is_none()) {
      v.none = true;
    } else if (s.kind == optim::HyperKind::Floats) {
      for (py::handle e : py::reinterpret_borrow<py::sequence>(x))
        v.nums.push_back(e.is_none() ? std::nan("") : number(s, e));
    } else if (s.kind == optim::HyperKind::Choice) {
      v.text = py::str(x).cast<std::string>();
    } else if (s.kind == optim::HyperKind::Bool) {
      v.nums.push_back(PyObject_IsTrue(x.ptr()) == 1 ? 1.0 : 0.0);
    } else {
      v.nums.push_back(number(s, x));
    }
    h[s.name] = std::move(v);
  }
  return h;
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

  // Every rule through the registry: the hyperparameters are read from the param group by the
  // names the rule declares, and the group's running scalars are written back.
  m.def("_optim_step", [](const std::string& name, GroupLists& g, const py::dict& group, double grad_scale,
                          std::optional<Tensor> found_inf) {
          const optim::RuleInfo& rule = optim::rule(name);
          optim::HyperMap h = hypers_of(rule, group);
          const optim::StepControl c = control(rule.low_precision ? &g.mixed : nullptr, grad_scale, found_inf);
          const int created = rule.step(g.lists, h, c);
          for (const optim::HyperSpec& s : rule.hypers)
            if (s.group_state && !s.front_end_only) group[s.name.c_str()] = python_value(s, h.at(s.name));
          return created;
        }, py::arg("rule"), py::arg("lists"), py::arg("group"), py::arg("grad_scale") = 1.0,
        py::arg("found_inf") = py::none(),
        "One step of a registered rule over a group's lists; hyperparameters come from `group`.");
  m.def("_optim_kept_state", [](const std::string& name, const py::dict& group) {
          const optim::RuleInfo& rule = optim::rule(name);
          optim::HyperMap h = hypers_of(rule, group);
          py::list out;
          if (!rule.kept_state) return out;  // a rule registered without a description of its state
          for (const auto& k : rule.kept_state(h)) out.append(py::make_tuple(k.name, k.scalar));
          return out;
        }, py::arg("rule"), py::arg("group"),
        "The per-param state a step of the rule with the group's hyperparameters keeps: (name, is a 0-d "
        "scalar) pairs, leaving out state filled from the first grad and state shaped by the rule itself.");
  m.def("_optim_rules", [] {
          py::dict out;
          for (const optim::RuleInfo* r : optim::rules()) {
            py::list hypers;
            for (const optim::HyperSpec& s : r->hypers) {
              py::dict d;
              d["name"] = s.name;
              d["kind"] = kind_name(s.kind);
              d["default"] = python_value(s, s.default_value);
              d["keyword_only"] = s.keyword_only;
              d["group_state"] = s.group_state;
              d["step_argument"] = s.step_argument;
              d["front_end_only"] = s.front_end_only;
              d["check"] = s.check;
              d["choices"] = py::tuple(py::cast(s.choices));
              hypers.append(d);
            }
            py::dict d;
            d["name"] = r->name;
            d["hypers"] = hypers;
            d["state"] = py::tuple(py::cast(r->state));
            d["low_precision"] = r->low_precision;
            out[r->name.c_str()] = d;
          }
          return out;
        }, "Every registered optimizer rule: hyperparameters (name, kind, default, ...), state names, "
           "low-precision support.");

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
  m.def("_newton_schulz", [](const Tensor& g, std::tuple<double, double, double> ns_coefficients, double eps,
                             int ns_steps, bool ns_bf16) {
          optim::MuonOptions o;
          std::tie(o.ns_a, o.ns_b, o.ns_c) = ns_coefficients;
          o.eps = eps;
          o.ns_steps = ns_steps;
          o.ns_bf16 = ns_bf16;
          return optim::newton_schulz(g, o);
        }, py::arg("grad"), py::arg("ns_coefficients"), py::arg("eps"), py::arg("ns_steps"), py::arg("ns_bf16"),
        "Muon's Newton–Schulz orthogonalization of a 2-D tensor.");
  m.def("_sophia_update_hessian", [](GroupLists& g, double beta2, double grad_scale, std::optional<Tensor> found_inf) {
          optim::SophiaOptions o;
          o.beta2 = beta2;
          return optim::sophia_update_hessian(g.lists, o, control(nullptr, grad_scale, found_inf));
        }, py::arg("lists"), py::arg("beta2"), py::arg("grad_scale") = 1.0, py::arg("found_inf") = py::none());
  m.def("_schedule_free_set_mode", [](GroupLists& g, double beta1, bool train) {
          optim::schedule_free_set_mode(g.lists, beta1, train);
        }, py::arg("lists"), py::arg("beta1"), py::arg("train"));
  m.def("_lamb_grad_norm", [](const py::sequence& grads) { return optim::lamb_grad_norm(tensors_of(grads)); },
        py::arg("grads"), "LAMB's global grad norm, summed in double in a fixed order.");
  m.def("_optim_touch_last_read_only", [](const py::sequence& lists) {
          optim::TensorLists l;
          for (py::handle h : lists) l.push_back(tensors_of(h));
          optim::detail::touch_step_last_read_only(l);
        }, py::arg("lists"), "Benchmark limit: _optim_touch, but the last list is only read.");
}

}  // namespace steepest::bindings
