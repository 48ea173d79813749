// Bindings for the shape op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_shape(py::module_& m) {}

}  // namespace steepest::bindings
