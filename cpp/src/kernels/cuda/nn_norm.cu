// The CUDA kernels of layer_norm and rms_norm, forward and backward (dispatch/nn.hpp). One
// block per row for the row statistics and the input gradient (two passes for the variance,
// as on the CPU: no E[x^2] - E[x]^2 cancellation; rms_norm sums in float64 as the CPU does);
// the weight and bias gradients are column sums over rows (column_reduce.cuh: a fixed order
// that depends only on the shape, so the same bits every run).
#include <cuda_runtime.h>

#include "dispatch/nn.hpp"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/column_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using steepest::cuda::block_reduce;
using steepest::cuda::current_stream;
using steepest::cuda::kRowThreads;
using steepest::cuda::SumOp;

using steepest::cuda::row_blocks;

__device__ inline float rsq(float v) { return 1.0f / sqrtf(v); }
__device__ inline double rsq(double v) { return 1.0 / sqrt(v); }

// ---- layer norm ----

template <class T>
__global__ void ln_forward_kernel(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t M, int64_t N,
                                  T eps) {
  __shared__ T scratch[33];
  for (int64_t r = blockIdx.x; r < M; r += gridDim.x) {
    const T* xr = x + r * N;
    T* yr = y + r * N;
    T s = 0;
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) s += xr[j];
    const T mu = block_reduce(s, SumOp{}, scratch) / T(N);
    T v = 0;
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
      const T d = xr[j] - mu;
      v += d * d;
    }
    const T var = block_reduce(v, SumOp{}, scratch) / T(N);
    const T rs = rsq(var + eps);
    if (threadIdx.x == 0) {
      mean[r] = mu;
      rstd[r] = rs;
    }
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
      T h = (xr[j] - mu) * rs;
      if (w) h = h * w[j];
      if (b) h = h + b[j];
      yr[j] = h;
    }
  }
}

// gx = rstd (dy - mean(dy) - xhat mean(dy xhat)), dy = g w.
template <class T>
__global__ void ln_backward_gx_kernel(const T* x, const T* g, const T* w, const T* mean, const T* rstd, T* gx,
                                      int64_t M, int64_t N) {
  __shared__ T scratch[33];
  for (int64_t r = blockIdx.x; r < M; r += gridDim.x) {
    const T* xr = x + r * N;
    const T* gr = g + r * N;
    const T mu = mean[r], rs = rstd[r];
    T s1 = 0, s2 = 0;
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
      const T dy = w ? gr[j] * w[j] : gr[j];
      s1 += dy;
      s2 += dy * ((xr[j] - mu) * rs);
    }
    const T m1 = block_reduce(s1, SumOp{}, scratch) / T(N);
    const T m2 = block_reduce(s2, SumOp{}, scratch) / T(N);
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) {
      const T dy = w ? gr[j] * w[j] : gr[j];
      const T xh = (xr[j] - mu) * rs;
      gx[r * N + j] = rs * (dy - m1 - xh * m2);
    }
  }
}

// gw[j] = sum_r g xhat and gb[j] = sum_r g, as two outputs of one column_reduce.
template <class T>
struct LnWbTerm {
  const T *x, *g, *mean, *rstd;
  int64_t N;
  __device__ void operator()(int64_t r, int64_t j, T* acc) const {
    const T gv = g[r * N + j];
    acc[0] += gv * ((x[r * N + j] - mean[r]) * rstd[r]);
    acc[1] += gv;
  }
};
template <class T>
struct LnWbOut {
  T *gw, *gb;
  __device__ void operator()(int k, int64_t j, T t) const {
    T* o = k == 0 ? gw : gb;
    if (o) o[j] = t;
  }
};

