// The CUDA backend's launch header for the host emulation of the optimizer kernels: the CUDA
// keywords and intrinsics the kernels use as host code, blockIdx/threadIdx as thread-local
// globals, and emulate(), which runs a launch's blocks and threads one after another (valid
// for kernels without __syncthreads, as the update kernel).
#pragma once
#include <cstdint>
#include <cstring>
#include "kernels/cuda/launch_geometry.hpp"
#include "steepest/error.hpp"
typedef int cudaError_t; typedef void* cudaStream_t;
struct Dim3 { unsigned x = 0, y = 0, z = 0; };
inline thread_local Dim3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __host__
#define __launch_bounds__(x)
#define __grid_constant__
inline uint32_t __float_as_uint(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t __umulhi(uint32_t a, uint32_t b) { return uint32_t((uint64_t(a) * b) >> 32); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
namespace steepest::cuda { inline cudaStream_t current_stream() { return nullptr; } }
#define STEEPEST_CUDA_LAUNCH_CHECK() do {} while (0)
#define STEEPEST_CUDA_CHECK(x) do { (void)(x); } while (0)
inline int cudaSetDevice(int) { return 0; }
template <class Fn> void emulate(unsigned blocks, unsigned threads, Fn fn) {
  blockDim.x = threads; gridDim.x = blocks;
  for (unsigned b = 0; b < blocks; ++b) for (unsigned t = 0; t < threads; ++t) { blockIdx.x = b; threadIdx.x = t; fn(); }
}
