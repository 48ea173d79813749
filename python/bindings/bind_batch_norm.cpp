// Binding of batch norm as steepest._core._nn_batch_norm, with torch.nn.functional.batch_norm's
// argument names and defaults. st.nn.functional.batch_norm and the BatchNorm modules wrap it.
#include "bind.hpp"

namespace steepest::bindings {

void bind_batch_norm(py::module_& m) {
  namespace F = steepest::nn::functional;
  using O = std::optional<Tensor>;
  auto opt = [](const O& t) { return t ? *t : Tensor(); };
  m.def("_nn_batch_norm",
        [opt](const Tensor& x, const O& rm, const O& rv, const O& w, const O& b, bool training, double momentum,
              double eps) { return F::batch_norm(x, opt(rm), opt(rv), opt(w), opt(b), training, momentum, eps); },
        py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1,
        py::arg("eps") = 1e-5);
}

}  // namespace steepest::bindings
