// Bindings for FP8 (steepest/ops/float8.hpp): st._scaled_mm and the recipe's ops that
// steepest.nn.Float8Linear wires together.
#include "bind.hpp"
#include "steepest/ops/float8.hpp"

namespace steepest::bindings {

void bind_float8(py::module_& m) {
  m.def("_scaled_mm",
        [](const Tensor& a, const Tensor& b, const Tensor& scale_a, const Tensor& scale_b,
           const std::optional<Tensor>& bias, const std::optional<DType>& out_dtype,
           const std::optional<Tensor>& scale_result, bool use_fast_accum) {
          return scaled_mm(a, b, scale_a, scale_b, bias, out_dtype, scale_result, use_fast_accum);
        },
        py::arg("self"), py::arg("mat2"), py::arg("scale_a"), py::arg("scale_b"), py::arg("bias") = py::none(),
        py::arg("out_dtype") = py::none(), py::arg("scale_result") = py::none(), py::arg("use_fast_accum") = false,
        "(mat1 * scale_a) @ (mat2 * scale_b) + bias for FP8 matrices, accumulated in float32 (torch._scaled_mm).");
  m.def("_float8_scaled_cast",
        [](const Tensor& x, const Tensor& scale, DType dtype, const std::optional<Tensor>& amax) {
          return float8_scaled_cast(x, scale, dtype, amax);
        },
        py::arg("input"), py::arg("scale"), py::arg("dtype"), py::arg("amax") = py::none(),
        "round(input * scale) saturated to the FP8 dtype's range; writes max|input| into amax when given.");
  m.def("_float8_update_scaling",
        [](const Tensor& history, const Tensor& scale, const Tensor& amax, DType dtype, double margin) {
          float8_update_scaling(Float8Scaling{history, scale}, amax, dtype, margin);
        },
        py::arg("amax_history"), py::arg("scale"), py::arg("amax"), py::arg("dtype"), py::arg("margin") = 0.0,
        "Shifts amax into the history and sets scale = fp8_max / max(history) / 2**margin.");
  m.def("_float8_linear",
        [](const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias, const Tensor& x_history,
           const Tensor& x_scale, const Tensor& w_history, const Tensor& w_scale, const Tensor& g_history,
           const Tensor& g_scale, double margin) {
          return float8_linear(x, weight, bias ? *bias : Tensor(), Float8Scaling{x_history, x_scale},
                               Float8Scaling{w_history, w_scale}, Float8Scaling{g_history, g_scale}, margin);
        },
        py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("input_amax_history"), py::arg("input_scale"),
        py::arg("weight_amax_history"), py::arg("weight_scale"), py::arg("grad_output_amax_history"),
        py::arg("grad_output_scale"), py::arg("margin") = 0.0,
        "The FP8 recipe's linear: delayed-scaled e4m3 forward, e5m2 output gradient, products by _scaled_mm.");
}

}  // namespace steepest::bindings
