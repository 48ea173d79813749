// Bindings for indexing: Tensor.__getitem__/__setitem__ (a Python index object converted to
// TensorIndex items, with C-API type checks so t[0], t[:, 1], t[1:3] stay cheap), and the
// gather/scatter family. The semantics live in cpp/src/ops/index.cpp.
#include "bind.hpp"

namespace steepest::bindings {



namespace {

const py::module_& numpy() {
  static py::module_* np = new py::module_(py::module_::import("numpy"));  // lives as long as the process
  return *np;
}

bool is_tensor(PyObject* o) {
  static PyTypeObject* type = reinterpret_cast<PyTypeObject*>(py::type::of<TensorImpl>().ptr());
  return PyObject_TypeCheck(o, type);
}

// A numpy array as a tensor the indexing code accepts (int64/int32/bool), sharing memory
// when it can. `what` names the role in the error ("indices" or "values").
Tensor tensor_from_array(py::array arr) {
  for (py::ssize_t i = 0; i < arr.ndim(); ++i)
    if (arr.strides(i) < 0) { arr = py::array(numpy().attr("ascontiguousarray")(arr)); break; }
  return from_numpy(arr);
}

// A list / tuple / numpy array used as an index: an int64 or bool tensor (numpy's rules).
Tensor array_index(py::handle o) {
  if (PyList_Check(o.ptr())) {  // flat lists of Python ints are by far the common case
    Py_ssize_t n = PyList_GET_SIZE(o.ptr());
    bool all_int = n > 0;
    for (Py_ssize_t i = 0; i < n && all_int; ++i) {
      PyObject* item = PyList_GET_ITEM(o.ptr(), i);
      all_int = PyLong_CheckExact(item);
    }
    if (all_int) {
      Tensor t = Tensor::empty(Shape{int64_t(n)}, kInt64);
      int64_t* p = t.data<int64_t>();
      for (Py_ssize_t i = 0; i < n; ++i) {
        int overflow = 0;
        p[i] = PyLong_AsLongLongAndOverflow(PyList_GET_ITEM(o.ptr(), i), &overflow);
        STEEPEST_CHECK(!overflow, IndexError, "index ", std::string(py::str(PyList_GET_ITEM(o.ptr(), i))),
                       " is out of range for int64");
      }
      return t;
    }
  }
  py::array arr = py::array(numpy().attr("asarray")(o));
  char kind = arr.dtype().kind();
  if (kind == 'b') return tensor_from_array(arr);
  if (kind == 'i' || kind == 'u' || arr.size() == 0) {  // numpy indexes with an empty list as intp
    if (!(kind == 'i' && (arr.itemsize() == 8 || arr.itemsize() == 4))) arr = py::array(arr.attr("astype")("int64"));
    return tensor_from_array(arr);
  }
  throw IndexError(str("arrays used as indices must be of integer (or boolean) type (got ",
                       std::string(py::str(arr.dtype())), ")"));
}

[[noreturn]] void bad_index(PyObject* o) {
  throw IndexError(str("only integers, slices (`:`), ellipsis (`...`), None, bools and integer or bool tensors are "
                       "valid indices (got ", Py_TYPE(o)->tp_name, ")"));
}

// One element of an index tuple.
TensorIndex index_item(PyObject* o) {
  if (PyLong_CheckExact(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    STEEPEST_CHECK(!overflow, IndexError, "index ", std::string(py::str(o)), " is out of range for int64");
    return TensorIndex::from_int(v);
  }
  if (PySlice_Check(o)) {
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw py::error_already_set();
    Slice s;
    auto* sl = reinterpret_cast<PySliceObject*>(o);
    if (sl->start != Py_None) s.start = start;
    if (sl->stop != Py_None) s.stop = stop;
    s.step = step;
    return TensorIndex::from_slice(s);
  }
  if (o == Py_None) return TensorIndex::none();
  if (o == Py_Ellipsis) return TensorIndex::ellipsis();
  if (PyBool_Check(o)) return TensorIndex::from_bool(o == Py_True);
  if (is_tensor(o)) return TensorIndex::from_tensor(py::handle(o).cast<Tensor>());
  // A range is a list of ints (torch indexes with it the same way).
  if (PyList_Check(o) || PyTuple_Check(o) || PyRange_Check(o) || py::isinstance<py::array>(o))
    return TensorIndex::from_tensor(array_index(o));
  if (PyIndex_Check(o)) {  // numpy integer scalars and other __index__ objects
    Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_IndexError);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    return TensorIndex::from_int(v);
  }
  if (PyObject_HasAttrString(o, "dtype")) {  // numpy bool scalars
    py::array arr = py::array(numpy().attr("asarray")(py::handle(o)));
    if (arr.ndim() == 0 && arr.dtype().kind() == 'b') return TensorIndex::from_bool(py::bool_(arr.attr("item")()));
  }
  bad_index(o);
}

// A Python index object (what goes between the brackets) as TensorIndex items. A tuple is
// several items; anything else is one (a list is an array index, as in numpy).
class Indices {
 public:
  explicit Indices(py::handle obj) {
    PyObject* o = obj.ptr();
    if (!PyTuple_Check(o)) {
      fixed_[0] = index_item(o);
      n_ = 1;
      return;
    }
    n_ = size_t(PyTuple_GET_SIZE(o));
    TensorIndex* dst = fixed_;
    if (n_ > kFixed) {
      heap_.resize(n_);
      dst = heap_.data();
    }
    for (size_t i = 0; i < n_; ++i) dst[i] = index_item(PyTuple_GET_ITEM(o, Py_ssize_t(i)));
  }
  const TensorIndex* data() const { return n_ > kFixed ? heap_.data() : fixed_; }
  size_t size() const { return n_; }

