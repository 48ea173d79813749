// Bindings for matrix products: st.matmul/mm/bmm/mv/dot, the Tensor methods, @ and reflected @.
#include "bind.hpp"

namespace steepest::bindings {

void bind_linalg(py::module_& m) {
  m.def("matmul", &matmul, py::arg("input"), py::arg("other"));
  m.def("mm", &mm, py::arg("input"), py::arg("mat2"));
  m.def("bmm", &bmm, py::arg("input"), py::arg("mat2"));
  m.def("mv", &mv, py::arg("input"), py::arg("vec"));
  m.def("dot", &dot, py::arg("input"), py::arg("tensor"));
  // Private: the in-place GEMM with alpha/beta, and the bfloat16 GEMM's path and ceiling.
  m.def("_gemm_", [](Tensor& c, const Tensor& a, const Tensor& b, double alpha, double beta) -> Tensor& {
    return gemm_(c, a, b, alpha, beta);
  }, py::arg("c"), py::arg("a"), py::arg("b"), py::arg("alpha") = 1.0, py::arg("beta") = 0.0);
  m.def("_bf16_gemm_path", &bf16_gemm_path);
  m.def("_set_bf16_gemm_path", &set_bf16_gemm_path, py::arg("path"));
  m.def("_bf16_peak_gflops", &bf16_peak_gflops, py::arg("threads"), py::arg("seconds") = 0.2,
        py::arg("cpu_time") = false, py::call_guard<py::gil_scoped_release>());

  TensorClass cls = tensor_class(m);
  cls.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::arg("other"))
      .def("mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); }, py::arg("mat2"))
      .def("bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); }, py::arg("mat2"))
      .def("mv", [](const Tensor& a, const Tensor& b) { return mv(a, b); }, py::arg("vec"))
      .def("dot", [](const Tensor& a, const Tensor& b) { return dot(a, b); }, py::arg("tensor"))
      // is_operator: a non-Tensor operand gives NotImplemented, so Python tries the other side.
      .def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::is_operator())
      .def("__rmatmul__", [](const Tensor& a, const Tensor& b) { return matmul(b, a); }, py::is_operator());
}

}  // namespace steepest::bindings
