// Comparisons (bool results, computed in the promoted dtype), logical and bitwise ops, and
// where(cond, a, b). These are exact for every layout, so they run plain loops over the
// engine's runs rather than kernel-table entries.
#include "autograd/record.hpp"
#include <type_traits>

#include "ops/elementwise_engine.hpp"

namespace steepest {

namespace {

using detail::Operand;

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
Tensor compare(const char* name, const Operand& a, const Operand& b) {
  if (!a.is_scalar()) detail::check_cpu(*a.t, name);
  if (!b.is_scalar()) detail::check_cpu(*b.t, name);
  DType ct = detail::result_type_of({a, b});
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), kBool);
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
  }
  return out;
}

// logical_and/or/xor: each operand is "nonzero", the result bool.
template <template <class> class F>
Tensor logical(const char* name, const Tensor& a, const Tensor& b) {
  detail::check_cpu(a, name);
  detail::check_cpu(b, name);
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape()), kBool);
  detail::run_binary<bool, bool>(detail::LoopBinary<bool, bool, F<bool>>{}, out, a, b, kBool, detail::kGrainCheap);
  return out;
}

DType bitwise_type(const char* name, const Operand& a, const Operand& b) {
  if (!a.is_scalar()) detail::check_cpu(*a.t, name);
  if (!b.is_scalar()) detail::check_cpu(*b.t, name);
  DType ct = detail::result_type_of({a, b});
  STEEPEST_CHECK(!is_floating(ct), TypeError, name, ": only integer and bool tensors are supported, got ",
                 dtype_name(ct), " operands");
  return ct;
}

template <template <class> class F>
void bitwise_compute(const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  visit_dtype(ct, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T>)
      detail::run_binary<T, T>(detail::LoopBinary<T, T, F<T>>{}, out, a, b, ct, detail::kGrainCheap);
  });
}

template <template <class> class F>
Tensor bitwise(const char* name, const Operand& a, const Operand& b) {
  DType ct = bitwise_type(name, a, b);
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), ct);
  bitwise_compute<F>(out, a, b, ct);
  return out;
}

