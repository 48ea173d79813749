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

// A sequence of ints (tuple and list fast; any other sequence the slow way).
Shape seq_ints(PyObject* src, const char* op) {
  if (PyTuple_Check(src) || PyList_Check(src)) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(src);
    PyObject** items = PySequence_Fast_ITEMS(src);
    Shape out(size_t(n), 0);
    for (Py_ssize_t i = 0; i < n; ++i) out[size_t(i)] = as_int(items[i], op);
    return out;
  }
  STEEPEST_CHECK(PySequence_Check(src), TypeError, op, "(): expected a sequence of ints, got ", Py_TYPE(src)->tp_name);
  Shape out;
  for (auto item : py::reinterpret_borrow<py::sequence>(src)) out.push_back(as_int(item.ptr(), op));
  return out;
}

// Sizes / dims given as varargs (t.view(2, 3)), as one sequence (t.view((2, 3))) or by
// keyword (t.reshape(shape=(2, 3))), in CPython's vectorcall layout.
Shape int_list(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* op, const char* kw) {
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nkw) {
    STEEPEST_CHECK(nargs == 0 && nkw == 1 && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), kw) == 0,
                   TypeError, op, "() takes its sizes as positional arguments or as the keyword '", kw, "'");
    return seq_ints(args[0], op);
  }
  if (nargs == 1 && (PyTuple_Check(args[0]) || PyList_Check(args[0]) ||
                     (!PyIndex_Check(args[0]) && PySequence_Check(args[0]))))
    return seq_ints(args[0], op);
  Shape out(size_t(nargs), 0);
  for (Py_ssize_t i = 0; i < nargs; ++i) out[size_t(i)] = as_int(args[i], op);
  return out;
}

// The most used view methods are plain CPython methods (METH_FASTCALL): pybind11's general
// argument handling (py::args, keywords) would cost more than the view itself. First those
// taking sizes as varargs, a sequence or a keyword.
template <Tensor (*Op)(const Tensor&, Shape), const char* Name, const char* Kw>
PyObject* sizes_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  try {
    Tensor t = py::handle(self).cast<Tensor>();
    return py::cast(Op(t, int_list(args, nargs, kwnames, Name, Kw))).release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    set_python_error();
  }
  return nullptr;
}

Tensor permute_sizes(const Tensor& t, Shape dims) { return permute(t, dims.vec()); }

// t.view(*shape) and torch's other overload t.view(dtype) (also dtype=...): a single dtype
// argument reinterprets the bytes; anything else goes to the sizes parser above.
constexpr char kViewName[] = "view", kViewSize[] = "size";
PyObject* view_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  const bool dtype_kw = nargs == 0 && nkw == 1 && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "dtype") == 0;
  if (dtype_kw || (nargs == 1 && nkw == 0 && py::isinstance<DType>(args[0]))) {
    try {
      STEEPEST_CHECK(py::isinstance<DType>(args[0]), TypeError, "view(): dtype must be a dtype such as st.int32, got ",
                     Py_TYPE(args[0])->tp_name);
      return py::cast(steepest::view(py::handle(self).cast<Tensor>(), py::handle(args[0]).cast<DType>()))
          .release()
          .ptr();
    } catch (py::error_already_set& e) {
      e.restore();
    } catch (...) {
      set_python_error();
    }
    return nullptr;
  }
  return sizes_method<&steepest::view, kViewName, kViewSize>(self, args, nargs, kwnames);
}

// The same for methods taking a fixed list of required ints (t.transpose(0, 1),
// t.unsqueeze(dim=0)): positional or by name.
template <size_t K, Tensor (*Op)(const Tensor&, const int64_t*), const char* Name, const char* const* Kws>
PyObject* ints_method(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  try {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    STEEPEST_CHECK(size_t(nargs + nkw) == K, TypeError, Name, "() takes ", K, " arguments (", nargs + nkw, " given)");
    int64_t v[K];
    bool set[K] = {};
    for (Py_ssize_t i = 0; i < nargs; ++i) v[i] = as_int(args[i], Name), set[i] = true;
    for (Py_ssize_t j = 0; j < nkw; ++j) {
      size_t k = 0;
      while (k < K && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, j), Kws[k]) != 0) ++k;
      STEEPEST_CHECK(k < K && !set[k], TypeError, Name, "() got an unexpected or repeated keyword argument '",
                     PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, j)), "'");
      v[k] = as_int(args[nargs + j], Name);
      set[k] = true;
    }
    return py::cast(Op(py::handle(self).cast<Tensor>(), v)).release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    set_python_error();
  }
  return nullptr;
}

