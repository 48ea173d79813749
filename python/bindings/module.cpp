// The extension module steepest._core: exception mapping, then each family's bindings.
#include "bind.hpp"

namespace steepest::bindings {

TensorClass tensor_class(py::module_& m) { return py::reinterpret_borrow<TensorClass>(m.attr("Tensor")); }

// The fast CPython slots run the same translators as pybind11-bound functions (below), so the
// exception mapping is written once.
void set_python_error() { py::detail::try_translate_exceptions(); }

}  // namespace steepest::bindings

PYBIND11_MODULE(_core, m) {
  using namespace steepest::bindings;
  m.doc() = "steepest C++ core";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const steepest::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const steepest::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const steepest::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const steepest::NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const steepest::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
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
