// The CUDA backend's cuBLAS handles: one per device and stream, created on first use with its
// own workspace, bound to that stream; plus the status check every cuBLAS call goes through.
#pragma once
#include <cublas_v2.h>

#include "kernels/cuda/launch.cuh"

#define STEEPEST_CUBLAS_CHECK(call)                                                 \
  do {                                                                              \
    cublasStatus_t st_ = (call);                                                    \
    STEEPEST_CHECK_CALL(st_ == CUBLAS_STATUS_SUCCESS, #call, cublasGetStatusString(st_)); \
  } while (0)

namespace steepest::cuda {

// The handle for the current device and current_stream(): work issued on it is ordered with
// the backend's kernels on that stream.
cublasHandle_t blas_handle();

}  // namespace steepest::cuda
