// The CPU kernels of comparisons, logical and bitwise ops, and where
// (dispatch/elementwise.hpp). These are exact for every layout, so they run plain loops over
// the engine's runs rather than kernel-table entries.
#include <type_traits>

#include "dispatch/elementwise.hpp"
#include "kernels/cpu/elementwise_engine.hpp"

namespace steepest::kernels::cpu {

namespace {

using detail::Operand;
using dispatch::BitOp;
using dispatch::CompareOp;

template <class C> struct Eq { bool operator()(C a, C b) const { return a == b; } };
template <class C> struct Ne { bool operator()(C a, C b) const { return a != b; } };
template <class C> struct Lt { bool operator()(C a, C b) const { return a < b; } };
template <class C> struct Le { bool operator()(C a, C b) const { return a <= b; } };
template <class C> struct Gt { bool operator()(C a, C b) const { return a > b; } };
template <class C> struct Ge { bool operator()(C a, C b) const { return a >= b; } };

template <class T> struct BitAnd { T operator()(T a, T b) const { return T(a & b); } };
template <class T> struct BitOr { T operator()(T a, T b) const { return T(a | b); } };
template <class T> struct BitXor { T operator()(T a, T b) const { return T(a ^ b); } };
struct BoolNot { bool operator()(bool a) const { return !a; } };
template <class T> struct BitNot { T operator()(T a) const { return T(~a); } };

template <template <class> class F>
void compare_in(const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  auto go = [&](auto z) {
    using C = decltype(z);
    detail::run_binary<C, bool>(detail::LoopBinary<C, bool, F<C>>{}, out, a, b, ct, detail::kGrainCheap);
  };
  switch (ct) {
    case kFloat64: go(double{}); break;
    case kFloat32: case kBFloat16: case kFloat16: go(float{}); break;
    case kInt64: go(int64_t{}); break;
    case kInt32: go(int32_t{}); break;
    case kBool: go(bool{}); break;
    case kFloat8E4M3FN: case kFloat8E5M2: float8_unsupported(ct, "comparison");
  }
}

void compare(CompareOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  switch (op) {
    case CompareOp::Eq: return compare_in<Eq>(out, a, b, ct);
    case CompareOp::Ne: return compare_in<Ne>(out, a, b, ct);
    case CompareOp::Lt: return compare_in<Lt>(out, a, b, ct);
    case CompareOp::Le: return compare_in<Le>(out, a, b, ct);
    case CompareOp::Gt: return compare_in<Gt>(out, a, b, ct);
    case CompareOp::Ge: return compare_in<Ge>(out, a, b, ct);
  }
}

// Logical ops (ct kBool) read each operand as "nonzero"; bitwise ones compute in ct.
template <template <class> class F>
void bit_in(const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  visit_dtype(ct, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T>)
      detail::run_binary<T, T>(detail::LoopBinary<T, T, F<T>>{}, out, a, b, ct, detail::kGrainCheap);
  });
}

void bit(BitOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  switch (op) {
    case BitOp::And: return bit_in<BitAnd>(out, a, b, ct);
    case BitOp::Or: return bit_in<BitOr>(out, a, b, ct);
    case BitOp::Xor: return bit_in<BitXor>(out, a, b, ct);
  }
}

void logical_not(const Tensor& out, const Tensor& a) {
  detail::run_unary<bool, bool>(detail::LoopUnary<bool, bool, BoolNot>{}, out, a, kBool, detail::kGrainCheap);
}

void bitwise_not(const Tensor& out, const Tensor& a) {
  const DType d = out.dtype();
  visit_dtype(d, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_same_v<T, bool>)
      detail::run_unary<T, T>(detail::LoopUnary<T, T, BoolNot>{}, out, a, d, detail::kGrainCheap);
    else if constexpr (std::is_integral_v<T>)
      detail::run_unary<T, T>(detail::LoopUnary<T, T, BitNot<T>>{}, out, a, d, detail::kGrainCheap);
  });
}

// out = cond ? a : b, with a and b converted to out's dtype T.
template <class T>
void where_run(const Tensor& out, const Tensor& cond, const Operand& a, const Operand& b, DType ct) {
  if (out.numel() == 0) return;
  std::vector<Tensor> ops{out, cond};
  int ia = -1, ib = -1;
  if (!a.is_scalar()) { ia = int(ops.size()); ops.push_back(*a.t); }
  if (!b.is_scalar()) { ib = int(ops.size()); ops.push_back(*b.t); }
  const T va = a.is_scalar() ? detail::scalar_as<T>(a.s, ct) : T{};
  const T vb = b.is_scalar() ? detail::scalar_as<T>(b.s, ct) : T{};
  const DType ad = a.is_scalar() ? ct : a.t->dtype(), bd = b.is_scalar() ? ct : b.t->dtype();
  detail::ElementwiseIter it(ops);
  it.for_each([&](char* const* p, const int64_t* st, int64_t n) {
    alignas(64) T abuf[detail::kChunk];
    alignas(64) T bbuf[detail::kChunk];
    for (int64_t i0 = 0; i0 < n; i0 += detail::kChunk) {
      const int64_t m = std::min(detail::kChunk, n - i0);
      // Operand x as m values of T with a step of 0 (broadcast) or 1.
      auto fetch = [&](int idx, DType d, T v, T* buf, int64_t& step) -> const T* {
        step = 0;
        if (idx < 0) { buf[0] = v; return buf; }
        const char* q = p[idx] + i0 * st[idx];
        if (st[idx] == 0) { detail::load_run(buf, q, 0, 1, d, ct); return buf; }
        step = 1;
        if (d == ct && st[idx] == int64_t(sizeof(T))) return reinterpret_cast<const T*>(q);
        detail::load_run(buf, q, st[idx], m, d, ct);
        return buf;
      };
      int64_t sa = 0, sb = 0;
      const T* xa = fetch(ia, ad, va, abuf, sa);
      const T* xb = fetch(ib, bd, vb, bbuf, sb);
      const char* c = p[1] + i0 * st[1];
      char* o = p[0] + i0 * st[0];
      if (st[0] == int64_t(sizeof(T)) && st[1] == 1 && sa == 1 && sb == 1) {
        T* oo = reinterpret_cast<T*>(o);
        const bool* cc = reinterpret_cast<const bool*>(c);
        for (int64_t i = 0; i < m; ++i) oo[i] = cc[i] ? xa[i] : xb[i];
      } else {
        for (int64_t i = 0; i < m; ++i)
          *reinterpret_cast<T*>(o + i * st[0]) = *reinterpret_cast<const bool*>(c + i * st[1]) ? xa[i * sa] : xb[i * sb];
      }
    }
  }, detail::kGrainCheap);
}

void where(const Tensor& out, const Tensor& cond, const Operand& a, const Operand& b, DType ct) {
  visit_dtype(ct, [&](auto z) { where_run<decltype(z)>(out, cond, a, b, ct); });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::compare_stub, CPU, compare);
STEEPEST_REGISTER_KERNEL(dispatch::bit_stub, CPU, bit);
STEEPEST_REGISTER_KERNEL(dispatch::logical_not_stub, CPU, logical_not);
STEEPEST_REGISTER_KERNEL(dispatch::bitwise_not_stub, CPU, bitwise_not);
STEEPEST_REGISTER_KERNEL(dispatch::where_stub, CPU, where);

}  // namespace steepest::kernels::cpu
