// Bindings of the autograd engine: Tensor.backward / grad_fn / hooks, grad mode, the graph's
// nodes, autograd.grad, and nodes whose backward is a Python callable (autograd.Function).
#include "bind.hpp"

namespace steepest::bindings {

namespace {

// A tensor, a sequence of tensors (None entries allowed) or None, as a vector. Anything else
// is a TypeError naming the argument (pybind's own cast error would be a bare RuntimeError).
std::vector<Tensor> tensors_of(const py::object& o, const char* what) {
  std::vector<Tensor> out;
  if (o.is_none()) return out;
  auto type_name = [](py::handle h) { return std::string(py::str(py::type::of(h).attr("__name__"))); };
  if (py::isinstance<TensorImpl>(o)) return {o.cast<Tensor>()};
  if (!py::isinstance<py::sequence>(o) || py::isinstance<py::str>(o))
    throw TypeError(str(what, " must be a Tensor or a sequence of Tensors, got ", type_name(o)));
  for (py::handle h : o) {
    if (!h.is_none() && !py::isinstance<TensorImpl>(h))
      throw TypeError(str(what, " must contain only Tensors (or None), got an element of type ", type_name(h)));
    out.push_back(h.is_none() ? Tensor() : h.cast<Tensor>());
  }
  return out;
}

// A Python hook as a C++ one: None keeps the gradient, a tensor replaces it.
GradHook grad_hook(py::function fn) {
  return [fn = std::move(fn)](const Tensor& g) -> Tensor {
    py::object r = fn(g);
    if (r.is_none()) return Tensor();
    if (!py::isinstance<TensorImpl>(r))
      throw TypeError(str("a gradient hook must return a Tensor or None, got ",
                          std::string(py::str(py::type::of(r).attr("__name__")))));
    return r.cast<Tensor>();
  };
}

}  // namespace

void bind_autograd(py::module_& m) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node", "A recorded operation of the autograd graph.")
      .def("name", [](const Node& n) { return std::string(n.name()); })
      .def_property_readonly("next_functions", [](const Node& n) {
        py::tuple t(n.next_edges.size());
        for (size_t i = 0; i < n.next_edges.size(); ++i)
          t[i] = py::make_tuple(n.next_edges[i].fn ? py::cast(n.next_edges[i].fn) : py::none(),
                                n.next_edges[i].input_nr);
        return t;
      })
      .def_property_readonly("variable", [](const Node& n) -> py::object {
        if (auto* acc = dynamic_cast<const AccumulateGrad*>(&n)) return py::cast(acc->variable);
        throw py::attribute_error("only AccumulateGrad nodes have a variable");
      })
      .def("__repr__", [](const Node& n) {
        return str("<", n.name(), " object at 0x", std::hex, reinterpret_cast<uintptr_t>(&n), ">");
      });

  TensorClass cls = tensor_class(m);
  cls.def_property_readonly("grad_fn", [](const Tensor& t) { return t.grad_fn(); })
      .def_property_readonly("is_leaf", method(&Tensor::is_leaf))
      .def_property_readonly("retains_grad", [](const Tensor& t) {
        return t.impl()->autograd && t.impl()->autograd->retains_grad;
      })
      .def("detach", method(&Tensor::detach))
      .def("detach_", [](Tensor& t) {
        STEEPEST_CHECK(!t.impl()->autograd || !t.impl()->autograd->is_view, Error,
                       "Can't detach views in-place. Use detach() instead.");
        if (t.impl()->autograd) {
          t.impl()->autograd->grad_fn.reset();
          t.impl()->autograd->requires_grad = false;
        }
        return t;
      })
      .def("retain_grad", [](const Tensor& t) { autograd::retain_grad(t); })
      .def("backward", [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph,
                          bool create_graph, py::object inputs) {
        STEEPEST_CHECK(!create_graph, NotImplementedError, "backward(create_graph=True): higher-order gradients are not supported");
        STEEPEST_CHECK(inputs.is_none(), NotImplementedError, "backward(inputs=...): use steepest.autograd.grad");
        autograd::backward({t}, {gradient ? *gradient : Tensor()}, retain_graph.value_or(false));
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
         py::arg("inputs") = py::none())
      .def("_register_hook", [](const Tensor& t, py::function fn) {
        std::string name = py::hasattr(fn, "__name__") ? py::str(fn.attr("__name__")).cast<std::string>() : "hook";
        return autograd::register_hook(t, grad_hook(fn), std::move(name));
      })
      .def("_register_post_accumulate_grad_hook", [](const Tensor& t, py::function fn) {
        return autograd::register_post_accumulate_grad_hook(t, [fn](const Tensor& v) { fn(v); });
      })
      .def("_remove_hook", [](const Tensor& t, int id) { autograd::remove_hook(t, id); });

  m.def("is_grad_enabled", &autograd::is_grad_enabled, "Whether ops record the autograd graph (per thread).");
  m.def("_set_grad_enabled", &autograd::set_grad_enabled);

  m.def("_autograd_backward", [](py::object tensors, py::object grads, bool retain_graph) {
    autograd::backward(tensors_of(tensors, "tensors"), tensors_of(grads, "grad_tensors"), retain_graph);
  });
  m.def("_autograd_grad", [](py::object outputs, py::object inputs, py::object grad_outputs, bool retain_graph,
                             bool allow_unused) {
    auto r = autograd::grad(tensors_of(outputs, "outputs"), tensors_of(inputs, "inputs"),
                            tensors_of(grad_outputs, "grad_outputs"), retain_graph,
                            allow_unused);
    py::tuple t(r.size());
    for (size_t i = 0; i < r.size(); ++i) t[i] = py::cast(r[i]);
    return t;
  });
  // Records `outputs` as produced from `inputs` by an op whose backward is
  // backward(*grads) -> one gradient (or None) per input.
  m.def("_record_function", [](const std::string& name, py::object inputs, py::object outputs, py::function backward) {
    auto ins = tensors_of(inputs, "inputs"), outs = tensors_of(outputs, "outputs");
    size_t n_in = ins.size();
    auto fn = [backward, n_in](Node& node, std::vector<Tensor>& grads) -> std::vector<Tensor> {
      py::tuple args(grads.size());
      for (size_t i = 0; i < grads.size(); ++i) args[i] = py::cast(grads[i]);
      py::object r = backward(*args);
      std::vector<Tensor> out =
          r.is_none() ? std::vector<Tensor>{Tensor()} : tensors_of(r, "a custom function's backward result");
      STEEPEST_CHECK(out.size() == n_in, Error, "function ", node.name(), " returned an incorrect number of gradients (expected ",
                     n_in, ", got ", out.size(), ")");
      return out;  // the engine checks each gradient against its input's shape and device
    };
    autograd::record_function(name.c_str(), ins, outs, fn);  // the node copies the name
  });
}

}  // namespace steepest::bindings
