// Binary arithmetic (add, sub, mul, div, pow, maximum, minimum; reflected and in-place forms)
// with broadcasting and torch's promotion. Floating types run the kernel table's SIMD
// kernels; bool and integer types run the wrapping integer functors below.
#include <cmath>
#include <limits>
#include <type_traits>

#include "autograd/record.hpp"
#include "ops/elementwise_engine.hpp"

namespace steepest {

namespace {

using detail::Operand;
using kernels::BinaryOp;

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

using detail::typed;

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
  }
}

bool is_bool(const Operand& o) { return o.is_scalar() ? o.s.is_bool() : o.t->dtype() == kBool; }

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Pow: return "pow";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
    default: return "?";
  }
}

// The compute dtype of op(a, b), after torch's per-op argument checks.
DType compute_type(BinaryOp op, const Operand& a, const Operand& b, Scalar alpha) {
  if (!a.is_scalar()) detail::check_cpu(*a.t, op_name(op));
  if (!b.is_scalar()) detail::check_cpu(*b.t, op_name(op));
  DType ct = detail::result_type_of({a, b});
  switch (op) {
    case BinaryOp::Sub:
      STEEPEST_CHECK(!(is_bool(a) && is_bool(b) && !a.is_scalar() && !b.is_scalar()), TypeError,
                     "Subtraction, the `-` operator, with two bool tensors is not supported. "
                     "Use the `^` or `logical_xor()` operator instead.");
      STEEPEST_CHECK(!is_bool(a) && !is_bool(b), TypeError,
                     "Subtraction, the `-` operator, with a bool tensor is not supported. "
                     "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
      [[fallthrough]];
    case BinaryOp::Add:
      STEEPEST_CHECK(!alpha.is_bool() || ct == kBool, TypeError, op_name(op),
                     ": Boolean alpha only supported for Boolean results.");
      STEEPEST_CHECK(is_floating(ct) || !alpha.is_float(), TypeError, op_name(op),
                     ": For integral input tensors, argument alpha must not be a floating point number.");
      break;
    case BinaryOp::Div:
      if (!is_floating(ct)) ct = default_dtype();  // true division
      break;
    case BinaryOp::Pow:
      STEEPEST_CHECK(ct != kBool, TypeError, "pow: not implemented for bool operands (result type Bool)");
      STEEPEST_CHECK(is_floating(ct) || !b.is_scalar() || b.s.is_float() || b.s.to_int() >= 0, Error,
                     "Integers to negative integer powers are not allowed.");
      break;
    default:
      break;
  }
  return ct;
}

// sub with alpha is add with -alpha (torch), which keeps a - b exact for alpha = 1.
Scalar negated(Scalar alpha) {
  if (alpha.is_float()) return Scalar(-alpha.to_double());
  if (alpha.is_int()) return Scalar(int64_t(0 - uint64_t(alpha.to_int())));
  return alpha;  // bool alpha: rejected for sub by the checks
}

// torch multiplies and divides bfloat16/float16 by a number kept in float32 (add, sub and
// pow round the number to the tensor's dtype first).
Operand number_rule(BinaryOp op, Operand o, DType ct) {
  o.exact_number = o.is_scalar() && (op == BinaryOp::Mul || op == BinaryOp::Div) &&
                   (ct == kBFloat16 || ct == kFloat16);
  return o;
}

// ---- backward --------------------------------------------------------------------------
// Gradients come back in the output's (broadcast) shape; the engine sums them to each
// input's shape and casts them to its dtype.

// An operand as a tensor for the backward: saved tensors are read back, numbers stay numbers.
struct SavedOperand {
  int slot = -1;  // index into node.saved(), or -1 for the number
  Scalar s;
};

template <class F>
Tensor with_operand(const Node& n, const SavedOperand& o, F f) {
  if (o.slot >= 0) return f(n.saved(size_t(o.slot)));
  return f(o.s);
}

void record_binary(BinaryOp op, const Operand& a, const Operand& b, Scalar alpha, Tensor& out) {
  const Tensor* ta = a.t;
  const Tensor* tb = b.t;
  // Which operands the formula reads back.
  bool save_a = op == BinaryOp::Mul || op == BinaryOp::Div || op == BinaryOp::Pow ||
                op == BinaryOp::Maximum || op == BinaryOp::Minimum;
  bool save_b = save_a;
  bool save_out = op == BinaryOp::Pow;
  std::vector<Tensor> save;
  SavedOperand sa{-1, a.s}, sb{-1, b.s};
  if (save_a && ta) sa.slot = int(save.size()), save.push_back(*ta);
  if (save_b && tb) sb.slot = int(save.size()), save.push_back(*tb);
  int out_slot = -1;
  if (save_out) out_slot = int(save.size()), save.push_back(out);
  const char* name = op == BinaryOp::Add       ? "AddBackward0"
                     : op == BinaryOp::Sub     ? "SubBackward0"
                     : op == BinaryOp::Mul     ? "MulBackward0"
                     : op == BinaryOp::Div     ? "DivBackward0"
                     : op == BinaryOp::Pow     ? "PowBackward0"
                     : op == BinaryOp::Maximum ? "MaximumBackward0"
                                               : "MinimumBackward0";
  autograd::record_n(name, {ta, tb}, {&out}, save,
                     [op, alpha, sa, sb, out_slot](Node& n, std::vector<Tensor>& gs) -> std::vector<Tensor> {
    const Tensor& g = gs[0];
    Tensor ga, gb;
    bool need_a = n.needs_input_grad(0), need_b = n.needs_input_grad(1);
    auto A = [&](auto f) { return with_operand(n, sa, f); };
    auto B = [&](auto f) { return with_operand(n, sb, f); };
    switch (op) {
      case BinaryOp::Add:
      case BinaryOp::Sub: {
        if (need_a) ga = g;
        if (need_b) {
          double al = alpha.to_double();
          if (op == BinaryOp::Sub) al = -al;
          gb = al == 1.0 ? g : al == -1.0 ? neg(g) : mul(g, Scalar(al));
        }
        break;
      }
      case BinaryOp::Mul:
        if (need_a) ga = B([&](auto y) { return mul(g, y); });
        if (need_b) gb = A([&](auto x) { return mul(g, x); });
        break;
      case BinaryOp::Div:
        if (need_a) ga = B([&](auto y) { return div(g, y); });
        if (need_b) {  // -g * a / b^2
          Tensor y = n.saved(size_t(sb.slot));
          Tensor t = A([&](auto x) { return mul(g, x); });
          gb = neg(div(t, mul(y, y)));
        }
        break;
      case BinaryOp::Pow: {
        Tensor res = n.saved(size_t(out_slot));
        if (need_a) {  // g * b * a^(b-1), zero where b == 0
          Tensor x = n.saved(size_t(sa.slot));
          if (sb.slot < 0) {
            double e = sb.s.to_double();
            ga = e == 0.0 ? zeros_like(g) : mul(mul(g, Scalar(e)), pow(x, Scalar(e - 1.0)));
          } else {
            Tensor y = n.saved(size_t(sb.slot));
            Tensor d = mul(mul(g, y), pow(x, sub(y, Scalar(1))));
            ga = where(eq(y, Scalar(0)), Scalar(0.0), d);
          }
        }
        if (need_b) {  // g * a^b * log(a), zero where a == 0 and b >= 0
          if (sa.slot < 0) {
            double base = sa.s.to_double();
            if (base == 0.0) {  // log(0) = -inf
              Tensor y = n.saved(size_t(sb.slot));
              gb = where(ge(y, Scalar(0)), Scalar(0.0), mul(mul(g, res), Scalar(-std::numeric_limits<double>::infinity())));
            } else {
              gb = mul(mul(g, res), Scalar(std::log(base)));
            }
          } else {
            Tensor x = n.saved(size_t(sa.slot)), y = n.saved(size_t(sb.slot));
            Tensor d = mul(mul(g, res), log(x));
            gb = where(logical_and(eq(x, Scalar(0)), ge(y, Scalar(0))), Scalar(0.0), d);
          }
        }
        break;
      }
      case BinaryOp::Maximum:
      case BinaryOp::Minimum: {  // the loser gets 0, ties split g, the rest take g
        // (written as "zero where it lost" so a NaN operand gets g on both sides, as torch)
        Tensor x = n.saved(size_t(sa.slot)), y = n.saved(size_t(sb.slot));
        Tensor half = mul(g, Scalar(0.5));
        Tensor tie = eq(x, y);
        Tensor a_loses = op == BinaryOp::Maximum ? lt(x, y) : gt(x, y);
        Tensor b_loses = op == BinaryOp::Maximum ? gt(x, y) : lt(x, y);
        if (need_a) ga = where(tie, half, where(a_loses, Scalar(0.0), g));
        if (need_b) gb = where(tie, half, where(b_loses, Scalar(0.0), g));
        break;
      }
      default:
        break;
    }
    return {ga, gb};
  });
}

Tensor binary(BinaryOp op, const Operand& a, const Operand& b, Scalar alpha = 1) {
  DType ct = compute_type(op, a, b, alpha);
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), ct);
  BinaryOp op0 = op;
  Scalar alpha0 = alpha;
  if (op == BinaryOp::Sub && !(alpha.to_double() == 1.0)) op = BinaryOp::Add, alpha = negated(alpha);
  compute(op, out, number_rule(op, a, ct), number_rule(op, b, ct), ct, alpha);
  if (autograd::needs_grad({a.t, b.t}) && is_floating(ct)) record_binary(op0, a, b, alpha0, out);
  return out;
}

