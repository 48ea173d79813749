// The CUDA kernels of batch norm (dispatch/batch_norm.hpp), over x viewed as (N, C, S). One
// 256-thread block per channel reduces its N * S values with block_reduce.cuh's fixed
// association, accumulating in double: the mean first, then the sums around the rounded mean
// (two passes, as the CPU: its first sum's residue corrects the mean, no E[x^2] - E[x]^2
// cancellation). The same block updates the running statistics and folds weight and bias into
// one scale and shift per channel; an elementwise kernel then applies them with the CPU's fma.
// The backward's two per-channel sums (sum g, sum g (x - mean)) are block reductions the same
// way. Results repeat bit for bit from run to run; they differ from the CPU's in the last bits
// because the sums run in another order.
#include <cuda_runtime.h>

#include "dispatch/batch_norm.hpp"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using steepest::cuda::block_reduce;
using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;
using steepest::cuda::kRowThreads;
using steepest::cuda::kThreadsPerBlock;
using steepest::cuda::row_blocks;
using steepest::cuda::SumOp;

// The (N, C, S) view: element i < N * S of channel c.
struct Shape3 {
  int64_t N, C, S;
  __device__ int64_t at(int64_t c, int64_t i) const { return (i / S) * C * S + c * S + i % S; }
};

// Per-channel scale and shift (double) that the apply kernels read.
struct Coeffs {
  double* a;
  double* b;
  double* k;
};

template <class T>
__global__ void bn_stats_kernel(const T* x, Shape3 s, const T* w, const T* bias, T* mean, T* invstd, T* rm, T* rv,
                                double momentum, double eps, Coeffs co) {
  __shared__ double scratch[33];
  const int64_t M = s.N * s.S;
  for (int64_t c = blockIdx.x; c < s.C; c += gridDim.x) {
    double t = 0;
    for (int64_t i = threadIdx.x; i < M; i += blockDim.x) t += double(x[s.at(c, i)]);
    const double mu0 = double(T(block_reduce(t, SumOp{}, scratch) / double(M)));  // the shift, as T
    double t1 = 0, t2 = 0;
    for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
      const double d = double(x[s.at(c, i)]) - mu0;
      t1 += d;
      t2 += d * d;
    }
    const double s1 = block_reduce(t1, SumOp{}, scratch);
    const double s2 = block_reduce(t2, SumOp{}, scratch);
    if (threadIdx.x == 0) {
      double var = (s2 - s1 * s1 / double(M)) / double(M);
      if (var < 0) var = 0;
      const double mu = mu0 + s1 / double(M);
      if (rm) rm[c] = T((1 - momentum) * double(rm[c]) + momentum * mu);
      if (rv) {
        const double unbiased = M > 1 ? var * double(M) / double(M - 1) : NAN;
        rv[c] = T((1 - momentum) * double(rv[c]) + momentum * unbiased);
      }
      const double is = 1.0 / sqrt(var + eps);
      mean[c] = T(mu);
      invstd[c] = T(is);
      co.a[c] = (w ? double(w[c]) : 1.0) * is;
      co.b[c] = (bias ? double(bias[c]) : 0.0) - mu * co.a[c];
    }
  }
}

// Eval mode: the statistics are the running ones.
template <class T>
__global__ void bn_eval_coeffs_kernel(int64_t C, const T* w, const T* bias, T* mean, T* invstd, const T* rm,
                                      const T* rv, double eps, Coeffs co) {
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += int64_t(gridDim.x) * blockDim.x) {
    const double mu = double(rm[c]), is = 1.0 / sqrt(double(rv[c]) + eps);
    mean[c] = T(mu);
    invstd[c] = T(is);
    co.a[c] = (w ? double(w[c]) : 1.0) * is;
    co.b[c] = (bias ? double(bias[c]) : 0.0) - mu * co.a[c];
  }
}

template <class T>
__global__ void bn_apply_kernel(const T* x, T* y, Shape3 s, Coeffs co) {
  const int64_t n = s.N * s.C * s.S;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (e / s.S) % s.C;
    y[e] = fma(x[e], T(co.a[c]), T(co.b[c]));
  }
}

// Backward: sum g and sum g (x - mean) per channel, then gw, gb and the coefficients of
// gx = a g + b (x - mean) + k (b = k = 0 in eval, where the statistics are constants).
template <class T>
__global__ void bn_grad_sums_kernel(const T* x, const T* g, Shape3 s, const T* w, const T* mean, const T* invstd,
                                    T* gw, T* gb, bool training, Coeffs co) {
  __shared__ double scratch[33];
  const int64_t M = s.N * s.S;
  for (int64_t c = blockIdx.x; c < s.C; c += gridDim.x) {
    const double mu = double(mean[c]);
    double t1 = 0, t2 = 0;
    for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
      const int64_t o = s.at(c, i);
      t1 += double(g[o]);
      t2 += double(g[o]) * (double(x[o]) - mu);
    }
    const double sg = block_reduce(t1, SumOp{}, scratch);
    const double sgx = block_reduce(t2, SumOp{}, scratch);
    if (threadIdx.x == 0) {
      const double is = double(invstd[c]);
      if (gw) gw[c] = T(sgx * is);
      if (gb) gb[c] = T(sg);
      const double a = (w ? double(w[c]) : 1.0) * is;
      co.a[c] = a;
      co.b[c] = training && M > 0 ? -a * is * is * sgx / double(M) : 0.0;
      co.k[c] = training && M > 0 ? -a * sg / double(M) : 0.0;
    }
  }
}

