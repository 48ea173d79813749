// Unary elementwise ops (neg, abs, exp, log, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu,
// sign, log1p, expm1, floor, ceil, round, trunc), clamp, and their in-place forms: dtype rules and autograd; the math runs in the
// device's kernels (dispatch/elementwise.hpp). Transcendentals of integer/bool tensors
// compute in the default float dtype.
#include "autograd/pointwise.hpp"
#include "autograd/record.hpp"
#include "dispatch/elementwise.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(UnaryKernel, unary_stub);
STEEPEST_DEFINE_STUB(ClampKernel, clamp_stub);
}  // namespace dispatch

namespace {

using dispatch::UnaryOp;

const char* op_name(UnaryOp op) {
  static const char* names[] = {"neg", "abs", "exp", "log", "sqrt", "rsqrt", "sin", "cos",
                                "tanh", "sigmoid", "relu", "sign", "log1p", "expm1", "floor", "ceil",
                                "round", "trunc"};
  return names[int(op)];
}

void compute(UnaryOp op, const Tensor& out, const Tensor& x, DType ct) {
  dispatch::unary_stub().get(dispatch::common_device(out, x), op_name(op))(op, out, x, ct);
}

void clamp_compute(const Tensor& out, const Tensor& a, const std::optional<Scalar>& lo,
                   const std::optional<Scalar>& hi, DType ct) {
  dispatch::clamp_stub().get(dispatch::common_device(out, a), "clamp")(out, a, lo, hi, ct);
}

// The dtype op(x) computes in, after torch's dtype checks.
DType unary_type(UnaryOp op, const Tensor& x) {
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
    case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc:
      STEEPEST_CHECK(d != kBool, TypeError, op_name(op), ": not implemented for bool tensors");
      return d;
    default:
      return is_floating(d) ? d : default_dtype();
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
    case UnaryOp::Log1p:  // g / (1 + x)
      record("Log1pBackward0", {&x}, {&out}, {x},
             [](Node& n, V& g) -> V { return {div(g[0], add(n.saved(0), Scalar(1.0)))}; });
      break;
    case UnaryOp::Expm1:  // g (y + 1)
      record("Expm1Backward0", {&x}, {&out}, {out},
             [](Node& n, V& g) -> V { return {mul(g[0], add(n.saved(0), Scalar(1.0)))}; });
      break;
    case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc:
      record("RoundingBackward0", {&x}, {&out}, {}, [](Node&, V& g) -> V { return {zeros_like(g[0])}; });
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
  Tensor out = Tensor::empty(x.shape(), ct, x.device());
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
    bool reads_x = op == UnaryOp::Abs || op == UnaryOp::Log || op == UnaryOp::Sin || op == UnaryOp::Cos ||
                   op == UnaryOp::Log1p;
    Tensor r = reads_x ? unary(op, autograd::inplace_source(x)) : unary(op, x);
    autograd::assign_recorded(x, r);
    return x;
  }
  compute(op, x, x, ct);
  x.bump_version();
  return x;
}

DType clamp_type(const Tensor& a, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi) {
  STEEPEST_CHECK(lo || hi, ValueError, "clamp: At least one of 'min' or 'max' must not be None");
  detail::ResultType r;
  r.add(a);
  if (lo) r.add(*lo);
  if (hi) r.add(*hi);
  return r.get();
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
Tensor log1p(const Tensor& a) { return unary(UnaryOp::Log1p, a); }
Tensor expm1(const Tensor& a) { return unary(UnaryOp::Expm1, a); }
Tensor floor(const Tensor& a) { return unary(UnaryOp::Floor, a); }
Tensor ceil(const Tensor& a) { return unary(UnaryOp::Ceil, a); }
Tensor round(const Tensor& a) { return unary(UnaryOp::Round, a); }
Tensor round(const Tensor& a, int64_t decimals) {
  if (decimals == 0) return round(a);
  STEEPEST_CHECK(is_floating(a.dtype()), TypeError, "round(decimals=", decimals,
                 "): needs a floating tensor, got ", dtype_name(a.dtype()));
  // Scaled by 10^decimals, rounded half to even, scaled back (torch's definition).
  double f = 1.0;
  for (int64_t i = 0; i < (decimals < 0 ? -decimals : decimals); ++i) f *= 10.0;
  Scalar s(decimals > 0 ? f : 1.0 / f);
  return div(round(mul(a, s)), s);
}
Tensor trunc(const Tensor& a) { return unary(UnaryOp::Trunc, a); }

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
Tensor& log1p_(Tensor& a) { return unary_(UnaryOp::Log1p, a); }
Tensor& expm1_(Tensor& a) { return unary_(UnaryOp::Expm1, a); }
Tensor& floor_(Tensor& a) { return unary_(UnaryOp::Floor, a); }
Tensor& ceil_(Tensor& a) { return unary_(UnaryOp::Ceil, a); }
Tensor& round_(Tensor& a) { return unary_(UnaryOp::Round, a); }
Tensor& trunc_(Tensor& a) { return unary_(UnaryOp::Trunc, a); }

Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  DType ct = clamp_type(a, min, max);
  Tensor out = Tensor::empty(a.shape(), ct, a.device());
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
