// to_device: a tensor's values on another device. The source is made contiguous on its own
// device first (by that device's copy kernel), so the transfer itself is one dense block.
#include "autograd/record.hpp"
#include "dispatch/device_copy.hpp"
#include "steepest/ops.hpp"
#include "steepest/ops/device.hpp"
#include "tensor/allocator.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(DeviceCopyKernel, device_copy_stub);
}  // namespace dispatch

Tensor to_device(const Tensor& t, Device device, bool non_blocking, bool copy) {
  STEEPEST_CHECK(t.defined(), ValueError, "to(device): undefined tensor");
  device.index = detail::allocator(device).device_index(device.index);
  if (t.device() == device) return copy ? clone(t) : t;
  Tensor src = contiguous(t);
  Tensor out = Tensor::empty(t.shape(), t.dtype(), device);
  if (out.numel() > 0)
    dispatch::device_copy_stub().get(device.is_cpu() ? src.device() : device, "to")(out, src, non_blocking);
  const Device back = t.device();
  if (autograd::needs_grad({&t}) && is_floating(out.dtype()))
    autograd::record("ToCopyBackward0", {&t}, {&out}, {}, [back](Node&, std::vector<Tensor>& g) -> std::vector<Tensor> {
      return {to_device(g[0], back)};
    });
  return out;
}

}  // namespace steepest
