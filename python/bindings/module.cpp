// The extension module steepest._core: exception mapping, then each family's bindings.
#include <cstring>

#include "bind.hpp"

namespace steepest::bindings {

void bind_float8(py::module_& m);  // bind_float8.cpp
void bind_cuda(py::module_& m);  // bind_cuda.cpp

TensorClass tensor_class(py::module_& m) { return py::reinterpret_borrow<TensorClass>(m.attr("Tensor")); }

// The fast CPython slots run the same translators as pybind11-bound functions (below), so the
// exception mapping is written once.
void set_python_error() { py::detail::try_translate_exceptions(); }

namespace {
// Sets a Python exception from a C++ message. Messages quote user data (file names, keys
// from a file's header) that need not be UTF-8: those bytes are escaped (\xff), never a
// second exception from decoding the first.
void set_error(PyObject* type, const char* what) {
  PyObject* msg = PyUnicode_DecodeUTF8(what, Py_ssize_t(std::strlen(what)), "backslashreplace");
  if (!msg) return;  // out of memory: that error stands
  PyErr_SetObject(type, msg);
  Py_DECREF(msg);
}

// OSError(errno, "strerror (call)") with .filename, as open() raises it: Python picks the
// subclass from errno (FileNotFoundError, PermissionError, ...) and prints
// "[Errno 2] No such file or directory (open): 'path'".
void set_os_error(const steepest::OSError& e) {
  const std::string text = steepest::str(std::strerror(e.error_number()), " (", e.call(), ")");
  PyObject* exc = PyObject_CallFunction(PyExc_OSError, "is", e.error_number(), text.c_str());
  if (!exc) return;
  PyObject* name = PyUnicode_DecodeFSDefaultAndSize(e.path().data(), Py_ssize_t(e.path().size()));
  if (name) {
    PyObject_SetAttrString(exc, "filename", name);
    Py_DECREF(name);
  }
  PyErr_Clear();  // a failed filename is not worth replacing the error itself
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
  Py_DECREF(exc);
}
}  // namespace

}  // namespace steepest::bindings

PYBIND11_MODULE(_core, m) {
  using namespace steepest::bindings;
  m.doc() = "steepest C++ core";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const steepest::ValueError& e) {
      set_error(PyExc_ValueError, e.what());
    } catch (const steepest::TypeError& e) {
      set_error(PyExc_TypeError, e.what());
    } catch (const steepest::IndexError& e) {
      set_error(PyExc_IndexError, e.what());
    } catch (const steepest::NotImplementedError& e) {
      set_error(PyExc_NotImplementedError, e.what());
    } catch (const steepest::OSError& e) {
      set_os_error(e);
    } catch (const steepest::Error& e) {
      set_error(PyExc_RuntimeError, e.what());
    }
  });
  bind_runtime(m);
  bind_tensor(m);
  bind_creation(m);
  bind_elementwise(m);
  bind_reduce(m);
  bind_linalg(m);
  bind_join(m);
  bind_shape(m);
  bind_random(m);
  bind_index(m);
  bind_interop(m);
  bind_autograd(m);
  bind_io(m);
  bind_schedule(m);
  bind_optim(m);
  bind_nn(m);
  bind_batch_norm(m);
  bind_conv(m);
  bind_rnn(m);
  bind_sort(m);
  bind_divmod(m);
  bind_count(m);
  bind_autocast(m);
  bind_float8(m);
  bind_cuda(m);
  // __all__ is what steepest/__init__.py's `from ._core import *` puts in the top-level
  // namespace: the public names, less the learning-rate schedules (_core.schedule and its
  // schedule_<name> aliases), whose home is steepest.optim.lr_scheduler.
  py::list all;
  for (auto item : m.attr("__dict__").cast<py::dict>()) {
    auto name = item.first.cast<std::string>();
    if (name[0] == '_' || name == "schedule" || name.rfind("schedule_", 0) == 0) continue;
    all.append(name);
  }
  m.attr("__all__") = all;
}