Tensor transpose_ints(const Tensor& t, const int64_t* a) { return transpose(t, a[0], a[1]); }
Tensor unsqueeze_ints(const Tensor& t, const int64_t* a) { return unsqueeze(t, a[0]); }
Tensor select_ints(const Tensor& t, const int64_t* a) { return select(t, a[0], a[1]); }
Tensor narrow_ints(const Tensor& t, const int64_t* a) { return narrow(t, a[0], a[1], a[2]); }

constexpr char kView[] = "view", kReshape[] = "reshape", kPermute[] = "permute", kExpand[] = "expand";
constexpr char kSize[] = "size", kShape[] = "shape", kDims[] = "dims";
constexpr char kTranspose[] = "transpose", kSwapaxes[] = "swapaxes", kSwapdims[] = "swapdims",
               kUnsqueeze[] = "unsqueeze", kSelect[] = "select", kNarrow[] = "narrow";
constexpr const char* kDim01[] = {"dim0", "dim1"};
constexpr const char* kAxis01[] = {"axis0", "axis1"};
constexpr const char* kDimOnly[] = {"dim"};
constexpr const char* kDimIndex[] = {"dim", "index"};
constexpr const char* kDimStartLength[] = {"dim", "start", "length"};

#define STEEPEST_SIZES_METHOD(name, fn, kw, doc) \
  {name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(&sizes_method<fn, name, kw>)), \
   METH_FASTCALL | METH_KEYWORDS, doc}
PyMethodDef fast_methods[] = {
    {kView, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(&view_method)), METH_FASTCALL | METH_KEYWORDS,
     "view(*shape): the same data with another shape (no copy); view(dtype): the same bytes as another dtype."},
    STEEPEST_SIZES_METHOD(kReshape, &steepest::reshape, kShape, "reshape(*shape): a view when possible, else a copy."),
    STEEPEST_SIZES_METHOD(kPermute, &permute_sizes, kDims, "permute(*dims): the dims reordered (a view)."),
    STEEPEST_SIZES_METHOD(kExpand, &steepest::expand, kSize,
                          "expand(*sizes): size-1 dims repeated without copying (-1 keeps a size)."),
#define STEEPEST_INTS_METHOD(name, k, fn, kws, doc) \
  {name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(&ints_method<k, fn, name, kws>)), \
   METH_FASTCALL | METH_KEYWORDS, doc}
    STEEPEST_INTS_METHOD(kTranspose, 2, &transpose_ints, kDim01, "transpose(dim0, dim1): two dims swapped (a view)."),
    STEEPEST_INTS_METHOD(kSwapaxes, 2, &transpose_ints, kAxis01, "swapaxes(axis0, axis1): transpose."),
    STEEPEST_INTS_METHOD(kSwapdims, 2, &transpose_ints, kDim01, "swapdims(dim0, dim1): transpose."),
    STEEPEST_INTS_METHOD(kUnsqueeze, 1, &unsqueeze_ints, kDimOnly, "unsqueeze(dim): a new size-1 dim (a view)."),
    STEEPEST_INTS_METHOD(kSelect, 2, &select_ints, kDimIndex, "select(dim, index): one slice, dim removed (a view)."),
    STEEPEST_INTS_METHOD(kNarrow, 3, &narrow_ints, kDimStartLength,
                         "narrow(dim, start, length): a range along dim (a view)."),
};
#undef STEEPEST_SIZES_METHOD
#undef STEEPEST_INTS_METHOD

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
  for (PyMethodDef& def : fast_methods) {
    PyObject* descr = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), &def);
    if (!descr) throw py::error_already_set();
    cls.attr(def.ml_name) = py::reinterpret_steal<py::object>(descr);
  }
  cls.def("view_as", [](const Tensor& t, const Tensor& other) { return view(t, other.shape()); }, py::arg("other"))
      .def("reshape_as", [](const Tensor& t, const Tensor& other) { return reshape(t, other.shape()); },
           py::arg("other"))
      .def("flatten", [](const Tensor& t, int64_t s, int64_t e) { return flatten(t, s, e); },
           py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("unflatten", [](const Tensor& t, int64_t dim, const Shape& sizes) { return unflatten(t, dim, sizes); },
           py::arg("dim"), py::arg("sizes"))
      .def("t", [](const Tensor& x) { return t(x); })
      .def_property_readonly("T", [](const Tensor& x) { return reverse_dims(x); })
      .def_property_readonly("mT", [](const Tensor& x) { return mT(x); })
      .def("movedim", &movedim_any, py::arg("source"), py::arg("destination"))
      .def("moveaxis", &movedim_any, py::arg("source"), py::arg("destination"))
      .def("expand_as", [](const Tensor& t, const Tensor& other) { return expand_as(t, other); }, py::arg("other"))
      .def("broadcast_to", [](const Tensor& t, const Shape& s) { return broadcast_to(t, s); }, py::arg("size"))
      .def("squeeze", &squeeze_any, py::arg("dim") = py::none())
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
