// The CPU kernels of rounded division and remainders (dispatch/divmod.hpp): the functors of
// kernels/divmod_math.hpp (shared with the CUDA kernels) over the elementwise engine.
#include "dispatch/divmod.hpp"
#include "kernels/divmod_math.hpp"
#include "kernels/cpu/elementwise_engine.hpp"

namespace steepest::kernels::cpu {

namespace {

using detail::Operand;
using dispatch::DivModOp;

using divmod::FFloor;
using divmod::FFmod;
using divmod::FRemainder;
using divmod::FTrunc;
using divmod::IFloor;
using divmod::IFmod;
using divmod::IRemainder;
using divmod::ITrunc;

template <class C, template <class> class F>
void run(const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  detail::run_binary<C, C>(detail::LoopBinary<C, C, F<C>>{}, out, a, b, ct, detail::kGrainHeavy);
}

template <class C>
void compute_float(DivModOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  switch (op) {
    case DivModOp::DivTrunc: return run<C, FTrunc>(out, a, b, ct);
    case DivModOp::DivFloor: return run<C, FFloor>(out, a, b, ct);
    case DivModOp::Remainder: return run<C, FRemainder>(out, a, b, ct);
    case DivModOp::Fmod: return run<C, FFmod>(out, a, b, ct);
  }
}

template <class T>
void compute_int(DivModOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  switch (op) {
    case DivModOp::DivTrunc: return run<T, ITrunc>(out, a, b, ct);
    case DivModOp::DivFloor: return run<T, IFloor>(out, a, b, ct);
    case DivModOp::Remainder: return run<T, IRemainder>(out, a, b, ct);
    case DivModOp::Fmod: return run<T, IFmod>(out, a, b, ct);
  }
}

void compute(DivModOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  switch (ct) {
    case kFloat64: return compute_float<double>(op, out, a, b, ct);
    case kFloat32: case kBFloat16: case kFloat16: return compute_float<float>(op, out, a, b, ct);
    case kInt64: return compute_int<int64_t>(op, out, a, b, ct);
    case kInt32: return compute_int<int32_t>(op, out, a, b, ct);
    case kBool: break;
    case kFloat8E4M3FN: case kFloat8E5M2: float8_unsupported(ct, "divmod");
  }
  throw TypeError("divmod: bool is not supported");  // the op refuses bool first
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::divmod_stub, CPU, compute);

}  // namespace steepest::kernels::cpu