template <template <class> class F>
Tensor& bitwise_(const char* name, Tensor& self, const Operand& b) {
  DType ct = bitwise_type(name, self, b);
  detail::check_inplace(self, ct, detail::broadcast_of({self, b}));
  if (b.is_scalar()) {
    bitwise_compute<F>(self, self, b, ct);
  } else {
    Tensor bb = detail::unaliased(self, *b.t);
    bitwise_compute<F>(self, self, bb, ct);
  }
  self.bump_version();
  return self;
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

Tensor where_impl(const Tensor& cond, const Operand& a, const Operand& b) {
  detail::check_cpu(cond, "where");
  STEEPEST_CHECK(cond.dtype() == kBool, TypeError,
                 "where expected condition to be a boolean tensor, but got a tensor with dtype ",
                 detail::torch_type_name(cond.dtype()));
  if (!a.is_scalar()) detail::check_cpu(*a.t, "where");
  if (!b.is_scalar()) detail::check_cpu(*b.t, "where");
  DType ct = detail::result_type_of({a, b});
  Tensor out = Tensor::empty(detail::broadcast_of({cond, a, b}), ct);
  visit_dtype(ct, [&](auto z) { where_run<decltype(z)>(out, cond, a, b, ct); });
  if (autograd::needs_grad({a.t, b.t}) && is_floating(ct))
    autograd::record("WhereBackward0", {a.t, b.t}, {&out}, {cond},
                     [](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
      Tensor c = n.saved(0), ga, gb;
      if (n.needs_input_grad(0)) ga = where(c, g[0], Scalar(0.0));
      if (n.needs_input_grad(1)) gb = where(c, Scalar(0.0), g[0]);
      return {ga, gb};
    });
  return out;
}

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare<Eq>("eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare<Ne>("ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare<Lt>("lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare<Le>("le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare<Gt>("gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare<Ge>("ge", a, b); }
Tensor eq(const Tensor& a, Scalar b) { return compare<Eq>("eq", a, b); }
Tensor ne(const Tensor& a, Scalar b) { return compare<Ne>("ne", a, b); }
Tensor lt(const Tensor& a, Scalar b) { return compare<Lt>("lt", a, b); }
Tensor le(const Tensor& a, Scalar b) { return compare<Le>("le", a, b); }
Tensor gt(const Tensor& a, Scalar b) { return compare<Gt>("gt", a, b); }
Tensor ge(const Tensor& a, Scalar b) { return compare<Ge>("ge", a, b); }

Tensor logical_not(const Tensor& a) {
  detail::check_cpu(a, "logical_not");
  Tensor out = Tensor::empty(a.shape(), kBool);
  detail::run_unary<bool, bool>(detail::LoopUnary<bool, bool, BoolNot>{}, out, a, kBool, detail::kGrainCheap);
  return out;
}
Tensor logical_and(const Tensor& a, const Tensor& b) { return logical<BitAnd>("logical_and", a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return logical<BitOr>("logical_or", a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return logical<BitXor>("logical_xor", a, b); }

Tensor bitwise_and(const Tensor& a, const Tensor& b) { return bitwise<BitAnd>("bitwise_and", a, b); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return bitwise<BitOr>("bitwise_or", a, b); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return bitwise<BitXor>("bitwise_xor", a, b); }
Tensor bitwise_and(const Tensor& a, Scalar b) { return bitwise<BitAnd>("bitwise_and", a, b); }
Tensor bitwise_or(const Tensor& a, Scalar b) { return bitwise<BitOr>("bitwise_or", a, b); }
Tensor bitwise_xor(const Tensor& a, Scalar b) { return bitwise<BitXor>("bitwise_xor", a, b); }
Tensor& bitwise_and_(Tensor& a, const Tensor& b) { return bitwise_<BitAnd>("bitwise_and_", a, b); }
Tensor& bitwise_or_(Tensor& a, const Tensor& b) { return bitwise_<BitOr>("bitwise_or_", a, b); }
Tensor& bitwise_xor_(Tensor& a, const Tensor& b) { return bitwise_<BitXor>("bitwise_xor_", a, b); }
Tensor& bitwise_and_(Tensor& a, Scalar b) { return bitwise_<BitAnd>("bitwise_and_", a, b); }
Tensor& bitwise_or_(Tensor& a, Scalar b) { return bitwise_<BitOr>("bitwise_or_", a, b); }
Tensor& bitwise_xor_(Tensor& a, Scalar b) { return bitwise_<BitXor>("bitwise_xor_", a, b); }

Tensor bitwise_not(const Tensor& a) {
  detail::check_cpu(a, "bitwise_not");
  DType d = a.dtype();
  STEEPEST_CHECK(!is_floating(d), TypeError,
                 "bitwise_not (~) is only implemented on integer and bool tensors, got ", dtype_name(d));
  Tensor out = Tensor::empty(a.shape(), d);
  visit_dtype(d, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_same_v<T, bool>)
      detail::run_unary<T, T>(detail::LoopUnary<T, T, BoolNot>{}, out, a, d, detail::kGrainCheap);
    else if constexpr (std::is_integral_v<T>)
      detail::run_unary<T, T>(detail::LoopUnary<T, T, BitNot<T>>{}, out, a, d, detail::kGrainCheap);
  });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) { return where_impl(cond, a, b); }
Tensor where(const Tensor& cond, const Tensor& a, Scalar b) { return where_impl(cond, a, b); }
Tensor where(const Tensor& cond, Scalar a, const Tensor& b) { return where_impl(cond, a, b); }
Tensor where(const Tensor& cond, Scalar a, Scalar b) { return where_impl(cond, a, b); }

}  // namespace steepest