 private:
  static constexpr size_t kFixed = 6;
  TensorIndex fixed_[kFixed];
  std::vector<TensorIndex> heap_;
  size_t n_ = 0;
};

bool is_number(PyObject* o) { return PyFloat_Check(o) || PyLong_Check(o); }  // bools are ints

// A value to assign: a tensor as is; numpy arrays, lists and numpy scalars as tensors.
Tensor value_tensor(py::handle v) {
  if (is_tensor(v.ptr())) return v.cast<Tensor>();
  py::array arr = py::array(numpy().attr("asarray")(v));
  char kind = arr.dtype().kind();
  size_t isz = size_t(arr.itemsize());
  bool supported = kind == 'b' || (kind == 'i' && (isz == 4 || isz == 8)) || (kind == 'f' && isz != 16);
  if (!supported) {
    STEEPEST_CHECK(kind == 'i' || kind == 'u' || kind == 'f', TypeError, "can't assign a value of type ",
                   Py_TYPE(v.ptr())->tp_name, " (numpy dtype ", std::string(py::str(arr.dtype())), ") to a tensor");
    arr = py::array(arr.attr("astype")(kind == 'f' ? "float64" : "int64"));
  }
  return tensor_from_array(arr);
}

void setitem(Tensor& t, py::handle idx, py::handle value) {
  Indices ix(idx);
  PyObject* v = value.ptr();
  if (is_number(v)) index_put_(t, ix.data(), ix.size(), value.cast<Scalar>());
  else index_put_(t, ix.data(), ix.size(), value_tensor(value));
}

Tensor index_put(Tensor t, py::handle indices, py::handle values, bool accumulate) {
  // torch's index_put_ takes a sequence of index tensors: a list means a tuple here
  py::object seq = PyList_Check(indices.ptr()) ? py::object(py::tuple(py::reinterpret_borrow<py::list>(indices)))
                                               : py::reinterpret_borrow<py::object>(indices);
  Indices ix(seq);
  if (is_number(values.ptr()) && !accumulate) index_put_(t, ix.data(), ix.size(), values.cast<Scalar>());
  else index_put_(t, ix.data(), ix.size(), value_tensor(values), accumulate);
  return t;
}

Tensor getitem(const Tensor& t, py::handle idx) {
  if (PyLong_CheckExact(idx.ptr())) {  // t[i]: no Indices object
    TensorIndex one = index_item(idx.ptr());
    return index(t, &one, 1);
  }
  Indices ix(idx);
  return index(t, ix.data(), ix.size());
}

// t[i] and t[i] = v go through these type slots directly: the generic slot that calls the
// bound __getitem__ would double the cost of t[0].
PyObject* getitem_slot(PyObject* self, PyObject* key) {
  try {
    return py::cast(getitem(py::handle(self).cast<Tensor>(), key)).release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    set_python_error();
  }
  return nullptr;
}

int setitem_slot(PyObject* self, PyObject* key, PyObject* value) {
  if (!value) {
    PyErr_SetString(PyExc_TypeError, "tensors do not support item deletion");
    return -1;
  }
  try {
    Tensor t = py::handle(self).cast<Tensor>();
    setitem(t, key, value);
    return 0;
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    set_python_error();
  }
  return -1;
}

}  // namespace

void bind_index(py::module_& m) {
  TensorClass cls = tensor_class(m);
  cls.def("__getitem__", &getitem, py::arg("index"))
      .def("__setitem__", [](Tensor& t, py::handle idx, py::handle value) { setitem(t, idx, value); })
      .def("index_put_", [](Tensor& t, py::handle indices, py::handle values, bool accumulate) {
        return index_put(t, indices, values, accumulate);
      }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false)
      .def("index_put", [](const Tensor& t, py::handle indices, py::handle values, bool accumulate) {
        return index_put(clone(t), indices, values, accumulate);
      }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false)
      .def("index_select", [](const Tensor& t, int64_t dim, const Tensor& index) { return index_select(t, dim, index); },
           py::arg("dim"), py::arg("index"))
      .def("masked_fill", [](const Tensor& t, const Tensor& mask, const Tensor& v) { return masked_fill(t, mask, v); },
           py::arg("mask"), py::arg("value"))
      .def("masked_fill", [](const Tensor& t, const Tensor& mask, Scalar v) { return masked_fill(t, mask, v); },
           py::arg("mask"), py::arg("value"))
      .def("masked_fill_", [](Tensor& t, const Tensor& mask, const Tensor& v) { return masked_fill_(t, mask, v); },
           py::arg("mask"), py::arg("value"))
      .def("masked_fill_", [](Tensor& t, const Tensor& mask, Scalar v) { return masked_fill_(t, mask, v); },
           py::arg("mask"), py::arg("value"))
      .def("gather", [](const Tensor& t, int64_t dim, const Tensor& index) { return gather(t, dim, index); },
           py::arg("dim"), py::arg("index"))
      .def("scatter_add_", [](Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
        return scatter_add_(t, dim, index, src);
      }, py::arg("dim"), py::arg("index"), py::arg("src"))
      .def("scatter_add", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
        return scatter_add(t, dim, index, src);
      }, py::arg("dim"), py::arg("index"), py::arg("src"))
      .def("scatter_", [](Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
        return scatter_(t, dim, index, src);
      }, py::arg("dim"), py::arg("index"), py::arg("src"))
      .def("scatter_", [](Tensor& t, int64_t dim, const Tensor& index, Scalar value) {
        return scatter_(t, dim, index, value);
      }, py::arg("dim"), py::arg("index"), py::arg("value"))
      .def("scatter", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
        Tensor out = clone(t);
        return scatter_(out, dim, index, src);
      }, py::arg("dim"), py::arg("index"), py::arg("src"))
      .def("scatter", [](const Tensor& t, int64_t dim, const Tensor& index, Scalar value) {
        Tensor out = clone(t);
        return scatter_(out, dim, index, value);
      }, py::arg("dim"), py::arg("index"), py::arg("value"))
      .def("nonzero", [](const Tensor& t, bool as_tuple) -> py::object {
        if (!as_tuple) return py::cast(nonzero(t));
        return py::tuple(py::cast(nonzero_columns(t)));
      }, py::kw_only(), py::arg("as_tuple") = false)
      .def("take_along_dim", [](const Tensor& t, const Tensor& indices, std::optional<int64_t> dim) {
        return take_along_dim(t, indices, dim);
      }, py::arg("indices"), py::arg("dim") = py::none());

  // After the defs above (defining __getitem__ resets the slots): point them at the C functions.
  auto* type = reinterpret_cast<PyHeapTypeObject*>(cls.ptr());
  if (type->ht_type.tp_as_mapping == &type->as_mapping) {  // pybind11's heap type layout
    type->as_mapping.mp_subscript = &getitem_slot;
    type->as_mapping.mp_ass_subscript = &setitem_slot;
    PyType_Modified(&type->ht_type);
  }

  m.def("index_select", [](const Tensor& t, int64_t dim, const Tensor& index) { return index_select(t, dim, index); },
        py::arg("input"), py::arg("dim"), py::arg("index"));
  m.def("masked_fill", [](const Tensor& t, const Tensor& mask, const Tensor& v) { return masked_fill(t, mask, v); },
        py::arg("input"), py::arg("mask"), py::arg("value"));
  m.def("masked_fill", [](const Tensor& t, const Tensor& mask, Scalar v) { return masked_fill(t, mask, v); },
        py::arg("input"), py::arg("mask"), py::arg("value"));
  m.def("gather", [](const Tensor& t, int64_t dim, const Tensor& index) { return gather(t, dim, index); },
        py::arg("input"), py::arg("dim"), py::arg("index"));
  m.def("scatter_add", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    return scatter_add(t, dim, index, src);
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("scatter", [](const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    Tensor out = clone(t);
    return scatter_(out, dim, index, src);
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("scatter", [](const Tensor& t, int64_t dim, const Tensor& index, Scalar value) {
    Tensor out = clone(t);
    return scatter_(out, dim, index, value);
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("value"));
  m.def("nonzero", [](const Tensor& t, bool as_tuple) -> py::object {
    if (!as_tuple) return py::cast(nonzero(t));
    return py::tuple(py::cast(nonzero_columns(t)));
  }, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false);
  m.def("take_along_dim", [](const Tensor& t, const Tensor& indices, std::optional<int64_t> dim) {
    return take_along_dim(t, indices, dim);
  }, py::arg("input"), py::arg("indices"), py::arg("dim") = py::none());
  m.def("index_put", [](const Tensor& t, py::handle indices, py::handle values, bool accumulate) {
    return index_put(clone(t), indices, values, accumulate);
  }, py::arg("input"), py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
}

}  // namespace steepest::bindings
