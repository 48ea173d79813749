// The CUDA kernels of the recurrent layers (dispatch/rnn.hpp): rnn_driver.hpp's time loops on
// the device. Each step is one cuBLAS product on the current stream and one grid-stride
// kernel over the (batch row, hidden unit) pairs running rnn_cell.hpp's body; the bias
// gradient is column_reduce.cuh's fixed-order column sum. float32 products use TF32 only when
// the float32 matmul precision allows it, as matmul does. Per-row lengths arrive on the host
// and are copied to the device once per call.
#define STEEPEST_ISA cudadev
#include <vector>

#include "dispatch/rnn.hpp"
#include "kernels/cuda/blas_handle.cuh"
#include "kernels/cuda/column_reduce.cuh"
#include "kernels/cuda/rnn_driver.hpp"
#include "steepest/runtime.hpp"

namespace steepest::kernels::cuda_backend {
namespace {

using dispatch::RnnMode;
using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;
namespace rnn = steepest::cuda::rnn;

template <class T>
__global__ void cell_forward_kernel(rnn::CellFwd<T> a, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    rnn::cell_forward(a, i);
}

template <class T>
__global__ void cell_backward_kernel(rnn::CellBwd<T> a, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    rnn::cell_backward(a, i);
}

template <class T>
struct ColumnTerm {
  const T* g;
  int64_t n;
  __device__ void operator()(int64_t r, int64_t j, T* acc) const { acc[0] += g[r * n + j]; }
};
template <class T>
struct ColumnOut {
  T* out;
  __device__ void operator()(int, int64_t j, T total) const { out[j] = total; }
};

// rnn_driver.hpp's executor on the current device and stream.
template <class T>
struct CudaExec {
  Device dev;
  std::vector<Tensor> keep;  // scratch, freed (stream-ordered) when the call returns