Tensor& binary_(BinaryOp op, Tensor& self, const Operand& b, Scalar alpha = 1) {
  DType ct = compute_type(op, self, b, alpha);
  detail::check_inplace(self, ct, b.is_scalar() ? self.shape() : detail::broadcast_of({self, b}));
  if (autograd::needs_grad({&self, b.t})) {  // out of place, recorded, then written back
    autograd::check_inplace_allowed(self);
    // Formulas that read self back get a copy of it (self is overwritten below).
    bool reads_self = op == BinaryOp::Pow || op == BinaryOp::Maximum || op == BinaryOp::Minimum ||
                      ((op == BinaryOp::Mul || op == BinaryOp::Div) && b.t && b.t->requires_grad());
    Tensor r = reads_self ? binary(op, autograd::inplace_source(self), b, alpha) : binary(op, self, b, alpha);
    autograd::assign_recorded(self, r);
    return self;
  }
  if (op == BinaryOp::Sub && !(alpha.to_double() == 1.0)) op = BinaryOp::Add, alpha = negated(alpha);
  if (b.is_scalar()) {
    compute(op, self, self, number_rule(op, b, ct), ct, alpha);
  } else {
    Tensor bb = detail::unaliased(self, *b.t);
    compute(op, self, self, bb, ct, alpha);
  }
  self.bump_version();
  return self;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) { return binary(BinaryOp::Add, a, b, alpha); }
