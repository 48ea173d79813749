// Copies and dtype conversions: copy_, fill_, to_dtype, contiguous, clone (the loops in the
// device's kernels, dispatch/elementwise.hpp). A copy_ across devices moves the source first.
#include "autograd/record.hpp"
#include "dispatch/elementwise.hpp"
#include "steepest/ops/device.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(CopyKernel, copy_stub);
STEEPEST_DEFINE_STUB(FillKernel, fill_stub);
}  // namespace dispatch

Tensor& copy_(Tensor& dst, const Tensor& src) {
  // Across devices (as torch allows): the source moves to dst's device first.
  if (dst.defined() && src.defined() && dst.device() != src.device()) return copy_(dst, to_device(src, dst.device()));
  Device dev = dispatch::common_device(dst, src);
  if (dst.numel() == 0) { broadcast_shapes(dst.shape(), src.shape()); return dst; }
  dispatch::copy_stub().get(dev, "copy_")(dst, src);
  dst.bump_version();
  return dst;
}

Tensor& fill_(Tensor& t, Scalar value) {
  check_scalar_fits(value, t.dtype());
  dispatch::fill_stub().get(t.device(), "fill_")(t, value);
  t.bump_version();
  return t;
}

Tensor& zero_(Tensor& t) { return fill_(t, Scalar(0)); }

// The gradient of a copy is the incoming gradient (the engine casts it back to the input's
// dtype), so clones and conversions share one node type.
static void record_copy(const char* name, const Tensor& t, Tensor& out) {
  if (autograd::needs_grad({&t}) && is_floating(out.dtype()))
    autograd::record(name, {&t}, {&out}, {}, [](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
      return {g[0]};
    });
}

Tensor to_dtype(const Tensor& t, DType dtype, bool copy) {
  if (t.dtype() == dtype && !copy) return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.device());
  copy_(out, t);
  record_copy("ToCopyBackward0", t, out);
  return out;
}

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  return clone(t);
}

Tensor clone(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  copy_(out, t);
  record_copy("CloneBackward0", t, out);
  return out;
}

}  // namespace steepest
