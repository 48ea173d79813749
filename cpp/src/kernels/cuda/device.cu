// CUDA device detection: whether this machine has a driver and at least one device.
#include <cuda_runtime.h>

#include "steepest/device.hpp"

namespace steepest {

bool cuda_is_available() {
  int n = 0;
  // No driver or no device is an answer ("not available"), not an error.
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

}  // namespace steepest
