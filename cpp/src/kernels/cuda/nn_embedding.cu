// The CUDA kernels of embedding (dispatch/nn.hpp). (The index bounds check that embedding and
// the class-index losses run first is index.cu's find_bad_index.)
// Backward is deterministic and adds in the CPU's order: the indices are read back once and
// grouped by row on the host (a stable counting sort, so each group keeps index order); then
// one block per distinct row adds that row's gradient rows in order, each thread owning
// columns, so no two threads ever add into one element and no atomics are needed.
#include <cuda_runtime.h>

#include <optional>
#include <vector>

#include "dispatch/index.hpp"
#include "dispatch/nn.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;

// ---- embedding forward: out[i, :] = weight[idx[i], :] (bit copies of E-sized elements) ----

template <class E>
__global__ void embedding_kernel(E* out, const E* w, const int64_t* idx, int64_t n, int64_t dim, int64_t num) {
  const int64_t total = n * dim;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e / dim, j = e % dim, r = idx[i];
    out[e] = r >= 0 && r < num ? w[r * dim + j] : E(0);  // the op refused out-of-range indices
  }
}

void embedding(const Tensor& out, const Tensor& weight, const Tensor& idx) {
  const int64_t n = idx.numel(), num = weight.shape()[0], dim = weight.shape()[1];
  if (n == 0 || dim == 0) return;
  const unsigned blocks = unsigned(blocks_for(n * dim));
  const int64_t* pi = idx.data<int64_t>();
  switch (weight.itemsize()) {
    case 8:
      embedding_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint64_t*>(out.data_ptr()),
                                                             static_cast<const uint64_t*>(weight.data_ptr()), pi, n,
                                                             dim, num);
      break;
    case 4:
      embedding_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint32_t*>(out.data_ptr()),
                                                             static_cast<const uint32_t*>(weight.data_ptr()), pi, n,
                                                             dim, num);
      break;
    case 2:
      embedding_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint16_t*>(out.data_ptr()),
                                                             static_cast<const uint16_t*>(weight.data_ptr()), pi, n,
                                                             dim, num);
      break;
    default:
      embedding_kernel<<<blocks, 256, 0, current_stream()>>>(static_cast<uint8_t*>(out.data_ptr()),
                                                             static_cast<const uint8_t*>(weight.data_ptr()), pi, n,
                                                             dim, num);
      break;
  }
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// ---- embedding backward ----

// Block b owns row rows[b] of gw: gw[row, j] = sum over its positions p (in index order) of
// g[order[p], j], written once (gw is zeros on entry; rows never indexed stay zero).
template <class T>
__global__ void embedding_backward_kernel(T* gw, const T* g, const int64_t* order, const int64_t* starts,
                                          const int64_t* rows, int64_t groups, int64_t dim) {
  for (int64_t b = blockIdx.x; b < groups; b += gridDim.x) {
    const int64_t p0 = starts[b], p1 = starts[b + 1];
    T* dst = gw + rows[b] * dim;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) {
      T acc = 0;
      for (int64_t p = p0; p < p1; ++p) acc += g[order[p] * dim + j];
      dst[j] = acc;
    }
  }
}

void embedding_backward(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t pad) {
  const int64_t n = idx.numel(), num = gw.shape()[0], dim = gw.shape()[1];
  if (n == 0 || dim == 0 || num == 0) return;
  // The indices on the host (one synchronisation), grouped by row with a stable counting sort.
  std::vector<int64_t> h(static_cast<size_t>(n));
  STEEPEST_CUDA_CHECK(cudaMemcpyAsync(h.data(), idx.data<int64_t>(), size_t(n) * sizeof(int64_t),
                                      cudaMemcpyDeviceToHost, current_stream()));
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  std::vector<int64_t> count(static_cast<size_t>(num) + 1, 0);
  for (int64_t v : h)
    if (v != pad && v >= 0 && v < num) ++count[size_t(v) + 1];
  // plan = [order (valid), starts (groups + 1), rows (groups)] in one upload.
  int64_t valid = 0, groups = 0;
  for (int64_t r = 0; r < num; ++r) {
    valid += count[size_t(r) + 1];
    groups += count[size_t(r) + 1] > 0;
  }
  if (valid == 0) return;
  std::vector<int64_t> plan(size_t(valid + 2 * groups + 1));
  int64_t* order = plan.data();
  int64_t* starts = order + valid;
  int64_t* rows = starts + groups + 1;
  std::vector<int64_t> next(static_cast<size_t>(num), 0);
  {
    int64_t pos = 0, gi = 0;
    for (int64_t r = 0; r < num; ++r) {
      const int64_t c = count[size_t(r) + 1];
      next[size_t(r)] = pos;
      if (c > 0) {
        starts[gi] = pos;
        rows[gi] = r;
        ++gi;
      }
      pos += c;
    }
    starts[groups] = valid;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = h[size_t(i)];
    if (v != pad && v >= 0 && v < num) order[next[size_t(v)]++] = i;
  }
  Tensor dplan = Tensor::empty({int64_t(plan.size())}, kInt64, gw.device());
  // Pageable source: the call returns once the bytes are staged, so `plan` may go after it.
  STEEPEST_CUDA_CHECK(cudaMemcpyAsync(dplan.data_ptr(), plan.data(), plan.size() * sizeof(int64_t),
                                      cudaMemcpyHostToDevice, current_stream()));
  const int64_t* d_order = dplan.data<int64_t>();
  const int64_t* d_starts = d_order + valid;
  const int64_t* d_rows = d_starts + groups + 1;
  const unsigned blocks = unsigned(groups < 65535 ? groups : 65535);
  const unsigned threads = dim >= 256 ? 256 : unsigned((dim + 31) / 32 * 32);
  if (gw.dtype() == kFloat64)
    embedding_backward_kernel<<<blocks, threads, 0, current_stream()>>>(gw.data<double>(), g.data<double>(), d_order,
                                                                        d_starts, d_rows, groups, dim);
  else
    embedding_backward_kernel<<<blocks, threads, 0, current_stream()>>>(gw.data<float>(), g.data<float>(), d_order,
                                                                        d_starts, d_rows, groups, dim);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::embedding_stub, CUDA, embedding);
STEEPEST_REGISTER_KERNEL(dispatch::embedding_backward_stub, CUDA, embedding_backward);

}  // namespace steepest::kernels::cuda_backend
