// erfc and erfinv (steepest/ops/special.hpp) and their in-place forms: dtype rules and
// autograd; the math runs in the device's kernels (dispatch/special.hpp).
#include "steepest/ops/special.hpp"

#include "autograd/record.hpp"
#include "dispatch/elementwise.hpp"
#include "dispatch/special.hpp"
#include "steepest/ops.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(SpecialKernel, special_stub);
}  // namespace dispatch

namespace {

using dispatch::SpecialOp;

const char* name_of(SpecialOp op) { return op == SpecialOp::Erfc ? "erfc" : "erfinv"; }

DType compute_type(const Tensor& x) { return is_floating(x.dtype()) ? x.dtype() : default_dtype(); }

void compute(SpecialOp op, const Tensor& out, const Tensor& x, DType ct) {
  dispatch::special_stub().get(dispatch::common_device(out, x), name_of(op))(op, out, x, ct);
}

void record_special(SpecialOp op, const Tensor& x, Tensor& out) {
  using V = std::vector<Tensor>;
  if (op == SpecialOp::Erfc) {  // d/dx erfc(x) = -2/sqrt(pi) exp(-x^2)
    autograd::record("ErfcBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V {
      Tensor xs = n.saved(0);
      return {mul(g[0], mul(exp(neg(mul(xs, xs))), Scalar(-1.1283791670955126)))};
    });
  } else {  // d/dy erfinv(y) = sqrt(pi)/2 exp(erfinv(y)^2), from the output
    autograd::record("ErfinvBackward0", {&x}, {&out}, {out}, [](Node& n, V& g) -> V {
      Tensor y = n.saved(0);
      return {mul(g[0], mul(exp(mul(y, y)), Scalar(0.88622692545275801)))};
    });
  }
}

Tensor special(SpecialOp op, const Tensor& x) {
  DType ct = compute_type(x);
  Tensor out = Tensor::empty(x.shape(), ct, x.device());
  compute(op, out, x, ct);
  if (autograd::needs_grad({&x})) record_special(op, x, out);
  return out;
}

Tensor& special_(SpecialOp op, Tensor& x) {
  DType ct = compute_type(x);
  detail::check_inplace(x, ct, x.shape());
  if (autograd::needs_grad({&x})) {  // out of place, recorded, then written back
    autograd::check_inplace_allowed(x);
    // erfc's backward reads its input, which the write-back overwrites: it gets a copy.
    Tensor r = op == SpecialOp::Erfc ? special(op, autograd::inplace_source(x)) : special(op, x);
    autograd::assign_recorded(x, r);
    return x;
  }
  compute(op, x, x, ct);
  x.bump_version();
  return x;
}

}  // namespace

Tensor erfc(const Tensor& a) { return special(SpecialOp::Erfc, a); }
Tensor erfinv(const Tensor& a) { return special(SpecialOp::Erfinv, a); }
Tensor& erfc_(Tensor& a) { return special_(SpecialOp::Erfc, a); }
Tensor& erfinv_(Tensor& a) { return special_(SpecialOp::Erfinv, a); }

}  // namespace steepest
