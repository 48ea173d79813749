// The CPU kernels of binary arithmetic (dispatch/elementwise.hpp): the kernel table's SIMD
// kernels for floating types, the wrapping integer functors below for bool and integers,
// and the stream kernel of the benchmarks.
#include <type_traits>

#include "dispatch/elementwise.hpp"
#include "kernels/cpu/elementwise_engine.hpp"

namespace steepest::kernels::cpu {

namespace {

using detail::Operand;
using detail::typed;

template <class T> using U = std::make_unsigned_t<T>;

// Integer arithmetic wraps (two's complement, as torch); on bool, + is or and * is and.
template <class T> struct IAdd {
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a || b;
    else return T(U<T>(a) + U<T>(b));
  }
};
template <class T> struct ISub {
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a != b;  // unreachable: sub on bool is an error
    else return T(U<T>(a) - U<T>(b));
  }
};
template <class T> struct IMul {
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return T(U<T>(a) * U<T>(b));
  }
};
template <class T> struct IAddAlpha {
  T alpha;
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a || (alpha && b);
    else return T(U<T>(a) + U<T>(alpha) * U<T>(b));
  }
};
// Integer powers by squaring; a negative exponent gives 0 unless the base is 1 or -1 (torch).
template <class T> struct IPow {
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || !b;  // unreachable: pow on bool is an error
    } else {
      if (b < 0) {
        if (a == 1) return 1;
        if (a == -1) return (b & 1) ? T(-1) : T(1);
        return 0;
      }
      U<T> r = 1, x = U<T>(a);
      for (T e = b; e; e >>= 1) {
        if (e & 1) r *= x;
        x *= x;
      }
      return T(r);
    }
  }
};
template <class T> struct IMax { T operator()(T a, T b) const { return a < b ? b : a; } };
template <class T> struct IMin { T operator()(T a, T b) const { return b < a ? b : a; } };

// out = a + alpha * b through the table's fma kernel; broadcast numbers fill a chunk.
template <class C>
struct AddAlphaK {
  void (*f)(int64_t, const C*, const C*, C, C*);
  C alpha;
  void full(int64_t n, const C* a, const C* b, C* o) const { f(n, a, b, alpha, o); }
  void sa(int64_t n, C a, const C* b, C* o) const {
    alignas(64) C buf[detail::kChunk];
    for (int64_t i0 = 0; i0 < n; i0 += detail::kChunk) {
      int64_t m = std::min(detail::kChunk, n - i0);
      for (int64_t i = 0; i < m; ++i) buf[i] = a;
      f(m, buf, b + i0, alpha, o + i0);
    }
  }
  void sb(int64_t n, const C* a, C b, C* o) const {
    alignas(64) C buf[detail::kChunk];
    for (int64_t i0 = 0; i0 < n; i0 += detail::kChunk) {
      int64_t m = std::min(detail::kChunk, n - i0);
      for (int64_t i = 0; i < m; ++i) buf[i] = b;
      f(m, a + i0, buf, alpha, o + i0);
    }
  }
};

// Fast paths of x ** e for a number e, as torch takes them (same results at -0 and -inf).
template <class C>
struct SquareK {
  kernels::BinaryFn<C> mul;
  void full(int64_t n, const C* x, C* o) const { mul(n, x, x, o); }
};
template <class C>
struct ReciprocalK {
  kernels::BinarySaFn<C> div;
  void full(int64_t n, const C* x, C* o) const { div(n, C(1), x, o); }
};


int64_t grain_of(BinaryOp op) { return op == BinaryOp::Pow ? detail::kGrainHeavy : detail::kGrainCheap; }

