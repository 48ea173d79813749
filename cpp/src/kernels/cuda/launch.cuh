// What every CUDA kernel launch of the backend shares: the stream work goes to (the calling
// thread's current stream; st.cuda.Stream changes it) and the grid size for n elements, plus
// STEEPEST_CUDA_LAUNCH_CHECK after a <<<...>>> launch so a bad configuration names its file.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/launch_geometry.hpp"

namespace steepest::cuda {

// The calling thread's current stream (the legacy default stream, 0, until set_current_stream).
cudaStream_t current_stream();
void set_current_stream(cudaStream_t s);

}  // namespace steepest::cuda

#define STEEPEST_CUDA_LAUNCH_CHECK() STEEPEST_CUDA_CHECK(cudaGetLastError())
