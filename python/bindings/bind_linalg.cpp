// Bindings for the linalg op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_linalg(py::module_& m) {}

}  // namespace steepest::bindings
