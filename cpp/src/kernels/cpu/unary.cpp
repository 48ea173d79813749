// The CPU kernels of the unary ops and clamp (dispatch/elementwise.hpp): the kernel table's
// SIMD kernels for floating types, plain functors for integers and bool.
#include <type_traits>

#include "dispatch/elementwise.hpp"
#include "kernels/cpu/elementwise_engine.hpp"

namespace steepest::kernels::cpu {

namespace {

using detail::typed;

template <class T> using U = std::make_unsigned_t<T>;

template <class T> struct INeg { T operator()(T a) const { return T(U<T>(0) - U<T>(a)); } };
template <class T> struct IAbs { T operator()(T a) const { return a < 0 ? T(U<T>(0) - U<T>(a)) : a; } };
template <class T> struct IRelu { T operator()(T a) const { return a < 0 ? T(0) : a; } };
template <class T> struct ISign { T operator()(T a) const { return T((T(0) < a) - (a < T(0))); } };
template <class T> struct IIdentity { T operator()(T a) const { return a; } };
struct BoolIdentity { bool operator()(bool a) const { return a; } };

template <class T>
struct IClamp {
  T lo, hi;
  bool has_lo, has_hi;
  T operator()(T a) const {
    if (has_lo && a < lo) a = lo;
    if (has_hi && a > hi) a = hi;
    return a;
  }
};

template <class C>
struct ClampK {
  void (*f)(int64_t, const C*, C, C, C*);
  C lo, hi;
  void full(int64_t n, const C* x, C* o) const { f(n, x, lo, hi, o); }
};

bool is_heavy(UnaryOp op) {
  return op == UnaryOp::Exp || op == UnaryOp::Log || op == UnaryOp::Sin || op == UnaryOp::Cos ||
         op == UnaryOp::Tanh || op == UnaryOp::Sigmoid || op == UnaryOp::Log1p || op == UnaryOp::Expm1;
}

template <class T>
void compute_int(UnaryOp op, const Tensor& out, const Tensor& x, DType ct) {
  using detail::LoopUnary;
  using detail::run_unary;
  const int64_t g = detail::kGrainCheap;
  if constexpr (std::is_same_v<T, bool>) {
    run_unary<T, T>(LoopUnary<T, T, BoolIdentity>{}, out, x, ct, g);  // sign; the rest are rejected
  } else {
    switch (op) {
      case UnaryOp::Neg: return run_unary<T, T>(LoopUnary<T, T, INeg<T>>{}, out, x, ct, g);
      case UnaryOp::Abs: return run_unary<T, T>(LoopUnary<T, T, IAbs<T>>{}, out, x, ct, g);
      case UnaryOp::Relu: return run_unary<T, T>(LoopUnary<T, T, IRelu<T>>{}, out, x, ct, g);
      case UnaryOp::Sign: return run_unary<T, T>(LoopUnary<T, T, ISign<T>>{}, out, x, ct, g);
      // Integers are already whole: floor, ceil, round and trunc copy them (as torch).
      case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc:
        return run_unary<T, T>(LoopUnary<T, T, IIdentity<T>>{}, out, x, ct, g);
      default: throw Error("unary: integer form not handled");
    }
  }
}

void compute(UnaryOp op, const Tensor& out, const Tensor& x, DType ct) {
  const int64_t g = is_heavy(op) ? detail::kGrainHeavy : detail::kGrainCheap;
  switch (ct) {
    case kFloat64:
      return detail::run_unary<double, double>(detail::TableUnary<double>{typed<double>().unary[int(op)]}, out, x, ct, g);
    case kFloat32: case kBFloat16: case kFloat16:
      return detail::run_unary<float, float>(detail::TableUnary<float>{typed<float>().unary[int(op)]}, out, x, ct, g);
    case kInt64: return compute_int<int64_t>(op, out, x, ct);
    case kInt32: return compute_int<int32_t>(op, out, x, ct);
    case kBool: return compute_int<bool>(op, out, x, ct);
    case kFloat8E4M3FN: case kFloat8E5M2: float8_unsupported(ct, "unary op");
  }
}

template <class C>
void clamp_float(const Tensor& out, const Tensor& a, const std::optional<Scalar>& lo,
                 const std::optional<Scalar>& hi, DType ct) {
  const auto& k = typed<C>();
  if (lo && hi) {
    ClampK<C> K{k.clamp, detail::scalar_as<C>(*lo, ct), detail::scalar_as<C>(*hi, ct)};
    detail::run_unary<C, C>(K, out, a, ct, detail::kGrainCheap);
  } else {
    auto op = lo ? kernels::BinaryOp::Maximum : kernels::BinaryOp::Minimum;
    detail::run_binary<C, C>(detail::table_binary(k, op), out, a, lo ? *lo : *hi, ct, detail::kGrainCheap);
  }
}

void clamp_compute(const Tensor& out, const Tensor& a, const std::optional<Scalar>& lo,
                   const std::optional<Scalar>& hi, DType ct) {
  if (ct == kFloat64) return clamp_float<double>(out, a, lo, hi, ct);
  if (is_floating(ct)) return clamp_float<float>(out, a, lo, hi, ct);
  visit_dtype(ct, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T>) {
      IClamp<T> f{lo ? detail::scalar_as<T>(*lo, ct) : T(0), hi ? detail::scalar_as<T>(*hi, ct) : T(0), bool(lo),
                  bool(hi)};
      detail::run_unary<T, T>(detail::LoopUnary<T, T, IClamp<T>>{f}, out, a, ct, detail::kGrainCheap);
    }
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::unary_stub, CPU, compute);
STEEPEST_REGISTER_KERNEL(dispatch::clamp_stub, CPU, clamp_compute);

}  // namespace steepest::kernels::cpu
