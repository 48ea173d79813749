// STEEPEST_CUDA_CHECK: every CUDA runtime call of the CUDA backend goes through it, so a
// failure names the call, file and line.
#pragma once
#include <cuda_runtime.h>

#include "steepest/error.hpp"

#define STEEPEST_CUDA_CHECK(call)                                                           \
  do {                                                                                     \
    cudaError_t err_ = (call);                                                             \
    STEEPEST_CHECK_CALL(err_ == cudaSuccess, #call, cudaGetErrorString(err_));             \
  } while (0)