template <class T>
const T* opt(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }
template <class T>
T* opt_mut(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

template <class T>
void ln_forward(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                const Tensor& b, double eps) {
  const int64_t M = mean.numel(), N = M > 0 ? x.numel() / M : 0;
  if (M == 0) return;
  ln_forward_kernel<T><<<row_blocks(M), kRowThreads, 0, current_stream()>>>(
      x.data<T>(), opt<T>(w), opt<T>(b), y.data<T>(), mean.data<T>(), rstd.data<T>(), M, N, T(eps));
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
__global__ void zero_kernel(T* p, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    p[i] = T(0);
}

template <class T>
void zero(T* p, int64_t n) {
  if (p == nullptr || n == 0) return;
  zero_kernel<T><<<unsigned(steepest::cuda::blocks_for(n)), 256, 0, current_stream()>>>(p, n);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
void ln_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
                 const Tensor& w, const Tensor& mean, const Tensor& rstd) {
  const int64_t M = mean.numel();
  const int64_t N = M > 0 ? x.numel() / M : gw.defined() ? gw.numel() : gb.defined() ? gb.numel() : 0;
  if (M == 0) {  // no rows: the sums are zeros
    zero(opt_mut<T>(gw), N);
    zero(opt_mut<T>(gb), N);
    return;
  }
  if (gx.defined()) {
    ln_backward_gx_kernel<T><<<row_blocks(M), kRowThreads, 0, current_stream()>>>(
        x.data<T>(), g.data<T>(), opt<T>(w), mean.data<T>(), rstd.data<T>(), gx.data<T>(), M, N);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
  if ((gw.defined() || gb.defined()) && N > 0) {
    steepest::cuda::column_reduce<2, T>(LnWbTerm<T>{x.data<T>(), g.data<T>(), mean.data<T>(), rstd.data<T>(), N},
                                        LnWbOut<T>{opt_mut<T>(gw), opt_mut<T>(gb)}, M, N, x.device());
  }
}

// ---- rms norm ----

template <class T>
__global__ void rms_forward_kernel(const T* x, const T* w, T* y, T* rstd, int64_t M, int64_t N, double eps) {
  __shared__ double scratch[33];
  for (int64_t r = blockIdx.x; r < M; r += gridDim.x) {
    const T* xr = x + r * N;
    double ss = 0;
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) ss += double(xr[j]) * double(xr[j]);
    ss = block_reduce(ss, SumOp{}, scratch);
    const double rs = 1.0 / sqrt(ss / double(N) + eps);
    if (threadIdx.x == 0) rstd[r] = T(rs);
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) y[r * N + j] = T(double(xr[j]) * rs * (w ? double(w[j]) : 1.0));
  }
}

// y = x rs w: gx = rs (g w) - x rs^3 mean(g w x).
template <class T>
__global__ void rms_backward_gx_kernel(const T* x, const T* g, const T* w, const T* rstd, T* gx, int64_t M,
                                       int64_t N) {
  __shared__ double scratch[33];
  for (int64_t r = blockIdx.x; r < M; r += gridDim.x) {
    const T* xr = x + r * N;
    const T* gr = g + r * N;
    const double rs = double(rstd[r]);
    double dot = 0;
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x) dot += double(gr[j]) * (w ? double(w[j]) : 1.0) * double(xr[j]);
    dot = block_reduce(dot, SumOp{}, scratch);
    const double c = rs * rs * rs * dot / double(N);
    for (int64_t j = threadIdx.x; j < N; j += blockDim.x)
      gx[r * N + j] = T(rs * double(gr[j]) * (w ? double(w[j]) : 1.0) - double(xr[j]) * c);
  }
}

// gw[j] = sum_r g x rs, in float64 rounded once.
template <class T>
struct RmsWTerm {
  const T *x, *g, *rstd;
  int64_t N;
  __device__ void operator()(int64_t r, int64_t j, double* acc) const {
    acc[0] += double(g[r * N + j]) * double(x[r * N + j]) * double(rstd[r]);
  }
};
template <class T>
struct RmsWOut {
  T* gw;
  __device__ void operator()(int, int64_t j, double t) const { gw[j] = T(t); }
};

template <class T>
void rms_forward(const Tensor& y, const Tensor& rstd, const Tensor& x, const Tensor& w, double eps) {
  const int64_t M = rstd.numel(), N = M > 0 ? x.numel() / M : 0;
  if (M == 0) return;
  rms_forward_kernel<T><<<row_blocks(M), kRowThreads, 0, current_stream()>>>(x.data<T>(), opt<T>(w), y.data<T>(),
                                                                              rstd.data<T>(), M, N, eps);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
void rms_backward(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& g, const Tensor& w,
                  const Tensor& rstd) {
  const int64_t M = rstd.numel();
  const int64_t N = M > 0 ? x.numel() / M : gw.defined() ? gw.numel() : 0;
  if (M == 0) return zero(opt_mut<T>(gw), N);
  if (gx.defined()) {
    rms_backward_gx_kernel<T><<<row_blocks(M), kRowThreads, 0, current_stream()>>>(
        x.data<T>(), g.data<T>(), opt<T>(w), rstd.data<T>(), gx.data<T>(), M, N);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
  if (gw.defined() && N > 0) {
    steepest::cuda::column_reduce<1, double>(RmsWTerm<T>{x.data<T>(), g.data<T>(), rstd.data<T>(), N},
                                             RmsWOut<T>{gw.data<T>()}, M, N, x.device());
  }
}

void layer_norm(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                const Tensor& b, double eps) {
  if (x.dtype() == kFloat64) ln_forward<double>(y, mean, rstd, x, w, b, eps);
  else ln_forward<float>(y, mean, rstd, x, w, b, eps);
}

void layer_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
                         const Tensor& w, const Tensor& mean, const Tensor& rstd) {
  if (x.dtype() == kFloat64) ln_backward<double>(gx, gw, gb, x, g, w, mean, rstd);
  else ln_backward<float>(gx, gw, gb, x, g, w, mean, rstd);
}

void rms_norm(const Tensor& y, const Tensor& rstd, const Tensor& x, const Tensor& w, double eps) {
  if (x.dtype() == kFloat64) rms_forward<double>(y, rstd, x, w, eps);
  else rms_forward<float>(y, rstd, x, w, eps);
}

void rms_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& g, const Tensor& w,
                       const Tensor& rstd) {
  if (x.dtype() == kFloat64) rms_backward<double>(gx, gw, x, g, w, rstd);
  else rms_backward<float>(gx, gw, x, g, w, rstd);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::layer_norm_stub, CUDA, layer_norm);
STEEPEST_REGISTER_KERNEL(dispatch::layer_norm_backward_stub, CUDA, layer_norm_backward);
STEEPEST_REGISTER_KERNEL(dispatch::rms_norm_stub, CUDA, rms_norm);
STEEPEST_REGISTER_KERNEL(dispatch::rms_norm_backward_stub, CUDA, rms_norm_backward);

}  // namespace steepest::kernels::cuda_backend
