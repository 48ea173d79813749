// Dispatch stub of copies between devices (Tensor.to(device)): the op has made both tensors
// dense with equal dtype and shape; the kernel moves the bytes. The stub is looked up on the
// non-CPU side of the copy (the CPU slot only copies CPU to CPU).
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

using DeviceCopyKernel = void (*)(const Tensor& dst, const Tensor& src, bool non_blocking);

STEEPEST_DECLARE_STUB(DeviceCopyKernel, device_copy_stub);

}  // namespace steepest::dispatch
