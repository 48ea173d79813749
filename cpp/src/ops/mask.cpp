// Boolean-mask ops: masked_fill (where mask, a value) and nonzero (the positions of the
// nonzero elements, which is also how bool masks index); the loops in the device's kernels
// (dispatch/index.hpp).
#include "autograd/record.hpp"
#include "dispatch/index.hpp"
#include "ops/view.hpp"
#include "steepest/ops/creation.hpp"
#include "steepest/ops/elementwise.hpp"
#include "steepest/ops/index.hpp"
#include "steepest/ops/shape.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(MaskedFillKernel, masked_fill_stub);
STEEPEST_DEFINE_STUB(NonzeroKernel, nonzero_stub);
}  // namespace dispatch

using detail::bracket;

namespace {

void check_mask(const Tensor& mask) {
  STEEPEST_CHECK(mask.dtype() == kBool, TypeError, "masked_fill_ only supports boolean masks, but got mask with dtype ",
                 dtype_name(mask.dtype()));
}

Scalar scalar_of(const Tensor& value) {
  STEEPEST_CHECK(value.dim() == 0, ValueError,
                 "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ", value.dim(),
                 " dimension(s).");
  return value.item();
}

}  // namespace

Tensor& masked_fill_(Tensor& t, const Tensor& mask, Scalar value) {
  check_mask(mask);
  if (autograd::needs_grad({&t})) {  // out of place, recorded, then written back
    autograd::check_inplace_allowed(t);
    Tensor r = masked_fill(t, mask, value);
    STEEPEST_CHECK(r.shape() == t.shape(), ValueError, "masked_fill_: mask of shape ", bracket(mask.shape()),
                   " cannot be broadcast to the tensor's shape ", bracket(t.shape()));
    autograd::assign_recorded(t, r);
    return t;
  }
  const Device dev = dispatch::common_device(t, mask);
  const Shape &ms = mask.shape(), &ts = t.shape();
  bool fits = ms.size() <= ts.size();
  for (size_t i = 1; fits && i <= ms.size(); ++i) fits = ms[ms.size() - i] == 1 || ms[ms.size() - i] == ts[ts.size() - i];
  STEEPEST_CHECK(fits, ValueError, "masked_fill_: mask of shape ", bracket(ms), " cannot be broadcast to the tensor's shape ",
                 bracket(ts));
  check_scalar_fits(value, t.dtype());
  dispatch::masked_fill_stub().get(dev, "masked_fill_")(t, mask, value);
  t.bump_version();
  return t;
}

Tensor masked_fill(const Tensor& t, const Tensor& mask, Scalar value) {
  check_mask(mask);
  Tensor out = Tensor::empty(broadcast_shapes(t.shape(), mask.shape()), t.dtype(), t.device());
  {
    autograd::NoGradGuard no_grad;
    copy_(out, t);
    masked_fill_(out, mask, value);
  }
  if (autograd::needs_grad({&t}))  // filled positions get no gradient
    autograd::record("MaskedFillBackward0", {&t}, {&out}, {mask},
                     [](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
      return {where(n.saved(0), Scalar(0.0), g[0])};
    });
  return out;
}

Tensor& masked_fill_(Tensor& t, const Tensor& mask, const Tensor& value) {
  return masked_fill_(t, mask, scalar_of(value));
}

Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value) {
  return masked_fill(t, mask, scalar_of(value));
}

Tensor nonzero(const Tensor& t) { return dispatch::nonzero_stub().get(t.device(), "nonzero")(t); }

std::vector<Tensor> nonzero_columns(const Tensor& t) {
  Tensor nz = nonzero(t.dim() == 0 ? view(t, Shape{1}) : t);
  std::vector<Tensor> cols;
  for (int64_t d = 0; d < nz.shape()[1]; ++d) cols.push_back(contiguous(select(nz, 1, d)));
  return cols;
}

}  // namespace steepest
