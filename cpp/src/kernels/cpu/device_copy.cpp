// The CPU slot of the device-copy stub: both sides on the host, one memcpy.
#include <cstring>

#include "dispatch/device_copy.hpp"

namespace steepest::kernels::cpu {

namespace {
void device_copy(const Tensor& dst, const Tensor& src, bool) {
  STEEPEST_CHECK(dst.device().is_cpu() && src.device().is_cpu(), NotImplementedError, "copy from ",
                 src.device().str(), " to ", dst.device().str(), ": this build has no kernel for it");
  std::memcpy(dst.data_ptr(), src.data_ptr(), size_t(dst.numel()) * dst.itemsize());
}
}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::device_copy_stub, CPU, device_copy);

}  // namespace steepest::kernels::cpu
