// Bindings for creation and copy ops (zeros, arange, ..., copy_, to).
#include "bind.hpp"
#include "steepest/ops/device.hpp"

namespace steepest::bindings {

namespace {
TensorOptions opts(std::optional<DType> dtype, std::optional<Device> device, bool requires_grad) {
  return TensorOptions(dtype.value_or(default_dtype()), device.value_or(default_device()), requires_grad);
}

// torch's layout= and memory_format= keywords: the only layout is strided, and the memory
// formats steepest has (contiguous, preserve: both row-major) are told apart from the refused
// ones by steepest._memory_format, where the format objects live.
void check_like_keywords(const char* what, const py::object& layout, const py::object& fmt) {
  if (!layout.is_none()) {
    std::string s = py::str(layout);
    if (s.size() < 7 || s.compare(s.size() - 7, 7, "strided") != 0)
      throw NotImplementedError(std::string(what) + ": layout=" + s + " is not supported (steepest tensors are strided)");
  }
  if (!fmt.is_none()) py::module_::import("steepest._memory_format").attr("check")(fmt, what);
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
    return full(s, v, TensorOptions(dt, dev.value_or(default_device()), rg));
  }, py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_a, device_a, rg_a);
  m.def("arange", [](Scalar start, std::optional<Scalar> end, Scalar step, std::optional<DType> d,
                     std::optional<Device> dev, bool rg) {
    Tensor t = end ? arange(start, *end, step, d, dev.value_or(default_device())) : arange(Scalar(0), start, step, d, dev.value_or(default_device()));
    if (rg) t.set_requires_grad(true);
    return t;
  }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, py::kw_only(), dtype_a, device_a, rg_a);
  m.def("linspace", [](double a, double b, int64_t n, std::optional<DType> d, std::optional<Device> dev, bool rg) {
    return linspace(a, b, n, opts(d, dev, rg));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), dtype_a, device_a, rg_a);
  m.def("eye", [](int64_t n, std::optional<int64_t> mm, std::optional<DType> d, std::optional<Device> dev, bool rg) {
    return eye(n, mm, opts(d, dev, rg));
  }, py::arg("n"), py::arg("m") = py::none(), py::kw_only(), dtype_a, device_a, rg_a);
  // The *_like functions take torch's keywords (torch's own optimizers pass
  // memory_format=torch.preserve_format when creating state): the input's shape, and its dtype
  // and device unless given.
  auto like_args = [](const char* what, const Tensor& t, std::optional<DType> d, std::optional<Device> dev, bool rg,
                      const py::object& layout, const py::object& fmt) {
    check_like_keywords(what, layout, fmt);
    return TensorOptions(d.value_or(t.dtype()), dev.value_or(t.device()), rg);
  };
  auto layout_a = py::arg("layout") = py::none();
  auto fmt_a = py::arg("memory_format") = py::none();
  auto pin_a = py::arg("pin_memory") = false;
  m.def("empty_like", [like_args](const Tensor& t, std::optional<DType> d, const py::object& layout,
                                  std::optional<Device> dev, bool pin, bool rg, const py::object& fmt) {
    (void)pin;
    return empty(t.shape(), like_args("empty_like", t, d, dev, rg, layout, fmt));
  }, py::arg("input"), py::kw_only(), dtype_a, layout_a, device_a, pin_a, rg_a, fmt_a);
  m.def("zeros_like", [like_args](const Tensor& t, std::optional<DType> d, const py::object& layout,
                                  std::optional<Device> dev, bool pin, bool rg, const py::object& fmt) {
    (void)pin;
    return zeros(t.shape(), like_args("zeros_like", t, d, dev, rg, layout, fmt));
  }, py::arg("input"), py::kw_only(), dtype_a, layout_a, device_a, pin_a, rg_a, fmt_a);
  m.def("ones_like", [like_args](const Tensor& t, std::optional<DType> d, const py::object& layout,
                                 std::optional<Device> dev, bool pin, bool rg, const py::object& fmt) {
    (void)pin;
    return ones(t.shape(), like_args("ones_like", t, d, dev, rg, layout, fmt));
  }, py::arg("input"), py::kw_only(), dtype_a, layout_a, device_a, pin_a, rg_a, fmt_a);
  m.def("full_like", [like_args](const Tensor& t, Scalar v, std::optional<DType> d, const py::object& layout,
                                 std::optional<Device> dev, bool pin, bool rg, const py::object& fmt) {
    (void)pin;
    return full(t.shape(), v, like_args("full_like", t, d, dev, rg, layout, fmt));
  }, py::arg("input"), py::arg("fill_value"), py::kw_only(), dtype_a, layout_a, device_a, pin_a, rg_a, fmt_a);
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
