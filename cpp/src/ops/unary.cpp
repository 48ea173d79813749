// Unary elementwise ops (neg, abs, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu,
// sign), clamp, and their in-place forms. Transcendentals of integer/bool tensors compute in
// the default float dtype; bfloat16/float16 compute in float32 and round once.
#include <type_traits>

#include "autograd/pointwise.hpp"
#include "autograd/record.hpp"
#include "ops/elementwise_engine.hpp"

namespace steepest {

namespace {

using kernels::UnaryOp;

template <class T> using U = std::make_unsigned_t<T>;

template <class T> struct INeg { T operator()(T a) const { return T(U<T>(0) - U<T>(a)); } };
template <class T> struct IAbs { T operator()(T a) const { return a < 0 ? T(U<T>(0) - U<T>(a)) : a; } };
template <class T> struct IRelu { T operator()(T a) const { return a < 0 ? T(0) : a; } };
template <class T> struct ISign { T operator()(T a) const { return T((T(0) < a) - (a < T(0))); } };
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

using detail::typed;

const char* op_name(UnaryOp op) {
  static const char* names[] = {"neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos",
                                "tanh", "sigmoid", "relu", "sign"};
  return names[int(op)];
}

bool is_heavy(UnaryOp op) {
  return op == UnaryOp::Exp || op == UnaryOp::Log || op == UnaryOp::Sin || op == UnaryOp::Cos ||
         op == UnaryOp::Tanh || op == UnaryOp::Sigmoid;
}

// The dtype op(x) computes in, after torch's dtype checks.
DType unary_type(UnaryOp op, const Tensor& x) {
  detail::check_cpu(x, op_name(op));
  DType d = x.dtype();
  switch (op) {
    case UnaryOp::Neg:
      STEEPEST_CHECK(d != kBool, TypeError,
                     "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a "
                     "mask, use the `~` or `logical_not()` operator instead.");
      return d;
    case UnaryOp::Abs:
      STEEPEST_CHECK(d != kBool, TypeError, "abs: not implemented for bool tensors");
      return d;
    case UnaryOp::Relu:
      STEEPEST_CHECK(d != kBool, TypeError, "Boolean inputs not supported for relu");
      return d;
    case UnaryOp::Sign:
      return d;
    default:
      return is_floating(d) ? d : default_dtype();
  }
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
      default: throw Error(str(op_name(op), ": integer form not handled"));
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
  }
}

// ---- backward: d out / d x, from the input x or the output y (whichever is cheaper) ----
void record_unary(UnaryOp op, const Tensor& x, Tensor& out) {
  using autograd::record;
  using V = std::vector<Tensor>;
  switch (op) {
    case UnaryOp::Neg:
      record("NegBackward0", {&x}, {&out}, {}, [](Node&, V& g) -> V { return {neg(g[0])}; });
      break;
    case UnaryOp::Abs:  // sign(x): 0 at 0, as torch
      record("AbsBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V { return {mul(g[0], sign(n.saved(0)))}; });
      break;
    case UnaryOp::Exp:
      record("ExpBackward0", {&x}, {&out}, {out}, [](Node& n, V& g) -> V { return {mul(g[0], n.saved(0))}; });
      break;
    case UnaryOp::Log:
      record("LogBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V { return {div(g[0], n.saved(0))}; });
      break;
    case UnaryOp::Sqrt:  // g / (2 sqrt(x))
      record("SqrtBackward0", {&x}, {&out}, {out},
             [](Node& n, V& g) -> V { return {div(g[0], mul(n.saved(0), Scalar(2.0)))}; });
      break;
    case UnaryOp::Rsqrt:  // -g/2 * y^3
      record("RsqrtBackward0", {&x}, {&out}, {out}, [](Node& n, V& g) -> V {
        Tensor y = n.saved(0);
        return {mul(g[0], mul(pow(y, Scalar(3.0)), Scalar(-0.5)))};
      });
      break;
    case UnaryOp::Sin:
      record("SinBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V { return {mul(g[0], cos(n.saved(0)))}; });
      break;
    case UnaryOp::Cos:
      record("CosBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V { return {neg(mul(g[0], sin(n.saved(0))))}; });
      break;
    case UnaryOp::Tanh:  // g (1 - y^2)
      record("TanhBackward0", {&x}, {&out}, {out}, [](Node& n, V& g) -> V {
        Tensor y = n.saved(0);
        Tensor r = autograd::map2(g[0], y, [](auto gi, auto yi) { return gi * (1 - yi * yi); });
        return {r.defined() ? r : mul(g[0], rsub(mul(y, y), Scalar(1.0)))};
      });
      break;
    case UnaryOp::Sigmoid:  // g y (1 - y)
      record("SigmoidBackward0", {&x}, {&out}, {out}, [](Node& n, V& g) -> V {
        Tensor y = n.saved(0);
        Tensor r = autograd::map2(g[0], y, [](auto gi, auto yi) { return gi * (yi * (1 - yi)); });
        return {r.defined() ? r : mul(g[0], mul(y, rsub(y, Scalar(1.0))))};
      });
      break;
    case UnaryOp::Relu:  // g where y > 0
      record("ReluBackward0", {&x}, {&out}, {out}, [](Node& n, V& g) -> V {
        Tensor y = n.saved(0);
        Tensor r = autograd::map2(g[0], y, [](auto gi, auto yi) { return yi > 0 ? gi : decltype(gi)(0); });
        return {r.defined() ? r : where(gt(y, Scalar(0)), g[0], Scalar(0.0))};
      });
      break;
    case UnaryOp::Sign:
      record("SignBackward0", {&x}, {&out}, {}, [](Node&, V& g) -> V { return {zeros_like(g[0])}; });
      break;
    default:
      break;
  }
}

Tensor unary(UnaryOp op, const Tensor& x) {
  DType ct = unary_type(op, x);
  Tensor out = Tensor::empty(x.shape(), ct);
  compute(op, out, x, ct);
  if (autograd::needs_grad({&x}) && is_floating(ct)) record_unary(op, x, out);
  return out;
}

Tensor& unary_(UnaryOp op, Tensor& x) {
  DType ct = unary_type(op, x);
  detail::check_inplace(x, ct, x.shape());
  if (autograd::needs_grad({&x})) {  // out of place, recorded, then written back
    autograd::check_inplace_allowed(x);
    // Formulas that read the input back get a copy of it (x is overwritten below).
    bool reads_x = op == UnaryOp::Abs || op == UnaryOp::Log || op == UnaryOp::Sin || op == UnaryOp::Cos;
    Tensor r = reads_x ? unary(op, autograd::inplace_source(x)) : unary(op, x);
    autograd::assign_recorded(x, r);
    return x;
  }
  compute(op, x, x, ct);
  x.bump_version();
  return x;
}

DType clamp_type(const Tensor& a, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi) {
  detail::check_cpu(a, "clamp");
  STEEPEST_CHECK(lo || hi, ValueError, "clamp: At least one of 'min' or 'max' must not be None");
  detail::ResultType r;
  r.add(a);
  if (lo) r.add(*lo);
  if (hi) r.add(*hi);
  return r.get();
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

Tensor neg(const Tensor& a) { return unary(UnaryOp::Neg, a); }
Tensor abs(const Tensor& a) { return unary(UnaryOp::Abs, a); }
Tensor exp(const Tensor& a) { return unary(UnaryOp::Exp, a); }
Tensor log(const Tensor& a) { return unary(UnaryOp::Log, a); }
Tensor sqrt(const Tensor& a) { return unary(UnaryOp::Sqrt, a); }
Tensor rsqrt(const Tensor& a) { return unary(UnaryOp::Rsqrt, a); }
Tensor sin(const Tensor& a) { return unary(UnaryOp::Sin, a); }
Tensor cos(const Tensor& a) { return unary(UnaryOp::Cos, a); }
Tensor tanh(const Tensor& a) { return unary(UnaryOp::Tanh, a); }
Tensor sigmoid(const Tensor& a) { return unary(UnaryOp::Sigmoid, a); }
Tensor relu(const Tensor& a) { return unary(UnaryOp::Relu, a); }
Tensor sign(const Tensor& a) { return unary(UnaryOp::Sign, a); }

Tensor& neg_(Tensor& a) { return unary_(UnaryOp::Neg, a); }
Tensor& abs_(Tensor& a) { return unary_(UnaryOp::Abs, a); }
Tensor& exp_(Tensor& a) { return unary_(UnaryOp::Exp, a); }
Tensor& log_(Tensor& a) { return unary_(UnaryOp::Log, a); }
Tensor& sqrt_(Tensor& a) { return unary_(UnaryOp::Sqrt, a); }
Tensor& rsqrt_(Tensor& a) { return unary_(UnaryOp::Rsqrt, a); }
Tensor& sin_(Tensor& a) { return unary_(UnaryOp::Sin, a); }
Tensor& cos_(Tensor& a) { return unary_(UnaryOp::Cos, a); }
Tensor& tanh_(Tensor& a) { return unary_(UnaryOp::Tanh, a); }
Tensor& sigmoid_(Tensor& a) { return unary_(UnaryOp::Sigmoid, a); }
Tensor& relu_(Tensor& a) { return unary_(UnaryOp::Relu, a); }
Tensor& sign_(Tensor& a) { return unary_(UnaryOp::Sign, a); }

Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  DType ct = clamp_type(a, min, max);
  Tensor out = Tensor::empty(a.shape(), ct);
  clamp_compute(out, a, min, max, ct);
  if (autograd::needs_grad({&a}) && is_floating(ct)) {
    // g passes where min <= x <= max (the bounds themselves included, as torch).
    autograd::record("ClampBackward1", {&a}, {&out}, {a},
                     [min, max](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
      Tensor x = n.saved(0);
      Tensor keep;
      if (min) keep = ge(x, *min);
      if (max) keep = keep.defined() ? logical_and(keep, le(x, *max)) : le(x, *max);
      return {where(keep, g[0], Scalar(0.0))};
    });
  }
  return out;
}

Tensor& clamp_(Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  DType ct = clamp_type(a, min, max);
  detail::check_inplace(a, ct, a.shape());
  if (autograd::needs_grad({&a})) {
    autograd::check_inplace_allowed(a);
    Tensor r = clamp(autograd::inplace_source(a), min, max);  // the backward reads the input back
    autograd::assign_recorded(a, r);
    return a;
  }
  clamp_compute(a, a, min, max, ct);
  a.bump_version();
  return a;
}

}  // namespace steepest
