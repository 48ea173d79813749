// The CUDA kernels of softmax / log_softmax and their backward (dispatch/nn.hpp): one block
// of kRowThreads per row of the last dim, the row's max and sums by block_reduce (a fixed
// order, so results repeat bit for bit run to run). float32 and float64; the op has already
// turned 16-bit inputs into float32. Also used by scaled_dot_product_attention, which is
// composed of cuBLAS products and this softmax (see nn/attention.cpp).
#include <cuda_runtime.h>

#include "dispatch/nn.hpp"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using steepest::cuda::block_reduce;
using steepest::cuda::current_stream;
using steepest::cuda::kRowThreads;
using steepest::cuda::MaxOp;
using steepest::cuda::SumOp;

using steepest::cuda::ex;
using steepest::cuda::lg;
using steepest::cuda::row_blocks;

template <class T>
__global__ void softmax_kernel(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  __shared__ T scratch[33];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    T m, s;
    steepest::cuda::row_max_sum_exp(xr, n, scratch, m, s);
    if (log) {
      const T ls = lg(s);
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) yr[j] = (xr[j] - m) - ls;
    } else {
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) yr[j] = ex(xr[j] - m) / s;
    }
  }
}

// softmax: gx = y (g - sum(g y)); log_softmax: gx = g - exp(y) sum(g).
template <class T>
__global__ void softmax_backward_kernel(const T* y, const T* g, T* gx, int64_t rows, int64_t n, bool log) {
  __shared__ T scratch[33];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* yr = y + r * n;
    const T* gr = g + r * n;
    T* o = gx + r * n;
    T s = 0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) s += log ? gr[j] : gr[j] * yr[j];
    s = block_reduce(s, SumOp{}, scratch);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) o[j] = log ? gr[j] - ex(yr[j]) * s : yr[j] * (gr[j] - s);
  }
}

void softmax(const Tensor& y, const Tensor& x, bool log) {
  const int64_t n = x.shape().back(), rows = n > 0 ? x.numel() / n : 0;
  if (rows == 0 || n == 0) return;
  if (x.dtype() == kFloat64)
    softmax_kernel<<<row_blocks(rows), kRowThreads, 0, current_stream()>>>(x.data<double>(), y.data<double>(), rows,
                                                                            n, log);
  else
    softmax_kernel<<<row_blocks(rows), kRowThreads, 0, current_stream()>>>(x.data<float>(), y.data<float>(), rows, n,
                                                                            log);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void softmax_backward(const Tensor& gx, const Tensor& y, const Tensor& g, bool log) {
  const int64_t n = y.shape().back(), rows = n > 0 ? y.numel() / n : 0;
  if (rows == 0 || n == 0) return;
  if (y.dtype() == kFloat64)
    softmax_backward_kernel<<<row_blocks(rows), kRowThreads, 0, current_stream()>>>(
        y.data<double>(), g.data<double>(), gx.data<double>(), rows, n, log);
  else
    softmax_backward_kernel<<<row_blocks(rows), kRowThreads, 0, current_stream()>>>(
        y.data<float>(), g.data<float>(), gx.data<float>(), rows, n, log);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::softmax_stub, CUDA, softmax);
STEEPEST_REGISTER_KERNEL(dispatch::softmax_backward_stub, CUDA, softmax_backward);

}  // namespace steepest::kernels::cuda_backend
