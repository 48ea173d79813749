// Moving tensors between devices (CPU <-> CUDA, and between CUDA devices).
#pragma once
#include "steepest/tensor.hpp"

namespace steepest {

// t's values on `device` (differentiable: the gradient moves back to t's device). Returns t
// itself when it is already there and `copy` is false. non_blocking: a copy from pinned host
// memory or between device buffers may return before it has finished (it is ordered on the
// current CUDA stream); copies to pageable host memory always finish first.
Tensor to_device(const Tensor& t, Device device, bool non_blocking = false, bool copy = false);

// Where creation functions put tensors when no device is given (torch.set_default_device);
// the CPU unless changed. Process-wide.
Device default_device();
void set_default_device(Device d);

}  // namespace steepest
