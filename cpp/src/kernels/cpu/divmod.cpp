// The CPU kernels of rounded division and remainders (dispatch/divmod.hpp): scalar functors
// over the elementwise engine. Integers never divide by zero here (the op checked), and the
// one overflowing quotient, INT_MIN / -1, wraps as two's complement instead of trapping.
#include <cmath>
#include <type_traits>

#include "dispatch/divmod.hpp"
#include "kernels/cpu/elementwise_engine.hpp"

namespace steepest::kernels::cpu {

namespace {

using detail::Operand;
using dispatch::DivModOp;

template <class T> T wrap_neg(T a) { return T(std::make_unsigned_t<T>(0) - std::make_unsigned_t<T>(a)); }

template <class T> struct ITrunc {
  T operator()(T a, T b) const { return b == -1 ? wrap_neg(a) : (b == 0 ? T(0) : T(a / b)); }
};
template <class T> struct IFloor {
  T operator()(T a, T b) const {
    if (b == -1) return wrap_neg(a);
    if (b == 0) return T(0);
    T q = T(a / b), r = T(a % b);
    return (r != 0 && ((r < 0) != (b < 0))) ? T(q - 1) : q;
  }
};
template <class T> struct IRemainder {
  T operator()(T a, T b) const {
    if (b == -1 || b == 0) return T(0);
    T r = T(a % b);
    return (r != 0 && ((r < 0) != (b < 0))) ? T(r + b) : r;
  }
};
template <class T> struct IFmod {
  T operator()(T a, T b) const { return (b == -1 || b == 0) ? T(0) : T(a % b); }
};

template <class C> struct FTrunc {
  C operator()(C a, C b) const { return std::trunc(a / b); }
};
// Floor division as Python's float //: from the exact remainder fmod(a, b), so a quotient
// that a / b would round up to an integer is not floored one too high; the result is the
// integer nearest (a - mod) / b. Division by zero gives a / b (inf or NaN).
template <class C> struct FFloor {
  C operator()(C a, C b) const {
    if (b == C(0)) return a / b;
    C mod = std::fmod(a, b);
    C q = (a - mod) / b;
    if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) q -= C(1);
    if (q == C(0)) return std::copysign(C(0), a / b);
    C f = std::floor(q);
    return q - f > C(0.5) ? f + C(1) : f;
  }
};
// The remainder with the divisor's sign; NaN for b == 0 (fmod's).
template <class C> struct FRemainder {
  C operator()(C a, C b) const {
    C mod = std::fmod(a, b);
    return (mod != C(0) && ((b < C(0)) != (mod < C(0)))) ? mod + b : mod;
  }
};
template <class C> struct FFmod {
  C operator()(C a, C b) const { return std::fmod(a, b); }
};

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
