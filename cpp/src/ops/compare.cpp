// Comparisons (bool results, computed in the promoted dtype), logical and bitwise ops, and
// where(cond, a, b): dtype rules and autograd here, the loops in the device's kernels
// (dispatch/elementwise.hpp).
#include "autograd/record.hpp"
#include "dispatch/elementwise.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(CompareKernel, compare_stub);
STEEPEST_DEFINE_STUB(BitKernel, bit_stub);
STEEPEST_DEFINE_STUB(NotKernel, logical_not_stub);
STEEPEST_DEFINE_STUB(NotKernel, bitwise_not_stub);
STEEPEST_DEFINE_STUB(WhereKernel, where_stub);
}  // namespace dispatch

namespace {

using detail::Operand;
using dispatch::BitOp;
using dispatch::CompareOp;

Tensor compare(CompareOp op, const char* name, const Operand& a, const Operand& b) {
  Device dev = dispatch::device_of(a, b);
  DType ct = detail::result_type_of({a, b});
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), kBool, dev);
  dispatch::compare_stub().get(dev, name)(op, out, a, b, ct);
  return out;
}

// logical_and/or/xor: each operand is "nonzero", the result bool.
Tensor logical(BitOp op, const char* name, const Tensor& a, const Tensor& b) {
  Device dev = dispatch::common_device(a, b);
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape()), kBool, dev);
  dispatch::bit_stub().get(dev, name)(op, out, a, b, kBool);
  return out;
}

DType bitwise_type(const char* name, const Operand& a, const Operand& b) {
  dispatch::device_of(a, b);  // one device
  DType ct = detail::result_type_of({a, b});
  STEEPEST_CHECK(!is_floating(ct), TypeError, name, ": only integer and bool tensors are supported, got ",
                 dtype_name(ct), " operands");
  return ct;
}

void bitwise_compute(BitOp op, const char* name, const Tensor& out, const Operand& a, const Operand& b, DType ct) {
  dispatch::bit_stub().get(out.device(), name)(op, out, a, b, ct);
}

Tensor bitwise(BitOp op, const char* name, const Operand& a, const Operand& b) {
  DType ct = bitwise_type(name, a, b);
  Tensor out = Tensor::empty(detail::broadcast_of({a, b}), ct, dispatch::device_of(a, b));
  bitwise_compute(op, name, out, a, b, ct);
  return out;
}

Tensor& bitwise_(BitOp op, const char* name, Tensor& self, const Operand& b) {
  DType ct = bitwise_type(name, self, b);
  detail::check_inplace(self, ct, detail::broadcast_of({self, b}));
  if (b.is_scalar()) {
    bitwise_compute(op, name, self, self, b, ct);
  } else {
    Tensor bb = detail::unaliased(self, *b.t);
    bitwise_compute(op, name, self, self, bb, ct);
  }
  self.bump_version();
  return self;
}

Tensor where_impl(const Tensor& cond, const Operand& a, const Operand& b) {
  STEEPEST_CHECK(cond.dtype() == kBool, TypeError,
                 "where expected condition to be a boolean tensor, but got a tensor with dtype ",
                 detail::torch_type_name(cond.dtype()));
  Device dev = dispatch::common_device({&cond, a.t, b.t});
  DType ct = detail::result_type_of({a, b});
  Tensor out = Tensor::empty(detail::broadcast_of({cond, a, b}), ct, dev);
  dispatch::where_stub().get(dev, "where")(out, cond, a, b, ct);
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

Tensor eq(const Tensor& a, const Tensor& b) { return compare(CompareOp::Eq, "eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(CompareOp::Ne, "ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(CompareOp::Lt, "lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(CompareOp::Le, "le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(CompareOp::Gt, "gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(CompareOp::Ge, "ge", a, b); }
Tensor eq(const Tensor& a, Scalar b) { return compare(CompareOp::Eq, "eq", a, b); }
Tensor ne(const Tensor& a, Scalar b) { return compare(CompareOp::Ne, "ne", a, b); }
Tensor lt(const Tensor& a, Scalar b) { return compare(CompareOp::Lt, "lt", a, b); }
Tensor le(const Tensor& a, Scalar b) { return compare(CompareOp::Le, "le", a, b); }
Tensor gt(const Tensor& a, Scalar b) { return compare(CompareOp::Gt, "gt", a, b); }
Tensor ge(const Tensor& a, Scalar b) { return compare(CompareOp::Ge, "ge", a, b); }

Tensor logical_not(const Tensor& a) {
  Tensor out = Tensor::empty(a.shape(), kBool, a.device());
  dispatch::logical_not_stub().get(a.device(), "logical_not")(out, a);
  return out;
}
Tensor logical_and(const Tensor& a, const Tensor& b) { return logical(BitOp::And, "logical_and", a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return logical(BitOp::Or, "logical_or", a, b); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return logical(BitOp::Xor, "logical_xor", a, b); }

Tensor bitwise_and(const Tensor& a, const Tensor& b) { return bitwise(BitOp::And, "bitwise_and", a, b); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return bitwise(BitOp::Or, "bitwise_or", a, b); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return bitwise(BitOp::Xor, "bitwise_xor", a, b); }
Tensor bitwise_and(const Tensor& a, Scalar b) { return bitwise(BitOp::And, "bitwise_and", a, b); }
Tensor bitwise_or(const Tensor& a, Scalar b) { return bitwise(BitOp::Or, "bitwise_or", a, b); }
Tensor bitwise_xor(const Tensor& a, Scalar b) { return bitwise(BitOp::Xor, "bitwise_xor", a, b); }
Tensor& bitwise_and_(Tensor& a, const Tensor& b) { return bitwise_(BitOp::And, "bitwise_and_", a, b); }
Tensor& bitwise_or_(Tensor& a, const Tensor& b) { return bitwise_(BitOp::Or, "bitwise_or_", a, b); }
Tensor& bitwise_xor_(Tensor& a, const Tensor& b) { return bitwise_(BitOp::Xor, "bitwise_xor_", a, b); }
Tensor& bitwise_and_(Tensor& a, Scalar b) { return bitwise_(BitOp::And, "bitwise_and_", a, b); }
Tensor& bitwise_or_(Tensor& a, Scalar b) { return bitwise_(BitOp::Or, "bitwise_or_", a, b); }
Tensor& bitwise_xor_(Tensor& a, Scalar b) { return bitwise_(BitOp::Xor, "bitwise_xor_", a, b); }

Tensor bitwise_not(const Tensor& a) {
  DType d = a.dtype();
  STEEPEST_CHECK(!is_floating(d), TypeError,
                 "bitwise_not (~) is only implemented on integer and bool tensors, got ", dtype_name(d));
  Tensor out = Tensor::empty(a.shape(), d, a.device());
  dispatch::bitwise_not_stub().get(a.device(), "bitwise_not")(out, a);
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) { return where_impl(cond, a, b); }
Tensor where(const Tensor& cond, const Tensor& a, Scalar b) { return where_impl(cond, a, b); }
Tensor where(const Tensor& cond, Scalar a, const Tensor& b) { return where_impl(cond, a, b); }
Tensor where(const Tensor& cond, Scalar a, Scalar b) { return where_impl(cond, a, b); }

}  // namespace steepest
