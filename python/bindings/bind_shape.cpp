// Bindings for views and shape ops: module functions (st.reshape, st.permute, ...) and Tensor
// methods that take sizes or dims either as varargs or as one sequence, like torch
// (t.view(2, 3) and t.view((2, 3))). Semantics live in cpp/src/ops/shape.cpp.
#include "bind.hpp"

namespace steepest::bindings {

namespace {

int64_t as_int(PyObject* o, const char* op) {
  if (PyLong_Check(o) && !PyBool_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    STEEPEST_CHECK(!overflow, ValueError, op, "(): size ", std::string(py::str(o)), " is out of range for int64");
    return v;
  }
  if (!PyBool_Check(o) && PyIndex_Check(o)) {
    Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    return v;
  }
  throw TypeError(str(op, "(): expected ints, got ", Py_TYPE(o)->tp_name));
}

// Sizes / dims given as varargs (t.view(2, 3)), as one sequence (t.view((2, 3))) or by
// keyword (t.reshape(shape=(2, 3))).
Shape int_list(const py::args& args, const py::kwargs& kwargs, const char* op, const char* kw) {
  PyObject* src = args.ptr();
  if (kwargs.size() > 0) {
    STEEPEST_CHECK(args.size() == 0 && kwargs.size() == 1 && kwargs.contains(kw), TypeError, op,
                   "() takes its sizes as positional arguments or as the keyword '", kw, "'");
    src = kwargs[kw].ptr();
  } else if (PyTuple_GET_SIZE(src) == 1) {
    PyObject* only = PyTuple_GET_ITEM(src, 0);
    if (PyTuple_Check(only) || PyList_Check(only)) src = only;
    else if (!PyLong_Check(only) && !PyIndex_Check(only) && PySequence_Check(only)) src = only;
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(src);
  if (PyTuple_Check(src)) {
    Py_ssize_t n = PyTuple_GET_SIZE(src);
    Shape out(size_t(n), 0);
    for (Py_ssize_t i = 0; i < n; ++i) out[size_t(i)] = as_int(PyTuple_GET_ITEM(src, i), op);
    return out;
  }
  STEEPEST_CHECK(PySequence_Check(src), TypeError, op, "(): expected a sequence of ints, got ",
                 Py_TYPE(src)->tp_name);
  Shape out;
  for (auto item : seq) out.push_back(as_int(item.ptr(), op));
  return out;
}

// An int or a sequence of ints (squeeze's dim, movedim's source/destination).
std::vector<int64_t> int_or_list(py::handle o, const char* op) {
  if (PyTuple_Check(o.ptr()) || PyList_Check(o.ptr())) {
    std::vector<int64_t> out;
    for (auto item : py::reinterpret_borrow<py::sequence>(o)) out.push_back(as_int(item.ptr(), op));
    return out;
  }
  return {as_int(o.ptr(), op)};
}

Tensor squeeze_any(const Tensor& t, py::handle dim) {
  if (dim.is_none()) return squeeze(t);
  if (PyLong_Check(dim.ptr())) return squeeze(t, as_int(dim.ptr(), "squeeze"));
  return squeeze(t, int_or_list(dim, "squeeze"));
}

Tensor movedim_any(const Tensor& t, py::handle source, py::handle destination) {
  return movedim(t, int_or_list(source, "movedim"), int_or_list(destination, "movedim"));
}

Tensor as_strided_py(const Tensor& t, const Shape& size, const Shape& stride, std::optional<int64_t> offset) {
  return as_strided(t, size, stride, offset.value_or(t.offset()));
}

}  // namespace

void bind_shape(py::module_& m) {
  TensorClass cls = tensor_class(m);
  cls.def("view", [](const Tensor& t, py::args a, py::kwargs k) { return view(t, int_list(a, k, "view", "size")); })
      .def("reshape", [](const Tensor& t, py::args a, py::kwargs k) {
        return reshape(t, int_list(a, k, "reshape", "shape"));
      })
      .def("view_as", [](const Tensor& t, const Tensor& other) { return view(t, other.shape()); }, py::arg("other"))
      .def("reshape_as", [](const Tensor& t, const Tensor& other) { return reshape(t, other.shape()); },
           py::arg("other"))
      .def("flatten", [](const Tensor& t, int64_t s, int64_t e) { return flatten(t, s, e); },
           py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("unflatten", [](const Tensor& t, int64_t dim, const Shape& sizes) { return unflatten(t, dim, sizes); },
           py::arg("dim"), py::arg("sizes"))
      .def("transpose", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); }, py::arg("dim0"),
           py::arg("dim1"))
      .def("swapaxes", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); }, py::arg("axis0"),
           py::arg("axis1"))
      .def("swapdims", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); }, py::arg("dim0"),
           py::arg("dim1"))
      .def("permute", [](const Tensor& t, py::args a, py::kwargs k) {
        return permute(t, int_list(a, k, "permute", "dims").vec());
      })
      .def("t", [](const Tensor& x) { return t(x); })
      .def_property_readonly("T", [](const Tensor& x) { return reverse_dims(x); })
      .def_property_readonly("mT", [](const Tensor& x) { return mT(x); })
      .def("movedim", &movedim_any, py::arg("source"), py::arg("destination"))
      .def("moveaxis", &movedim_any, py::arg("source"), py::arg("destination"))
      .def("expand", [](const Tensor& t, py::args a, py::kwargs k) { return expand(t, int_list(a, k, "expand", "size")); })
      .def("expand_as", [](const Tensor& t, const Tensor& other) { return expand_as(t, other); }, py::arg("other"))
      .def("broadcast_to", [](const Tensor& t, const Shape& s) { return broadcast_to(t, s); }, py::arg("size"))
      .def("squeeze", &squeeze_any, py::arg("dim") = py::none())
      .def("unsqueeze", [](const Tensor& t, int64_t d) { return unsqueeze(t, d); }, py::arg("dim"))
      .def("narrow", [](const Tensor& t, int64_t d, int64_t s, int64_t n) { return narrow(t, d, s, n); },
           py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("select", [](const Tensor& t, int64_t d, int64_t i) { return select(t, d, i); }, py::arg("dim"),
           py::arg("index"))
      .def("as_strided", &as_strided_py, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none())
      .def("unbind", [](const Tensor& t, int64_t d) { return py::tuple(py::cast(unbind(t, d))); }, py::arg("dim") = 0)
      .def("__iter__", [](const Tensor& t) {
        STEEPEST_CHECK(t.dim() > 0, TypeError, "iteration over a 0-d tensor");
        return py::iter(py::cast(unbind(t, 0)));
      });

  m.def("reshape", [](const Tensor& t, const Shape& s) { return reshape(t, s); }, py::arg("input"), py::arg("shape"));
  m.def("flatten", [](const Tensor& t, int64_t s, int64_t e) { return flatten(t, s, e); }, py::arg("input"),
        py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  m.def("unflatten", [](const Tensor& t, int64_t dim, const Shape& sizes) { return unflatten(t, dim, sizes); },
        py::arg("input"), py::arg("dim"), py::arg("sizes"));
  m.def("transpose", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); }, py::arg("input"),
        py::arg("dim0"), py::arg("dim1"));
  m.def("swapaxes", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); }, py::arg("input"),
        py::arg("axis0"), py::arg("axis1"));
  m.def("swapdims", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); }, py::arg("input"),
        py::arg("dim0"), py::arg("dim1"));
  m.def("permute", [](const Tensor& t, const Shape& dims) { return permute(t, dims.vec()); }, py::arg("input"),
        py::arg("dims"));
  m.def("t", [](const Tensor& x) { return t(x); }, py::arg("input"));
  m.def("movedim", &movedim_any, py::arg("input"), py::arg("source"), py::arg("destination"));
  m.def("moveaxis", &movedim_any, py::arg("input"), py::arg("source"), py::arg("destination"));
  m.def("broadcast_to", [](const Tensor& t, const Shape& s) { return broadcast_to(t, s); }, py::arg("input"),
        py::arg("size"));
  m.def("squeeze", &squeeze_any, py::arg("input"), py::arg("dim") = py::none());
  m.def("unsqueeze", [](const Tensor& t, int64_t d) { return unsqueeze(t, d); }, py::arg("input"), py::arg("dim"));
  m.def("narrow", [](const Tensor& t, int64_t d, int64_t s, int64_t n) { return narrow(t, d, s, n); },
        py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"));
  m.def("select", [](const Tensor& t, int64_t d, int64_t i) { return select(t, d, i); }, py::arg("input"),
        py::arg("dim"), py::arg("index"));
  m.def("as_strided", &as_strided_py, py::arg("input"), py::arg("size"), py::arg("stride"),
        py::arg("storage_offset") = py::none());
  m.def("unbind", [](const Tensor& t, int64_t d) { return py::tuple(py::cast(unbind(t, d))); }, py::arg("input"),
        py::arg("dim") = 0);
}

}  // namespace steepest::bindings
