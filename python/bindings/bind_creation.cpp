// Bindings for creation and copy ops (zeros, arange, ..., copy_, to).
#include "bind.hpp"

namespace steepest::bindings {

namespace {
TensorOptions opts(std::optional<DType> dtype, std::optional<Device> device, bool requires_grad) {
  return TensorOptions(dtype.value_or(default_dtype()), device.value_or(kCPU), requires_grad);
}
}  // namespace

void bind_creation(py::module_& m) {
  auto dtype_a = py::arg("dtype") = py::none();
  auto device_a = py::arg("device") = py::none();
  auto rg_a = py::arg("requires_grad") = false;
  m.def("empty", [](const py::args& a, const py::object& s, std::optional<DType> d, std::optional<Device> dev,
                     bool rg) { return empty(size_from_args("empty", a, s), opts(d, dev, rg)); },
        py::arg("size") = py::none(), dtype_a, device_a, rg_a);
  m.def("zeros", [](const py::args& a, const py::object& s, std::optional<DType> d, std::optional<Device> dev,
                     bool rg) { return zeros(size_from_args("zeros", a, s), opts(d, dev, rg)); },
        py::arg("size") = py::none(), dtype_a, device_a, rg_a);
  m.def("ones", [](const py::args& a, const py::object& s, std::optional<DType> d, std::optional<Device> dev,
                     bool rg) { return ones(size_from_args("ones", a, s), opts(d, dev, rg)); },
        py::arg("size") = py::none(), dtype_a, device_a, rg_a);
  m.def("full", [](const Shape& s, Scalar v, std::optional<DType> d, std::optional<Device> dev, bool rg) {
    // torch: the fill value's kind picks the dtype when none is given.
    DType dt = d.value_or(v.natural_dtype());
    return full(s, v, TensorOptions(dt, dev.value_or(kCPU), rg));
  }, py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_a, device_a, rg_a);
  m.def("arange", [](Scalar start, std::optional<Scalar> end, Scalar step, std::optional<DType> d,
                     std::optional<Device> dev, bool rg) {
    Tensor t = end ? arange(start, *end, step, d, dev.value_or(kCPU)) : arange(Scalar(0), start, step, d, dev.value_or(kCPU));
    if (rg) t.set_requires_grad(true);
    return t;
  }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, py::kw_only(), dtype_a, device_a, rg_a);
  m.def("linspace", [](double a, double b, int64_t n, std::optional<DType> d, std::optional<Device> dev, bool rg) {
    return linspace(a, b, n, opts(d, dev, rg));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), dtype_a, device_a, rg_a);
  m.def("eye", [](int64_t n, std::optional<int64_t> mm, std::optional<DType> d, std::optional<Device> dev, bool rg) {
    return eye(n, mm, opts(d, dev, rg));
  }, py::arg("n"), py::arg("m") = py::none(), py::kw_only(), dtype_a, device_a, rg_a);
  m.def("empty_like", [](const Tensor& t, std::optional<DType> d) { return empty_like(t, d); }, py::arg("input"),
        py::kw_only(), dtype_a);
  m.def("zeros_like", [](const Tensor& t, std::optional<DType> d) { return zeros_like(t, d); }, py::arg("input"),
        py::kw_only(), dtype_a);
  m.def("ones_like", [](const Tensor& t, std::optional<DType> d) { return ones_like(t, d); }, py::arg("input"),
        py::kw_only(), dtype_a);
  m.def("full_like", [](const Tensor& t, Scalar v, std::optional<DType> d) { return full_like(t, v, d); },
        py::arg("input"), py::arg("fill_value"), py::kw_only(), dtype_a);
  m.def("scalar_tensor", [](Scalar v, std::optional<DType> d) { return scalar_tensor(v, d); }, py::arg("value"),
        py::kw_only(), dtype_a);

  TensorClass cls = tensor_class(m);
  // With grad recording, t.copy_(src) is t[...] = src: the indexed write records the graph
  // (src's gradient, t's history), where the raw copy would drop it silently.
  cls.def("copy_", [](Tensor& t, const Tensor& src) -> Tensor {
        if (autograd::needs_grad({&t, &src})) {
          index_put_(t, {TensorIndex::ellipsis()}, src);
          return t;
        }
        return copy_(t, src);
      }, py::arg("src"))
      // Likewise fill_/zero_ on a tensor with history: recorded as t[...] = v (no gradient flows
      // back through overwritten values; a leaf that requires grad is refused).
      .def("fill_", [](Tensor& t, Scalar v) -> Tensor {
        if (autograd::needs_grad({&t})) {
          index_put_(t, {TensorIndex::ellipsis()}, v);
          return t;
        }
        return fill_(t, v);
      }, py::arg("value"))
      .def("zero_", [](Tensor& t) -> Tensor {
        if (autograd::needs_grad({&t})) {
          index_put_(t, {TensorIndex::ellipsis()}, Scalar(0));
          return t;
        }
        return zero_(t);
      })
      .def("_to_dtype", [](const Tensor& t, DType d, bool copy) { return to_dtype(t, d, copy); }, py::arg("dtype"),
           py::arg("copy") = false)
      .def("contiguous", [](const Tensor& t) { return contiguous(t); })
      .def("clone", [](const Tensor& t) { return clone(t); });
}

}  // namespace steepest::bindings
