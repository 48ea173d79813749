// Rounded division and remainders (steepest/ops/divmod.hpp): dtypes, the integer
// division-by-zero check, results and autograd here; the per-element math in the device's
// kernels (dispatch/divmod.hpp).
#include "steepest/ops/divmod.hpp"

#include "autograd/record.hpp"
#include "dispatch/divmod.hpp"
#include "dispatch/elementwise.hpp"
#include "steepest/ops.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(DivModKernel, divmod_stub);
}  // namespace dispatch

namespace {

using detail::Operand;
using dispatch::DivModOp;

const char* name_of(DivModOp op) {
  switch (op) {
    case DivModOp::DivTrunc: return "div(rounding_mode='trunc')";
    case DivModOp::DivFloor: return "div(rounding_mode='floor')";
    case DivModOp::Remainder: return "remainder";
    case DivModOp::Fmod: return "fmod";
  }
  return "?";
}

DType compute_type(DivModOp op, const Operand& a, const Operand& b) {
  dispatch::device_of(a, b);
  DType ct = detail::result_type_of({a, b});
  STEEPEST_CHECK(ct != kBool, TypeError, name_of(op), ": not implemented for bool operands");
  return ct;
}

// Integer division by zero is an error, as torch (RuntimeError "ZeroDivisionError").
void check_divisor(DType ct, const Operand& b) {
  if (is_floating(ct)) return;
  bool zero;
  if (b.is_scalar()) {
    zero = b.s.to_int() == 0;
  } else {
    autograd::NoGradGuard ng;
    zero = b.t->numel() > 0 && sum(to_dtype(eq(*b.t, Scalar(0)), kInt64)).item<int64_t>() > 0;
  }
  STEEPEST_CHECK(!zero, Error, "ZeroDivisionError");
}

// The backward: a gets g (remainder, fmod) or 0 (rounded division); b gets
// -g * rounded(a / b) (remainder: floor, fmod: trunc) or 0.
void record(DivModOp op, const Operand& a, const Operand& b, Tensor& out) {
  const char* name = op == DivModOp::Remainder ? "RemainderBackward0"
                     : op == DivModOp::Fmod    ? "FmodBackward0"
                                               : "DivBackward2";
  std::vector<Tensor> save;
  bool reads = (op == DivModOp::Remainder || op == DivModOp::Fmod) && b.t;
  Scalar sa = a.s;
  if (reads) {
    if (a.t) save.push_back(*a.t);
    save.push_back(*b.t);
  }
  bool a_tensor = a.t != nullptr;
  autograd::record_n(name, {a.t, b.t}, {&out}, save,
                     [op, sa, a_tensor](Node& n, std::vector<Tensor>& gs) -> std::vector<Tensor> {
    const Tensor& g = gs[0];
    Tensor ga, gb;
    bool rounding = op == DivModOp::DivTrunc || op == DivModOp::DivFloor;
    if (n.needs_input_grad(0)) ga = rounding ? zeros_like(g) : g;
    if (n.needs_input_grad(1)) {
      if (rounding) {
        gb = zeros_like(g);
      } else {
        Tensor y = n.saved(a_tensor ? 1 : 0);
        RoundingMode m = op == DivModOp::Remainder ? RoundingMode::Floor : RoundingMode::Trunc;
        Tensor q = a_tensor ? div(n.saved(0), y, m) : div(sa, y, m);
        gb = neg(mul(g, q));
      }
    }
    return {ga, gb};
  });
}

Tensor compute(DivModOp op, const Operand& a, const Operand& b, bool differentiable = true) {
  DType ct = compute_type(op, a, b);
  check_divisor(ct, b);
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), ct, dispatch::device_of(a, b));
  dispatch::divmod_stub().get(out.device(), name_of(op))(op, out, a, b, ct);
  if (differentiable && is_floating(ct) && autograd::needs_grad({a.t, b.t})) record(op, a, b, out);
  return out;
}

Tensor& compute_(DivModOp op, Tensor& self, const Operand& b, bool differentiable = true) {
  DType ct = compute_type(op, self, b);
  detail::check_inplace(self, ct, b.is_scalar() ? self.shape() : detail::broadcast_of({self, b}));
  if (differentiable && autograd::needs_grad({&self, b.t})) {  // out of place, recorded, written back
    autograd::check_inplace_allowed(self);
    bool reads_self = b.t && b.t->requires_grad() && (op == DivModOp::Remainder || op == DivModOp::Fmod);
    Tensor r = compute(op, reads_self ? autograd::inplace_source(self) : self, b);
    autograd::assign_recorded(self, r);
    return self;
  }
  Tensor r = compute(op, self, b, false);
  autograd::NoGradGuard ng;
  copy_(self, r);
  return self;
}

DivModOp rounded(RoundingMode m) { return m == RoundingMode::Trunc ? DivModOp::DivTrunc : DivModOp::DivFloor; }

}  // namespace

Tensor div(const Tensor& a, const Tensor& b, RoundingMode m) {
  return m == RoundingMode::None ? div(a, b) : compute(rounded(m), a, b);
}
Tensor div(const Tensor& a, Scalar b, RoundingMode m) {
  return m == RoundingMode::None ? div(a, b) : compute(rounded(m), a, b);
}
Tensor div(Scalar a, const Tensor& b, RoundingMode m) {
  return m == RoundingMode::None ? div(a, b) : compute(rounded(m), a, b);
}
Tensor& div_(Tensor& a, const Tensor& b, RoundingMode m) {
  return m == RoundingMode::None ? div_(a, b) : compute_(rounded(m), a, b);
}
Tensor& div_(Tensor& a, Scalar b, RoundingMode m) {
  return m == RoundingMode::None ? div_(a, b) : compute_(rounded(m), a, b);
}
Tensor floor_divide(const Tensor& a, const Tensor& b) { return compute(DivModOp::DivFloor, a, b, false); }
Tensor floor_divide(const Tensor& a, Scalar b) { return compute(DivModOp::DivFloor, a, b, false); }
Tensor floor_divide(Scalar a, const Tensor& b) { return compute(DivModOp::DivFloor, a, b, false); }
Tensor& floor_divide_(Tensor& a, const Tensor& b) { return compute_(DivModOp::DivFloor, a, b, false); }
Tensor& floor_divide_(Tensor& a, Scalar b) { return compute_(DivModOp::DivFloor, a, b, false); }
Tensor remainder(const Tensor& a, const Tensor& b) { return compute(DivModOp::Remainder, a, b); }
Tensor remainder(const Tensor& a, Scalar b) { return compute(DivModOp::Remainder, a, b); }
Tensor remainder(Scalar a, const Tensor& b) { return compute(DivModOp::Remainder, a, b); }
Tensor& remainder_(Tensor& a, const Tensor& b) { return compute_(DivModOp::Remainder, a, b); }
Tensor& remainder_(Tensor& a, Scalar b) { return compute_(DivModOp::Remainder, a, b); }
Tensor fmod(const Tensor& a, const Tensor& b) { return compute(DivModOp::Fmod, a, b); }
Tensor fmod(const Tensor& a, Scalar b) { return compute(DivModOp::Fmod, a, b); }
Tensor& fmod_(Tensor& a, const Tensor& b) { return compute_(DivModOp::Fmod, a, b); }
Tensor& fmod_(Tensor& a, Scalar b) { return compute_(DivModOp::Fmod, a, b); }

}  // namespace steepest