Tensor add(const Tensor& a, Scalar b, Scalar alpha) { return binary(BinaryOp::Add, a, b, alpha); }
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) { return binary(BinaryOp::Sub, a, b, alpha); }
Tensor sub(const Tensor& a, Scalar b, Scalar alpha) { return binary(BinaryOp::Sub, a, b, alpha); }
Tensor rsub(const Tensor& a, Scalar b, Scalar alpha) { return binary(BinaryOp::Sub, b, a, alpha); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor mul(const Tensor& a, Scalar b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
Tensor div(const Tensor& a, Scalar b) { return binary(BinaryOp::Div, a, b); }
Tensor rdiv(const Tensor& a, Scalar b) { return binary(BinaryOp::Div, b, a); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Pow, a, b); }
Tensor pow(const Tensor& a, Scalar b) { return binary(BinaryOp::Pow, a, b); }
Tensor rpow(const Tensor& a, Scalar b) { return binary(BinaryOp::Pow, b, a); }
Tensor add(Scalar a, const Tensor& b, Scalar alpha) { return binary(BinaryOp::Add, a, b, alpha); }
Tensor sub(Scalar a, const Tensor& b, Scalar alpha) { return binary(BinaryOp::Sub, a, b, alpha); }
Tensor mul(Scalar a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(Scalar a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
Tensor pow(Scalar a, const Tensor& b) { return binary(BinaryOp::Pow, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Minimum, a, b); }

Tensor& add_(Tensor& a, const Tensor& b, Scalar alpha) { return binary_(BinaryOp::Add, a, b, alpha); }
Tensor& add_(Tensor& a, Scalar b, Scalar alpha) { return binary_(BinaryOp::Add, a, b, alpha); }
Tensor& sub_(Tensor& a, const Tensor& b, Scalar alpha) { return binary_(BinaryOp::Sub, a, b, alpha); }
Tensor& sub_(Tensor& a, Scalar b, Scalar alpha) { return binary_(BinaryOp::Sub, a, b, alpha); }
Tensor& mul_(Tensor& a, const Tensor& b) { return binary_(BinaryOp::Mul, a, b); }
Tensor& mul_(Tensor& a, Scalar b) { return binary_(BinaryOp::Mul, a, b); }
Tensor& div_(Tensor& a, const Tensor& b) { return binary_(BinaryOp::Div, a, b); }
Tensor& div_(Tensor& a, Scalar b) { return binary_(BinaryOp::Div, a, b); }
Tensor& pow_(Tensor& a, const Tensor& b) { return binary_(BinaryOp::Pow, a, b); }
Tensor& pow_(Tensor& a, Scalar b) { return binary_(BinaryOp::Pow, a, b); }

namespace detail {

void stream_kernel(const std::vector<Tensor>& reads, const Tensor& write) {
  STEEPEST_CHECK(!reads.empty() && reads.size() <= 4, ValueError, "stream_kernel: 1 to 4 reads, got ", reads.size());
  const DType d = reads[0].dtype();
  STEEPEST_CHECK(d == kFloat32 || d == kFloat64, TypeError, "stream_kernel: float32 or float64 only, got ",
                 dtype_name(d));
  const int64_t n = reads[0].numel();
  auto ok = [&](const Tensor& t) { return t.dtype() == d && t.numel() == n && t.is_contiguous(); };
  for (const Tensor& r : reads)
    STEEPEST_CHECK(ok(r), ValueError, "stream_kernel: every array must be a contiguous ", dtype_name(d), " of ", n,
                   " elements");
  if (write.defined())
    STEEPEST_CHECK(ok(write), ValueError, "stream_kernel: the written array must be a contiguous ", dtype_name(d),
                   " of ", n, " elements");
  auto go = [&](auto z) {
    using T = decltype(z);
    const auto& k = typed<T>();
    const T* in[4] = {};
    for (size_t i = 0; i < reads.size(); ++i) in[i] = static_cast<const T*>(reads[i].data_ptr());
    T* out = write.defined() ? static_cast<T*>(write.data_ptr()) : nullptr;
    int nin = int(reads.size());
    parallel_for(n, kGrainCheap, [&](int64_t lo, int64_t hi) {
      const T* p[4] = {};
      for (int i = 0; i < nin; ++i) p[i] = in[i] + lo;
      k.stream(hi - lo, p, nin, out ? out + lo : nullptr);
    });
  };
  if (d == kFloat32) go(float{});
  else go(double{});
  if (write.defined()) write.bump_version();
}

}  // namespace detail

}  // namespace steepest
