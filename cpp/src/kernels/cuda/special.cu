// The CUDA kernel of erfc and erfinv (dispatch/special.hpp): the CPU's double functions
// (kernels/special_math.hpp, host-device) over the elementwise engine; float32 (and bfloat16/
// float16, which compute in float32) rounds the double result once, with the CPU's Newton
// tolerance per lane type. The steps are the CPU's; CUDA's double erf/erfc/exp/log1p may differ
// from the C library's in the last bit, so float64 results agree with the CPU to a few ulp and
// float32 results almost always bit for bit.
#include "dispatch/special.hpp"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/special_math.hpp"

namespace steepest::cuda {

namespace {

using dispatch::SpecialOp;

template <class C>
struct SpecialFn {
  SpecialOp op;
  STEEPEST_HD C operator()(const C* v) const {
    const double a = double(v[0]);
    if (op == SpecialOp::Erfc) return C(kernels::special::erfc(a));
    return C(kernels::special::erfinv(a, sizeof(C) == 4 ? 1e-6 : 1e-9));
  }
};

void compute(SpecialOp op, const Tensor& out, const Tensor& x, DType ct) {
  STEEPEST_CHECK(is_floating(ct), TypeError, "erfc/erfinv: compute dtype must be floating");
  if (ct == kFloat64) return launch_elementwise<double, double, 1>(out, {Operand(x)}, ct, SpecialFn<double>{op});
  launch_elementwise<float, float, 1>(out, {Operand(x)}, ct, SpecialFn<float>{op});
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::special_stub, CUDA, compute);

}  // namespace steepest::cuda
