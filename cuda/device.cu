// CUDA device detection and device memory for Storage. Every CUDA call goes through
// STEEPEST_CUDA_CHECK, which names the call, file and line.
#include <cuda_runtime.h>

#include "steepest/device.hpp"
#include "steepest/error.hpp"

#define STEEPEST_CUDA_CHECK(call)                                                           \
  do {                                                                                     \
    cudaError_t err_ = (call);                                                             \
    STEEPEST_CHECK_CALL(err_ == cudaSuccess, #call, cudaGetErrorString(err_));             \
  } while (0)

namespace steepest {

bool cuda_is_available() {
  int n = 0;
  // No driver or no device is an answer ("not available"), not an error.
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

namespace detail {

void* cuda_alloc(size_t nbytes, int index) {
  STEEPEST_CHECK(cuda_is_available(), Error, "cannot allocate on cuda: no CUDA device is available");
  int dev = index < 0 ? 0 : index;
  STEEPEST_CUDA_CHECK(cudaSetDevice(dev));
  void* p = nullptr;
  STEEPEST_CUDA_CHECK(cudaMalloc(&p, nbytes == 0 ? 256 : nbytes));
  return p;
}

void cuda_free(void* p) { cudaFree(p); }  // never throws: called from destructors

}  // namespace detail
}  // namespace steepest
