// Bindings for the Tensor class itself: metadata, autograd flags, item/tolist, repr.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

// Builds nested Python lists (or a number for 0-d) from a CPU tensor.
py::object to_list(const Tensor& t, int64_t dim, const char* base) {
  if (dim == t.dim()) {
    return visit_dtype_float8(t.dtype(), [&](auto z) -> py::object {
      using T = decltype(z);
      T v = *reinterpret_cast<const T*>(base);
      if constexpr (std::is_same_v<T, bool>) return py::bool_(v);
      else if constexpr (std::is_integral_v<T>) return py::int_(int64_t(v));
      else return py::float_(double(v));
    });
  }
  int64_t n = t.shape()[size_t(dim)], step = t.strides()[size_t(dim)] * int64_t(t.itemsize());
  py::list out(n);
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = to_list(t, dim + 1, base + i * step);
  return std::move(out);
}

}  // namespace

void bind_tensor(py::module_& m) {
  TensorClass cls(m, "Tensor", py::dynamic_attr());
  cls.def(py::init([](const Tensor& other) { return other.alias().impl_ptr(); }), py::arg("other"),
          "A new tensor object sharing `other`'s data (used by Parameter).")
      .def_property_readonly("shape", [](const Tensor& t) { return t.shape(); })
      .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
      .def_property_readonly("device", [](const Tensor& t) { return t.device(); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t.device().is_cuda(); })
      .def_property_readonly("_version", [](const Tensor& t) { return t.version(); })
      .def("size", [](const Tensor& t, std::optional<int64_t> d) -> py::object {
        if (d) return py::int_(t.size(*d));
        return py::cast(t.shape());
      }, py::arg("dim") = py::none())
      .def("stride", [](const Tensor& t, std::optional<int64_t> d) -> py::object {
        if (d) return py::int_(t.stride(*d));
        return py::cast(t.strides());
      }, py::arg("dim") = py::none())
      .def("dim", method(&Tensor::dim))
      .def("numel", method(&Tensor::numel))
      .def("element_size", [](const Tensor& t) { return t.itemsize(); })
      .def("storage_offset", method(&Tensor::offset))
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def("is_contiguous", method(&Tensor::is_contiguous))
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t.dtype()); })
      .def_property("requires_grad", method(&Tensor::requires_grad),
                    [](Tensor& t, bool flag) { t.set_requires_grad(flag); })
      .def("requires_grad_", [](Tensor& t, bool flag) { t.set_requires_grad(flag); return t; },
           py::arg("requires_grad") = true)
      .def_property("grad", method(&Tensor::grad), [](Tensor& t, py::handle v) {
        if (v.is_none()) return t.set_grad(Tensor());
        Tensor g;
        try {
          g = v.cast<Tensor>();
        } catch (const std::exception&) {  // cast_error, or the casters' torch.Tensor message
          py::handle type = py::type::of(v);
          throw TypeError(str("Tensor.grad = value: value must be a steepest Tensor or None, got ",
                              std::string(py::str(type.attr("__module__"))), ".",
                              std::string(py::str(type.attr("__qualname__"))), " (a Tensor of this tensor's shape ",
                              t.shape(), " and dtype ", dtype_name(t.dtype()), ", or None)"));
        }
        t.set_grad(g);
      })
      .def_property("data", [](const Tensor& t) { return t.detach(); },
                    [](Tensor& t, py::handle v) {
                      Tensor other;
                      try {
                        other = v.cast<Tensor>();
                      } catch (const py::cast_error&) {
                        py::handle type = py::type::of(v);
                        throw TypeError(str("Tensor.data = value: value must be a steepest Tensor, got ",
                                            std::string(py::str(type.attr("__module__"))), ".",
                                            std::string(py::str(type.attr("__qualname__")))));
                      }
                      t.set_data(other);
                    }, "The tensor's values without autograd history; assigning a tensor makes this tensor view its memory.")
      .def("item", [](const Tensor& t) { return t.item(); })
      .def("tolist", [](const Tensor& t) {
        STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, "tolist() of a ", t.device().str(), " tensor");
        return to_list(t, 0, static_cast<const char*>(t.data_ptr()));
      })
      .def("__len__", [](const Tensor& t) {
        STEEPEST_CHECK(t.dim() > 0, TypeError, "len() of a 0-d tensor");
        return t.shape()[0];
      })
      .def("__repr__", method(&Tensor::repr))
      .def("__bool__", [](const Tensor& t) {
        STEEPEST_CHECK(t.numel() == 1, ValueError, "Boolean value of Tensor with ", t.numel(),
                       " elements is ambiguous");
        return t.item().to<bool>();
      })
      .def("__float__", [](const Tensor& t) { return t.item().to_double(); })
      .def("__int__", [](const Tensor& t) { return t.item().to_int(); })
      .def("__index__", [](const Tensor& t) {
        STEEPEST_CHECK(is_integral(t.dtype(), true) && t.numel() == 1, TypeError,
                       "only integer tensors of a single element can be converted to an index");
        return t.item().to_int();
      })
      .def("__hash__", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.impl()); })
      .def("_is_same", method(&Tensor::is_same));
}

}  // namespace steepest::bindings
