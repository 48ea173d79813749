// Bindings for the index op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_index(py::module_& m) {}

}  // namespace steepest::bindings
