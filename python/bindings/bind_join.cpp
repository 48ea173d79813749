// Bindings for the join op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_join(py::module_& m) {}

}  // namespace steepest::bindings
