// Binary arithmetic (add, sub, mul, div, pow, maximum, minimum; reflected and in-place forms)
// with broadcasting and torch's promotion: argument checks, result types and autograd here,
// the math in the device's kernels (dispatch/elementwise.hpp).
#include <cmath>
#include <limits>

#include "autograd/record.hpp"
#include "dispatch/elementwise.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(BinaryKernel, binary_stub);
STEEPEST_DEFINE_STUB(StreamKernel, stream_stub);
}  // namespace dispatch

namespace {

using detail::Operand;
using dispatch::BinaryOp;

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

void compute(BinaryOp op, const Tensor& out, const Operand& a, const Operand& b, DType ct, Scalar alpha) {
  dispatch::binary_stub().get(out.device(), op_name(op))(op, out, a, b, ct, alpha);
}

// The compute dtype of op(a, b), after torch's per-op argument checks.
DType compute_type(BinaryOp op, const Operand& a, const Operand& b, Scalar alpha) {
  dispatch::device_of(a, b);  // one device
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
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), ct, dispatch::device_of(a, b));
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
  Device dev = dispatch::common_device({&reads[0], reads.size() > 1 ? &reads[1] : nullptr,
                                        reads.size() > 2 ? &reads[2] : nullptr, reads.size() > 3 ? &reads[3] : nullptr,
                                        &write});
  dispatch::stream_stub().get(dev, "stream_kernel")(reads, write);
  if (write.defined()) write.bump_version();
}

}  // namespace detail

}  // namespace steepest