template <class T>
__global__ void bn_backward_apply_kernel(const T* g, const T* x, const T* mean, T* gx, Shape3 s, Coeffs co) {
  const int64_t n = s.N * s.C * s.S;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (e / s.S) % s.C;
    gx[e] = fma(T(co.a[c]), g[e], fma(T(co.b[c]), x[e] - mean[c], T(co.k[c])));
  }
}

Shape3 shape_of(const Tensor& x) {
  Shape3 s{x.shape()[0], x.shape()[1], 1};
  for (size_t d = 2; d < x.shape().size(); ++d) s.S *= x.shape()[d];
  return s;
}

template <class T>
T* opt(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

// Scratch for `n` per-channel double arrays of C entries.
struct CoeffStore {
  Tensor keep;
  Coeffs co{};
  CoeffStore(int64_t C, Device d) : keep(Tensor::empty({3 * C}, kFloat64, d)) {
    double* p = static_cast<double*>(keep.data_ptr());
    co = {p, p + C, p + 2 * C};
  }
};

template <class T>
void forward(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
             const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum, double eps) {
  const Shape3 s = shape_of(x);
  if (s.C == 0) return;
  if (training && s.N * s.S == 0) {  // an empty batch: nothing to normalize, the running statistics stay
    STEEPEST_CUDA_CHECK(cudaMemsetAsync(mean.data_ptr(), 0, size_t(s.C) * sizeof(T), current_stream()));
    STEEPEST_CUDA_CHECK(cudaMemsetAsync(invstd.data_ptr(), 0, size_t(s.C) * sizeof(T), current_stream()));
    return;
  }
  CoeffStore cs(s.C, x.device());
  if (training) {
    bn_stats_kernel<T><<<row_blocks(s.C), kRowThreads, 0, current_stream()>>>(
        opt<const T>(x), s, opt<const T>(w), opt<const T>(b), opt<T>(mean), opt<T>(invstd), opt<T>(rm), opt<T>(rv),
        momentum, eps, cs.co);
  } else {
    bn_eval_coeffs_kernel<T><<<unsigned(blocks_for(s.C)), kThreadsPerBlock, 0, current_stream()>>>(
        s.C, opt<const T>(w), opt<const T>(b), opt<T>(mean), opt<T>(invstd), opt<const T>(rm), opt<const T>(rv), eps,
        cs.co);
  }
  STEEPEST_CUDA_LAUNCH_CHECK();
  const int64_t n = x.numel();
  if (n == 0) return;
  bn_apply_kernel<T><<<unsigned(blocks_for(n)), kThreadsPerBlock, 0, current_stream()>>>(opt<const T>(x), opt<T>(y),
                                                                                        s, cs.co);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
void backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
              const Tensor& w, const Tensor& mean, const Tensor& invstd, bool training) {
  const Shape3 s = shape_of(x);
  if (s.C == 0) return;
  CoeffStore cs(s.C, x.device());
  bn_grad_sums_kernel<T><<<row_blocks(s.C), kRowThreads, 0, current_stream()>>>(
      opt<const T>(x), opt<const T>(g), s, opt<const T>(w), opt<const T>(mean), opt<const T>(invstd), opt<T>(gw),
      opt<T>(gb), training, cs.co);
  STEEPEST_CUDA_LAUNCH_CHECK();
  const int64_t n = x.numel();
  if (!gx.defined() || n == 0) return;
  bn_backward_apply_kernel<T><<<unsigned(blocks_for(n)), kThreadsPerBlock, 0, current_stream()>>>(
      opt<const T>(g), opt<const T>(x), opt<const T>(mean), opt<T>(gx), s, cs.co);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void batch_norm(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
                const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum, double eps) {
  if (x.dtype() == kFloat64) forward<double>(y, mean, invstd, x, w, b, rm, rv, training, momentum, eps);
  else forward<float>(y, mean, invstd, x, w, b, rm, rv, training, momentum, eps);
}

void batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
                         const Tensor& w, const Tensor& mean, const Tensor& invstd, bool training) {
  if (x.dtype() == kFloat64) backward<double>(gx, gw, gb, x, g, w, mean, invstd, training);
  else backward<float>(gx, gw, gb, x, g, w, mean, invstd, training);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::batch_norm_stub, CUDA, batch_norm);
STEEPEST_REGISTER_KERNEL(dispatch::batch_norm_backward_stub, CUDA, batch_norm_backward);

}  // namespace steepest::kernels::cuda_backend