template <class C>
void compute_float(BinaryOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct, Scalar alpha) {
  const auto& k = typed<C>();
  if (op == BinaryOp::Add && !(alpha.to_double() == 1.0)) {
    detail::run_binary<C, C>(AddAlphaK<C>{k.add_alpha, alpha.to<C>()}, out, a, b, ct, detail::kGrainCheap);
    return;
  }
  if (op == BinaryOp::Pow && b.is_scalar() && !a.is_scalar()) {
    C e = detail::scalar_as<C>(b.s, ct);
    if (e == C(2)) return detail::run_unary<C, C>(SquareK<C>{k.binary[int(BinaryOp::Mul)]}, out, *a.t, ct, detail::kGrainCheap);
    if (e == C(0.5)) return detail::run_unary<C, C>(detail::TableUnary<C>{k.unary[int(kernels::UnaryOp::Sqrt)]}, out, *a.t, ct, detail::kGrainCheap);
    if (e == C(-0.5)) return detail::run_unary<C, C>(detail::TableUnary<C>{k.unary[int(kernels::UnaryOp::Rsqrt)]}, out, *a.t, ct, detail::kGrainCheap);
    if (e == C(-1)) return detail::run_unary<C, C>(ReciprocalK<C>{k.binary_sa[int(BinaryOp::Div)]}, out, *a.t, ct, detail::kGrainCheap);
  }
  detail::run_binary<C, C>(detail::table_binary(k, op), out, a, b, ct, grain_of(op));
}

template <class T, template <class> class F>
void run_int(const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  detail::run_binary<T, T>(detail::LoopBinary<T, T, F<T>>{}, out, a, b, ct, detail::kGrainCheap);
}

template <class T>
void compute_int(BinaryOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct, Scalar alpha) {
  switch (op) {
    case BinaryOp::Add:
      if (alpha.to_int() != 1 || alpha.is_bool())
        return detail::run_binary<T, T>(detail::LoopBinary<T, T, IAddAlpha<T>>{{alpha.to<T>()}}, out, a, b, ct,
                                        detail::kGrainCheap);
      return run_int<T, IAdd>(out, a, b, ct);
    case BinaryOp::Sub: return run_int<T, ISub>(out, a, b, ct);
    case BinaryOp::Mul: return run_int<T, IMul>(out, a, b, ct);
    case BinaryOp::Pow: return run_int<T, IPow>(out, a, b, ct);
    case BinaryOp::Maximum: return run_int<T, IMax>(out, a, b, ct);
    case BinaryOp::Minimum: return run_int<T, IMin>(out, a, b, ct);
    default: break;
  }
  throw Error("elementwise: integer op not handled");  // Div computes in floating point
}

void compute(BinaryOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct, Scalar alpha) {
  switch (ct) {
    case kFloat64: return compute_float<double>(op, out, a, b, ct, alpha);
    case kFloat32: case kBFloat16: case kFloat16: return compute_float<float>(op, out, a, b, ct, alpha);
    case kInt64: return compute_int<int64_t>(op, out, a, b, ct, alpha);
    case kInt32: return compute_int<int32_t>(op, out, a, b, ct, alpha);
    case kBool: return compute_int<bool>(op, out, a, b, ct, alpha);
    case kFloat8E4M3FN: case kFloat8E5M2: float8_unsupported(ct, "binary op");
  }
}

// Reads and write already checked by detail::stream_kernel: dense, one float dtype, n each.
void stream(const std::vector<Tensor>& reads, const Tensor& write) {
  const DType d = reads[0].dtype();
  const int64_t n = reads[0].numel();
  auto go = [&](auto z) {
    using T = decltype(z);
    const auto& k = typed<T>();
    const T* in[4] = {};
    for (size_t i = 0; i < reads.size(); ++i) in[i] = static_cast<const T*>(reads[i].data_ptr());
    T* out = write.defined() ? static_cast<T*>(write.data_ptr()) : nullptr;
    int nin = int(reads.size());
    detail::parallel_for(n, detail::kGrainCheap, [&](int64_t lo, int64_t hi) {
      const T* p[4] = {};
      for (int i = 0; i < nin; ++i) p[i] = in[i] + lo;
      k.stream(hi - lo, p, nin, out ? out + lo : nullptr);
    });
  };
  if (d == kFloat32) go(float{});
  else go(double{});
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::binary_stub, CPU, compute);
STEEPEST_REGISTER_KERNEL(dispatch::stream_stub, CPU, stream);

}  // namespace steepest::kernels::cpu
