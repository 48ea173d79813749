// The per-element functors of the CUDA unary, binary and clamp kernels, host-device. Floating
// math is the CPU's own (kernels/cpu/elementwise_ops.hpp over plain float/double, in the
// namespace of whichever instruction-set name the including file set: `cudadev` in the .cu
// files); integers wrap as on the CPU; on bool, + is or and * is and.
#pragma once
#include <type_traits>

#ifndef STEEPEST_ISA
#define STEEPEST_ISA cudadev
#endif
#include "dispatch/op_kinds.hpp"
#include "kernels/cpu/elementwise_ops.hpp"

namespace steepest::cuda {

namespace m = kernels::STEEPEST_ISA;
using kernels::BinaryOp;
using kernels::UnaryOp;

template <class C>
struct FloatUnary {
  UnaryOp op;
  STEEPEST_HD C operator()(const C* v) const {
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
  STEEPEST_HD T operator()(const T* v) const {
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

// min(max(x, lo), hi) with the CPU's maximum/minimum (NaN propagates); integers compare.
template <class C>
struct Clamp {
  C lo, hi;
  bool has_lo, has_hi;
  STEEPEST_HD C operator()(const C* v) const {
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

template <class C>
struct FloatBinary {
  BinaryOp op;
  C alpha;
  bool has_alpha;
  STEEPEST_HD C operator()(const C* v) const {
    const C a = v[0], b = v[1];
    switch (op) {
      case BinaryOp::Add: return has_alpha ? m::fma(b, alpha, a) : m::AddOp{}(a, b);
      case BinaryOp::Sub: return m::SubOp{}(a, b);
      case BinaryOp::Mul: return m::MulOp{}(a, b);
      case BinaryOp::Div: return m::DivOp{}(a, b);
      case BinaryOp::Pow: return m::PowOp{}(a, b);
      case BinaryOp::Maximum: return m::MaximumOp{}(a, b);
      case BinaryOp::Minimum: return m::MinimumOp{}(a, b);
      default: return a;
    }
  }
};

template <class T>
struct IntBinary {
  BinaryOp op;
  T alpha;
  bool has_alpha;
  STEEPEST_HD T operator()(const T* v) const {
    const T a = v[0], b = v[1];
    if constexpr (std::is_same_v<T, bool>) {
      switch (op) {
        case BinaryOp::Add: return has_alpha ? (a || (alpha && b)) : (a || b);
        case BinaryOp::Mul: return a && b;
        case BinaryOp::Maximum: return a < b ? b : a;
        case BinaryOp::Minimum: return b < a ? b : a;
        default: return a != b;  // sub and pow on bool are refused by the ops
      }
    } else {
      using U = std::make_unsigned_t<T>;
      switch (op) {
        case BinaryOp::Add: return has_alpha ? T(U(a) + U(alpha) * U(b)) : T(U(a) + U(b));
        case BinaryOp::Sub: return T(U(a) - U(b));
        case BinaryOp::Mul: return T(U(a) * U(b));
        case BinaryOp::Maximum: return a < b ? b : a;
        case BinaryOp::Minimum: return b < a ? b : a;
        case BinaryOp::Pow: {
          // By squaring; a negative exponent gives 0 unless the base is 1 or -1 (torch).
          if (b < 0) return a == 1 ? T(1) : a == -1 ? ((b & 1) ? T(-1) : T(1)) : T(0);
          U r = 1, x = U(a);
          for (T e = b; e; e >>= 1) {
            if (e & 1) r *= x;
            x *= x;
          }
          return T(r);
        }
        default: return a;
      }
    }
  }
};

}  // namespace steepest::cuda
