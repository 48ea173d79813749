// Bindings for the random op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_random(py::module_& m) {}

}  // namespace steepest::bindings
