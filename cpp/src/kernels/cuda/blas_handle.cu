// cuBLAS handles per (device, stream). A handle is not safe to share between host threads
// issuing concurrently, and cuBLAS keeps per-stream workspace state, so each pair gets its own,
// kept for the life of the process (as torch does). The workspace is a tensor from the device
// allocator, so it shows in the memory statistics.
#include <map>
#include <mutex>
#include <utility>

#include "kernels/cuda/blas_handle.cuh"
#include "steepest/tensor.hpp"

namespace steepest::cuda {

namespace {

// 32 MiB: what cuBLAS recommends on Hopper for its split-K and stream-K kernels.
constexpr int64_t kWorkspaceBytes = int64_t(32) << 20;

struct Entry {
  cublasHandle_t handle = nullptr;
  Tensor workspace;
};

}  // namespace

cublasHandle_t blas_handle() {
  // Never destroyed: handles and workspaces outlive every caller, and destroying them during
  // process exit would race the CUDA runtime's own teardown.
  static auto* table = new std::map<std::pair<int, cudaStream_t>, Entry>();
  static auto* mu = new std::mutex();
  int dev = 0;
  STEEPEST_CUDA_CHECK(cudaGetDevice(&dev));
  const cudaStream_t s = current_stream();
  std::lock_guard<std::mutex> lock(*mu);
  Entry& e = (*table)[{dev, s}];
  if (e.handle == nullptr) {
    cublasHandle_t h = nullptr;
    STEEPEST_CUBLAS_CHECK(cublasCreate(&h));
    e.handle = h;
    STEEPEST_CUBLAS_CHECK(cublasSetStream(h, s));
    e.workspace = Tensor::empty({kWorkspaceBytes / 8}, kInt64, Device(DeviceType::CUDA, dev));
    STEEPEST_CUBLAS_CHECK(cublasSetWorkspace(h, e.workspace.data_ptr(), size_t(kWorkspaceBytes)));
    // 16-bit products accumulate in float32 throughout: no reduced-precision split-K sums.
    STEEPEST_CUBLAS_CHECK(
        cublasSetMathMode(h, cublasMath_t(CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)));
  }
  return e.handle;
}

}  // namespace steepest::cuda
