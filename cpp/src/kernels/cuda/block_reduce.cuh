// Block-wide sums and maxima for the CUDA nn kernels, in a fixed association: each thread
// folds its strided elements in index order, each warp combines its lanes by one shuffle tree,
// and thread 0 adds the warps' results in warp order. The order depends only on the block
// size, so a kernel launched with a fixed block size gives the same bits on every run.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace steepest::cuda {

constexpr int kRowThreads = 256;  // the block size of every row kernel (a multiple of 32)

// exp and log in the row's own precision (float or double), for the softmax-shaped kernels.
__device__ inline float ex(float v) { return expf(v); }
__device__ inline double ex(double v) { return exp(v); }
__device__ inline float lg(float v) { return logf(v); }
__device__ inline double lg(double v) { return log(v); }

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
  // NaN wins, so a row holding NaN gives NaN, as on the CPU.
  template <class T>
  __device__ T operator()(T a, T b) const { return (a != a || a > b) ? a : b; }
};

template <class T, class Op>
__device__ T warp_reduce(T v, Op op) {
  for (int off = 16; off > 0; off >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, off));
  return v;
}

// The block's reduction of v, returned to every thread. `scratch` holds 33 T in shared memory;
// every thread of the block must call it (it synchronises). blockDim.x is a multiple of 32.
template <class T, class Op>
__device__ T block_reduce(T v, Op op, T* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = warp_reduce(v, op);
  __syncthreads();  // a previous call's result may still be being read
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    T r = scratch[0];
    for (int w = 1; w < nwarps; ++w) r = op(r, scratch[w]);
    scratch[32] = r;
  }
  __syncthreads();
  return scratch[32];
}

// The max m of a row of n elements and s = sum exp(x - m), each reduced over the block in the
// fixed order (the first step of softmax, log_softmax and cross-entropy). Every thread gets
// both; every thread of the block must call it.
template <class T>
__device__ void row_max_sum_exp(const T* x, int64_t n, T* scratch, T& m, T& s) {
  m = -INFINITY;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) m = MaxOp{}(m, x[j]);
  m = block_reduce(m, MaxOp{}, scratch);
  s = 0;
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += ex(x[j] - m);
  s = block_reduce(s, SumOp{}, scratch);
}

}  // namespace steepest::cuda
