// Strided indexing of the CUDA kernels, device half: a grid-stride loop that hands each
// C-order position of n elements, with its byte offset in each of N operands (offset_pack.hpp
// packs the sizes and strides on the host, up to kMaxDims merged dims).
#pragma once
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/offset_pack.hpp"

namespace steepest::cuda {

// The first C-order position of this thread and the grid's stride, in 64 bits.
__device__ inline int64_t grid_first() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline int64_t grid_step() { return int64_t(gridDim.x) * blockDim.x; }

// f(i, off) for each i in [0, n) owned by this thread; off[k] is operand k's byte offset.
template <int N, class F>
__device__ inline void for_each_offset(const OffsetPack<N>& pk, int64_t n, F&& f) {
  for (int64_t i = grid_first(); i < n; i += grid_step()) {
    int64_t off[N];
    pk.offsets(i, off);
    f(i, off);
  }
}

}  // namespace steepest::cuda
