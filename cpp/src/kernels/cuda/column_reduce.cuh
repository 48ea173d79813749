// Deterministic column sums over the rows of an (M, N) problem, for the weight and bias
// gradients (linear's bias, layer_norm's weight and bias, rms_norm's weight). The rows are
// cut into a fixed number of chunks that depends only on M. One block covers 32 columns of
// one chunk, and its 8 thread rows add every 8th row in order, then are added in order. A
// second kernel adds the chunks' partials in chunk order. The order of every addition
// therefore depends only on (M, N), and many blocks share a tall matrix.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/launch.cuh"
#include "steepest/tensor.hpp"

namespace steepest::cuda {

// Chunks of rows per column block: about 128 rows each, at most 256 chunks.
inline int64_t column_chunks(int64_t M) {
  const int64_t c = (M + 127) / 128;
  return c < 1 ? 1 : c > 256 ? 256 : c;
}

// Term: `__device__ void operator()(int64_t r, int64_t j, A* acc) const` adds row r's K
// values for column j into acc[0..K).
template <int K, class A, class Term>
__global__ void column_partials_kernel(Term term, int64_t M, int64_t N, int64_t chunk, A* part) {
  __shared__ A sh[K][8][33];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t j = int64_t(blockIdx.x) * 32 + tx, c = blockIdx.y, chunks = gridDim.y;
  const int64_t r0 = c * chunk, r1 = r0 + chunk < M ? r0 + chunk : M;
  A s[K];
  for (int k = 0; k < K; ++k) s[k] = A(0);
  if (j < N)
    for (int64_t r = r0 + ty; r < r1; r += 8) term(r, j, s);
  for (int k = 0; k < K; ++k) sh[k][ty][tx] = s[k];
  __syncthreads();
  if (ty == 0 && j < N)
    for (int k = 0; k < K; ++k) {
      A t = sh[k][0][tx];
      for (int i = 1; i < 8; ++i) t += sh[k][i][tx];
      part[(k * chunks + c) * N + j] = t;
    }
}

// Out: `__device__ void operator()(int k, int64_t j, A total) const` stores output k's column j.
template <int K, class A, class Out>
__global__ void column_finish_kernel(const A* part, int64_t chunks, int64_t N, Out out) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < N; j += int64_t(gridDim.x) * blockDim.x)
    for (int k = 0; k < K; ++k) {
      A t = part[(k * chunks) * N + j];
      for (int64_t c = 1; c < chunks; ++c) t += part[(k * chunks + c) * N + j];
      out(k, j, t);
    }
}

// Runs both kernels on the current stream (M >= 1, N >= 1). A is float or double; the
// partials live in a scratch tensor of the device allocator (`device`).
template <int K, class A, class Term, class Out>
void column_reduce(Term term, Out out, int64_t M, int64_t N, Device device) {
  const int64_t chunks = column_chunks(M), chunk = (M + chunks - 1) / chunks;
  Tensor scratch = Tensor::empty({int64_t(K) * chunks * N}, sizeof(A) == 8 ? kFloat64 : kFloat32, device);
  A* part = static_cast<A*>(scratch.data_ptr());
  const dim3 grid(unsigned((N + 31) / 32), unsigned(chunks));
  column_partials_kernel<K, A><<<grid, dim3(32, 8), 0, current_stream()>>>(term, M, N, chunk, part);
  STEEPEST_CUDA_LAUNCH_CHECK();
  column_finish_kernel<K, A><<<unsigned(blocks_for(N)), kThreadsPerBlock, 0, current_stream()>>>(part, chunks, N,
                                                                                                 out);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace steepest::cuda