  T* scratch(int64_t n) {
    keep.push_back(Tensor::empty({n}, sizeof(T) == 8 ? kFloat64 : kFloat32, dev));
    return static_cast<T*>(keep.back().data_ptr());
  }
  void gemm(const rnn::BlasCall<T>& c) {
    constexpr cudaDataType type = sizeof(T) == 8 ? CUDA_R_64F : CUDA_R_32F;
    const cublasComputeType_t compute = sizeof(T) == 8 ? CUBLAS_COMPUTE_64F
                                        : matmul_allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                              : CUBLAS_COMPUTE_32F;
    const T one = T(1), beta = c.beta;
    STEEPEST_CUBLAS_CHECK(cublasGemmEx_64(steepest::cuda::blas_handle(), c.transa ? CUBLAS_OP_T : CUBLAS_OP_N,
                                          c.transb ? CUBLAS_OP_T : CUBLAS_OP_N, c.m, c.n, c.k, &one, c.a, type, c.lda,
                                          c.b, type, c.ldb, &beta, c.c, type, c.ldc, compute, CUBLAS_GEMM_DEFAULT));
  }
  void forward(const rnn::CellFwd<T>& a) {
    const int64_t n = a.B * a.H;
    cell_forward_kernel<T><<<unsigned(blocks_for(n)), steepest::cuda::kThreadsPerBlock, 0, current_stream()>>>(a, n);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
  void backward(const rnn::CellBwd<T>& a) {
    const int64_t n = a.B * a.H;
    cell_backward_kernel<T><<<unsigned(blocks_for(n)), steepest::cuda::kThreadsPerBlock, 0, current_stream()>>>(a, n);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
  void copy_rows(T* dst, int64_t dld, const T* src, int64_t sld, int64_t width, int64_t rows) {
    if (width == 0 || rows == 0) return;
    STEEPEST_CUDA_CHECK(cudaMemcpy2DAsync(dst, size_t(dld) * sizeof(T), src, size_t(sld) * sizeof(T),
                                          size_t(width) * sizeof(T), size_t(rows), cudaMemcpyDeviceToDevice,
                                          current_stream()));
  }
  void zero(T* p, int64_t n) {
    if (n > 0) STEEPEST_CUDA_CHECK(cudaMemsetAsync(p, 0, size_t(n) * sizeof(T), current_stream()));
  }
  void column_sum(T* out, const T* in, int64_t rows, int64_t n) {
    if (rows == 0 || n == 0) return zero(out, n);
    steepest::cuda::column_reduce<1, T>(ColumnTerm<T>{in, n}, ColumnOut<T>{out}, rows, n, dev);
  }

  // The host lengths (int64 (B,)) on the device, or null.
  const int64_t* lengths(const Tensor& len) {
    if (!len.defined()) return nullptr;
    const int64_t B = len.numel();
    keep.push_back(Tensor::empty({B}, kInt64, dev));
    int64_t* p = static_cast<int64_t*>(keep.back().data_ptr());
    // From pageable memory the copy is staged before the call returns, so `len` may go away.
    if (B > 0)
      STEEPEST_CUDA_CHECK(cudaMemcpyAsync(p, len.data<int64_t>(), size_t(B) * sizeof(int64_t),
                                          cudaMemcpyHostToDevice, current_stream()));
    return p;
  }
};

template <class T>
const T* cptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}
template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

template <class T>
void forward(RnnMode mode, bool reverse, const Tensor& out, const Tensor& hn, const Tensor& cn, const Tensor& ws,
             const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w, const Tensor& b,
             const Tensor& lengths) {
  CudaExec<T> ex{xp.device(), {}};
  const rnn::Dims d = rnn::dims_of(mode, xp.shape()[0], xp.shape()[1], w.shape()[1]);
  const bool lstm = mode == RnnMode::Lstm;
  rnn::forward<T>(ex, mode, reverse, d, cptr<T>(xp), cptr<T>(h0), lstm ? cptr<T>(c0) : nullptr, cptr<T>(w),
                  cptr<T>(b), ex.lengths(lengths), ptr<T>(out), ptr<T>(hn), lstm ? ptr<T>(cn) : nullptr,
                  d.S ? ptr<T>(ws) : nullptr);
}

template <class T>
void backward(RnnMode mode, bool reverse, const Tensor& gxp, const Tensor& gh0, const Tensor& gc0, const Tensor& gw,
              const Tensor& gb, const Tensor& gout, const Tensor& ghn, const Tensor& gcn, const Tensor& out,
              const Tensor& ws, const Tensor& h0, const Tensor& c0, const Tensor& w, const Tensor& lengths) {
  CudaExec<T> ex{out.device(), {}};
  const rnn::Dims d = rnn::dims_of(mode, out.shape()[0], out.shape()[1], w.shape()[1]);
  const bool lstm = mode == RnnMode::Lstm;
  rnn::backward<T>(ex, mode, reverse, d, cptr<T>(gout), cptr<T>(ghn), lstm ? cptr<T>(gcn) : nullptr, cptr<T>(out),
                   d.S ? cptr<T>(ws) : nullptr, cptr<T>(h0), lstm ? cptr<T>(c0) : nullptr, cptr<T>(w),
                   ex.lengths(lengths), ptr<T>(gxp), ptr<T>(gh0), lstm ? ptr<T>(gc0) : nullptr, ptr<T>(gw),
                   ptr<T>(gb));
}

void rnn_layer(RnnMode mode, bool reverse, const Tensor& out, const Tensor& hn, const Tensor& cn, const Tensor& ws,
               const Tensor& xp, const Tensor& h0, const Tensor& c0, const Tensor& w, const Tensor& b,
               const Tensor& lengths) {
  if (xp.dtype() == kFloat64) forward<double>(mode, reverse, out, hn, cn, ws, xp, h0, c0, w, b, lengths);
  else forward<float>(mode, reverse, out, hn, cn, ws, xp, h0, c0, w, b, lengths);
}

void rnn_layer_backward(RnnMode mode, bool reverse, const Tensor& gxp, const Tensor& gh0, const Tensor& gc0,
                        const Tensor& gw, const Tensor& gb, const Tensor& gout, const Tensor& ghn, const Tensor& gcn,
                        const Tensor& out, const Tensor& ws, const Tensor& h0, const Tensor& c0, const Tensor& w,
                        const Tensor& lengths) {
  if (out.dtype() == kFloat64)
    backward<double>(mode, reverse, gxp, gh0, gc0, gw, gb, gout, ghn, gcn, out, ws, h0, c0, w, lengths);
  else
    backward<float>(mode, reverse, gxp, gh0, gc0, gw, gb, gout, ghn, gcn, out, ws, h0, c0, w, lengths);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::rnn_layer_stub, CUDA, rnn_layer);
STEEPEST_REGISTER_KERNEL(dispatch::rnn_layer_backward_stub, CUDA, rnn_layer_backward);

}  // namespace steepest::kernels::cuda_backend
