// Bindings for the reduce op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_reduce(py::module_& m) {}

}  // namespace steepest::bindings
