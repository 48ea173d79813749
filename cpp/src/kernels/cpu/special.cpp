// The CPU kernels of erfc and erfinv (dispatch/special.hpp): special_math.hpp's double
// functions over the elementwise engine; float32 (and bfloat16/float16, which compute in
// float32) round the double result once.
#include "dispatch/special.hpp"
#include "kernels/cpu/elementwise_engine.hpp"
#include "kernels/special_math.hpp"

namespace steepest::kernels::cpu {

namespace {

using dispatch::SpecialOp;

template <class T> struct Erfc { T operator()(T a) const { return T(special::erfc(double(a))); } };
// Float lanes stop Newton earlier (special_math.hpp): the double is then still exact far past
// where the float rounds.
template <class T> struct Erfinv {
  T operator()(T a) const { return T(special::erfinv(double(a), sizeof(T) == 4 ? 1e-6 : 1e-9)); }
};

template <class T>
void run(SpecialOp op, const Tensor& out, const Tensor& x, DType ct) {
  using detail::LoopUnary;
  const int64_t g = detail::kGrainHeavy;
  if (op == SpecialOp::Erfc) detail::run_unary<T, T>(LoopUnary<T, T, Erfc<T>>{}, out, x, ct, g);
  else detail::run_unary<T, T>(LoopUnary<T, T, Erfinv<T>>{}, out, x, ct, g);
}

void compute(SpecialOp op, const Tensor& out, const Tensor& x, DType ct) {
  STEEPEST_CHECK(is_floating(ct), TypeError, "erfc/erfinv: compute dtype must be floating");
  if (ct == kFloat64) return run<double>(op, out, x, ct);
  return run<float>(op, out, x, ct);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::special_stub, CPU, compute);

}  // namespace steepest::kernels::cpu
