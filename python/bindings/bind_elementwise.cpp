// Bindings for the elementwise op family (see cpp/include/steepest/ops).
#include "bind.hpp"

namespace steepest::bindings {

void bind_elementwise(py::module_& m) {}

}  // namespace steepest::bindings
