// Shared pieces of the pybind11 bindings: the Tensor <-> Python conversion and the
// per-family binder functions that module.cpp calls. Bindings convert; they hold no logic.
#pragma once
#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "steepest/steepest.hpp"

namespace py = pybind11;

// Python's `steepest.Tensor` is the bound TensorImpl held by shared_ptr, so a C++ Tensor
// returned twice maps to the same Python object (identity, like torch).
namespace pybind11::detail {
// A torch.Tensor or torch.device handed to steepest fails with one line saying what to do
// instead of pybind's list of overloads (which would print the tensors). Called only once an
// argument failed to convert; the type-name test keeps numbers on the fast path.
inline void reject_torch(PyObject* o) {
  const char* n = Py_TYPE(o)->tp_name;
  bool named = std::strcmp(n, "Tensor") == 0 || std::strcmp(n, "Parameter") == 0 || std::strcmp(n, "torch.device") == 0;
  if (!named) return;
  object mod = reinterpret_borrow<object>(reinterpret_cast<PyObject*>(Py_TYPE(o))).attr("__module__");
  std::string m = str(mod);
  if (m.rfind("torch", 0) != 0) return;
  if (std::strcmp(n, "torch.device") == 0)
    throw type_error("got a torch.device; steepest takes a device string such as 'cpu' or a steepest.device");
  throw type_error("got a torch.Tensor; convert it with st.from_numpy(t.detach().numpy()) or st.tensor(t.tolist())");
}

template <>
struct type_caster<steepest::Tensor> {
  PYBIND11_TYPE_CASTER(steepest::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert) {
    // Reject non-tensors with one type check: pybind's generic load fails slowly (it looks
    // for foreign-module conversions), and overloads like (Tensor, Tensor) / (Tensor, Number)
    // hit that path on every `t * 2`.
    static PyTypeObject* tensor_type = nullptr;
    if (!tensor_type) {
      if (const type_info* ti = get_type_info(typeid(steepest::TensorImpl))) tensor_type = ti->type;
    }
    if (tensor_type && !PyObject_TypeCheck(src.ptr(), tensor_type)) {
      reject_torch(src.ptr());
      return false;
    }
    make_caster<std::shared_ptr<steepest::TensorImpl>> holder;
    if (src.is_none() || !holder.load(src, convert)) return false;
    value = steepest::Tensor(static_cast<std::shared_ptr<steepest::TensorImpl>&>(holder));
    return true;
  }
  static handle cast(const steepest::Tensor& t, return_value_policy, handle parent) {
    if (!t.defined()) return none().release();
    return make_caster<std::shared_ptr<steepest::TensorImpl>>::cast(t.impl_ptr(), return_value_policy::take_ownership,
                                                                     parent);
  }
};

// steepest.device arguments: the bound class, plus the torch.device message above.
template <>
struct type_caster<steepest::Device> : type_caster_base<steepest::Device> {
  bool load(handle src, bool convert) {
    if (type_caster_base<steepest::Device>::load(src, convert)) return true;
    reject_torch(src.ptr());
    return false;
  }
};

// Python numbers become Scalars (bool before int: bool is an int subclass in Python).
template <>
struct type_caster<steepest::Scalar> {
  PYBIND11_TYPE_CASTER(steepest::Scalar, const_name("Number"));
  bool load(handle src, bool) {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) { value = steepest::Scalar(o == Py_True); return true; }
    if (PyLong_Check(o)) {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow) return false;
      value = steepest::Scalar(int64_t(v));
      return true;
    }
    if (PyFloat_Check(o)) { value = steepest::Scalar(PyFloat_AS_DOUBLE(o)); return true; }
    // numpy scalars and 0-d arrays (never tensors, never arrays of several elements: those
    // must fall through to the next overload, not raise from .item()).
    if (isinstance<steepest::TensorImpl>(src)) return false;
    if (PyObject_HasAttrString(o, "dtype") && PyObject_HasAttrString(o, "item")) {
      if (PyObject_HasAttrString(o, "ndim") && reinterpret_borrow<object>(src).attr("ndim").cast<int64_t>() != 0)
        return false;
      object item = reinterpret_borrow<object>(src).attr("item")();
      if (item.ptr() == o) return false;
      return load(item, false);
    }
    return false;
  }
  static handle cast(const steepest::Scalar& s, return_value_policy, handle) {
    if (s.is_bool()) return PyBool_FromLong(s.to_int());
    if (s.is_int()) return PyLong_FromLongLong(s.to_int());
    return PyFloat_FromDouble(s.to_double());
  }
};

// Shapes are accepted as tuples/lists of ints and returned as tuples.
template <>
struct type_caster<steepest::Shape> {
  PYBIND11_TYPE_CASTER(steepest::Shape, const_name("tuple[int, ...]"));
  bool load(handle src, bool) {
    if (!isinstance<sequence>(src) || isinstance<str>(src)) return false;
    auto seq = reinterpret_borrow<sequence>(src);
    value.clear();
    for (auto item : seq) {
      if (!PyLong_Check(item.ptr()) || PyBool_Check(item.ptr())) {
        if (!PyIndex_Check(item.ptr())) return false;
      }
      value.push_back(item.cast<int64_t>());
    }
    return true;
  }
  static handle cast(const steepest::Shape& s, return_value_policy, handle) {
    tuple t(s.size());
    for (size_t i = 0; i < s.size(); ++i) PyTuple_SET_ITEM(t.ptr(), Py_ssize_t(i), PyLong_FromLongLong(s[i]));
    return t.release();
  }
};
}  // namespace pybind11::detail

namespace steepest::bindings {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// Methods on TensorClass receive the Tensor handle, so bind lambdas taking `const Tensor&`
// (or `Tensor&`), or wrap a const member function with method(&Tensor::f).
template <class R, class... A>
auto method(R (Tensor::*f)(A...) const) {
  return [f](const Tensor& t, A... a) -> R { return (t.*f)(a...); };
}
// The Tensor class object, for binder files that add methods to it.
TensorClass tensor_class(py::module_& m);

// The size of torch-style factories: f(2, 3), f((2, 3)), f([2, 3]) or f(size=(2, 3)).
// `op` names the function in errors. (Defined in bind_random.cpp.)
Shape size_from_args(const char* op, const py::args& args, const py::object& size_kw);

// DType objects are exposed as st.float32 etc.; they convert from the Python DType enum.
// Inside a catch block of a raw CPython function (fast slots): sets the Python error for the
// exception in flight, as the module's translators would (module.cpp).
void set_python_error();

// A tensor sharing a numpy array's memory (bind_interop.cpp); TypeError for non-arrays.
Tensor from_numpy(const py::object& obj);

void bind_runtime(py::module_& m);
void bind_tensor(py::module_& m);
void bind_creation(py::module_& m);
void bind_elementwise(py::module_& m);
void bind_reduce(py::module_& m);
void bind_linalg(py::module_& m);
void bind_join(py::module_& m);
void bind_shape(py::module_& m);
void bind_random(py::module_& m);
void bind_index(py::module_& m);
void bind_interop(py::module_& m);
void bind_autograd(py::module_& m);
void bind_io(py::module_& m);
void bind_schedule(py::module_& m);
void bind_optim(py::module_& m);
void bind_nn(py::module_& m);
void bind_batch_norm(py::module_& m);
void bind_conv(py::module_& m);
void bind_rnn(py::module_& m);
void bind_sort(py::module_& m);
void bind_divmod(py::module_& m);
void bind_count(py::module_& m);
void bind_autocast(py::module_& m);

}  // namespace steepest::bindings
