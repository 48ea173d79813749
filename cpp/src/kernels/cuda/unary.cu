// The CUDA kernels of the unary ops and clamp (dispatch/elementwise.hpp). Floating math is the
// CPU's own functors (kernels/cpu/elementwise_ops.hpp over plain float/double), built for the
// device with -fmad=false, so float32 results equal the CPU's bit for bit wherever the CPU
// computes in float (float64 transcendentals and float log1p call CUDA's libm instead).
#define STEEPEST_ISA cudadev
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_functors.hpp"

namespace steepest::cuda {

namespace {

void unary(UnaryOp op, const Tensor& out, const Tensor& x, DType ct) {
  if (is_floating(ct)) {
    STEEPEST_CHECK(op != UnaryOp::Count, ValueError, "unary: bad op");
  } else {
    STEEPEST_CHECK(op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu || op == UnaryOp::Sign ||
                       op == UnaryOp::Floor || op == UnaryOp::Ceil || op == UnaryOp::Round || op == UnaryOp::Trunc,
                   TypeError, "unary: op not defined for ", dtype_name(ct), " on cuda");
  }
  visit_compute(ct, [&](auto z) {
    using C = decltype(z);
    if constexpr (std::is_floating_point_v<C>)
      launch_elementwise<C, C, 1>(out, {Operand(x)}, ct, FloatUnary<C>{op});
    else
      launch_elementwise<C, C, 1>(out, {Operand(x)}, ct, IntUnary<C>{op});
  });
}

void clamp(const Tensor& out, const Tensor& x, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi,
           DType ct) {
  visit_compute(ct, [&](auto z) {
    using C = decltype(z);
    const C l = lo ? number_as<C>(Operand(*lo), ct) : C{}, h = hi ? number_as<C>(Operand(*hi), ct) : C{};
    launch_elementwise<C, C, 1>(out, {Operand(x)}, ct, Clamp<C>{l, h, bool(lo), bool(hi)});
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::unary_stub, CUDA, unary);
STEEPEST_REGISTER_KERNEL(dispatch::clamp_stub, CUDA, clamp);

}  // namespace steepest::cuda
