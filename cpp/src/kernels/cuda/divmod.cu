// The CUDA kernel of rounded division and remainders (dispatch/divmod.hpp): the CPU's functors
// (kernels/divmod_math.hpp) over the CUDA elementwise engine, so both devices agree bit for bit.
#include "dispatch/divmod.hpp"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/divmod_math.hpp"

namespace steepest::cuda {

namespace {

using dispatch::DivModOp;

template <class C>
struct DivMod {
  DivModOp op;
  __device__ C operator()(const C* v) const {
    namespace d = kernels::divmod;
    const C a = v[0], b = v[1];
    if constexpr (std::is_floating_point_v<C>) {
      switch (op) {
        case DivModOp::DivTrunc: return d::FTrunc<C>{}(a, b);
        case DivModOp::DivFloor: return d::FFloor<C>{}(a, b);
        case DivModOp::Remainder: return d::FRemainder<C>{}(a, b);
        case DivModOp::Fmod: return d::FFmod<C>{}(a, b);
      }
    } else {
      switch (op) {
        case DivModOp::DivTrunc: return d::ITrunc<C>{}(a, b);
        case DivModOp::DivFloor: return d::IFloor<C>{}(a, b);
        case DivModOp::Remainder: return d::IRemainder<C>{}(a, b);
        case DivModOp::Fmod: return d::IFmod<C>{}(a, b);
      }
    }
    return a;
  }
};

void divmod(DivModOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  STEEPEST_CHECK(ct != kBool, TypeError, "divmod: bool is not supported");
  visit_compute(ct, [&](auto z) {
    using C = decltype(z);
    if constexpr (!std::is_same_v<C, bool>) launch_elementwise<C, C, 2>(out, {a, b}, ct, DivMod<C>{op});
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::divmod_stub, CUDA, divmod);

}  // namespace steepest::cuda
