// The CUDA kernels of the unary ops and clamp (dispatch/elementwise.hpp). Floating math is the
// CPU's own functors (kernels/cpu/elementwise_ops.hpp over plain float/double), built for the
// device with -fmad=false, so float32 results equal the CPU's bit for bit wherever the CPU
// computes in float (float64 transcendentals and float log1p call CUDA's libm instead).
#define STEEPEST_ISA cudadev
#include "kernels/cpu/elementwise_ops.hpp"
#include "kernels/cuda/elementwise.cuh"

namespace steepest::cuda {

namespace {

namespace m = kernels::cudadev;
using kernels::UnaryOp;

template <class C>
struct FloatUnary {
  UnaryOp op;
  __device__ C operator()(const C* v) const {
    const C x = v[0];
    switch (op) {
      case UnaryOp::Neg: return m::NegOp{}(x);
      case UnaryOp::Abs: return m::AbsOp{}(x);
      case UnaryOp::Exp: return m::ExpOp{}(x);
      case UnaryOp::Log: return m::LogOp{}(x);
      case UnaryOp::Sqrt: return m::SqrtOp{}(x);
      case UnaryOp::Rsqrt: return m::RsqrtOp{}(x);
      case UnaryOp::Sin: return m::SinOp{}(x);
      case UnaryOp::Cos: return m::CosOp{}(x);
      case UnaryOp::Tanh: return m::TanhOp{}(x);
      case UnaryOp::Sigmoid: return m::SigmoidOp{}(x);
      case UnaryOp::Relu: return m::ReluOp{}(x);
      case UnaryOp::Sign: return m::SignOp{}(x);
      case UnaryOp::Log1p: return m::Log1pOp{}(x);
      case UnaryOp::Expm1: return m::Expm1Op{}(x);
      case UnaryOp::Floor: return m::FloorOp{}(x);
      case UnaryOp::Ceil: return m::CeilOp{}(x);
      case UnaryOp::Round: return m::RoundOp{}(x);
      case UnaryOp::Trunc: return m::TruncOp{}(x);
      default: return x;
    }
  }
};

// Integers: negation and abs wrap (two's complement); rounding copies; bool only reaches sign.
template <class T>
struct IntUnary {
  UnaryOp op;
  __device__ T operator()(const T* v) const {
    const T a = v[0];
    if constexpr (std::is_same_v<T, bool>) {
      return a;
    } else {
      using U = std::make_unsigned_t<T>;
      switch (op) {
        case UnaryOp::Neg: return T(U(0) - U(a));
        case UnaryOp::Abs: return a < 0 ? T(U(0) - U(a)) : a;
        case UnaryOp::Relu: return a < 0 ? T(0) : a;
        case UnaryOp::Sign: return T((T(0) < a) - (a < T(0)));
        default: return a;
      }
    }
  }
};

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

// min(max(x, lo), hi) with the CPU's maximum/minimum (NaN propagates); integers compare.
template <class C>
struct Clamp {
  C lo, hi;
  bool has_lo, has_hi;
  __device__ C operator()(const C* v) const {
    C a = v[0];
    if constexpr (std::is_floating_point_v<C>) {
      if (has_lo) a = m::MaximumOp{}(a, lo);
      if (has_hi) a = m::MinimumOp{}(a, hi);
    } else {
      if (has_lo && a < lo) a = lo;
      if (has_hi && a > hi) a = hi;
    }
    return a;
  }
};

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
