// The CUDA kernels of the CTC loss (dispatch/ctc.hpp), with the CPU kernel's per-state math
// (kernels/ctc_math.hpp) in log_probs' dtype. Forward: one block per sequence, threads over
// the extended states (2 * S + 1), one __syncthreads per time step, alpha kept in log_alpha.
// Backward: the same for beta into a scratch (N, T, 2 * S + 1), then one block per (t, b)
// row of the gradient, each label's alpha * beta summed over its states in ascending order as
// the CPU kernel sums them.
#include <cuda_runtime.h>

#include "dispatch/ctc.hpp"
#include "kernels/ctc_math.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using steepest::cuda::current_stream;
using steepest::cuda::row_blocks;

// Threads per block: the states (or classes) of the widest row rounded up to whole warps,
// at most 256 (the kernels loop when there are more).
unsigned threads_for(int64_t width) {
  const int64_t w = (width + 31) / 32 * 32;
  return unsigned(w < 32 ? 32 : (w > 256 ? 256 : w));
}

// The host geometry (N, 3) on the device. From pageable memory the copy is staged before the
// call returns.
Tensor device_geometry(const Tensor& geom, Device dev) {
  Tensor d = Tensor::empty(geom.shape(), kInt64, dev);
  if (geom.numel() > 0)
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(d.data_ptr(), geom.data<int64_t>(), size_t(geom.numel()) * sizeof(int64_t),
                                        cudaMemcpyHostToDevice, current_stream()));
  return d;
}

// The input length the backward runs over: none when zero_infinity drops an impossible target.
template <class T>
__device__ int64_t backward_length(const CtcSeq& q, const T* nll, int64_t b, bool zero_infinity) {
  return zero_infinity && nll[b] == -ctc_neg_inf<T>() ? 0 : q.input_length;
}

template <class T>
__global__ void alpha_kernel(T* nll, T* alpha_all, const T* lp, const int64_t* tg_all, const int64_t* geom,
                             int64_t Tn, int64_t N, int64_t C, int64_t W, int64_t blank) {
  for (int64_t b = blockIdx.x; b < N; b += gridDim.x) {
    const CtcSeq q = ctc_seq(geom, b);
    const int64_t L = q.input_length, K = q.target_length, S = 2 * K + 1;
    const int64_t* tg = tg_all + q.offset;
    T* alpha = alpha_all + b * Tn * W;
    if (L == 0) {  // only the empty target has a (empty) alignment; the branch is block-uniform
      if (threadIdx.x == 0) nll[b] = K == 0 ? -T(0) : -ctc_neg_inf<T>();
      continue;
    }
    // t = 0: a path starts at the leading blank or at the first label.
    const T* lp0 = lp + b * C;
    for (int64_t s = threadIdx.x; s < S; s += blockDim.x)
      alpha[s] = s == 0 ? lp0[blank] : (s == 1 ? lp0[tg[0]] : ctc_neg_inf<T>());
    __syncthreads();
    for (int64_t t = 1; t < L; ++t) {
      const T* prev = alpha + (t - 1) * W;
      T* cur = alpha + t * W;
      const T* lpt = lp + (t * N + b) * C;
      for (int64_t s = threadIdx.x; s < S; s += blockDim.x)
        cur[s] = ctc_alpha_in(prev, s, tg, blank) + lpt[ctc_label(tg, s, blank)];
      __syncthreads();
    }
    // A path ends on the last label or the trailing blank.
    if (threadIdx.x == 0) {
      const T* last = alpha + (L - 1) * W;
      nll[b] = K == 0 ? -last[0] : -ctc_log_add3(last[S - 1], last[S - 2], ctc_neg_inf<T>());
    }
  }
}

template <class T>
__global__ void beta_kernel(T* beta_all, const T* lp, const int64_t* tg_all, const int64_t* geom, const T* nll,
                            int64_t Tn, int64_t N, int64_t C, int64_t W, int64_t blank, bool zero_infinity) {
  for (int64_t b = blockIdx.x; b < N; b += gridDim.x) {
    const CtcSeq q = ctc_seq(geom, b);
    const int64_t L = backward_length(q, nll, b, zero_infinity), K = q.target_length, S = 2 * K + 1;
    if (L == 0) continue;  // block-uniform
    const int64_t* tg = tg_all + q.offset;
    T* beta = beta_all + b * Tn * W;
    // t = L - 1: a path ends on the trailing blank or the last label.
    const T* lpl = lp + ((L - 1) * N + b) * C;
    T* lastrow = beta + (L - 1) * W;
    for (int64_t s = threadIdx.x; s < S; s += blockDim.x)
      lastrow[s] = s == S - 1 ? lpl[blank] : (s == S - 2 ? lpl[tg[K - 1]] : ctc_neg_inf<T>());
    __syncthreads();
    for (int64_t t = L - 2; t >= 0; --t) {
      const T* next = beta + (t + 1) * W;
      T* cur = beta + t * W;
      const T* lpt = lp + (t * N + b) * C;
      for (int64_t s = threadIdx.x; s < S; s += blockDim.x)
        cur[s] = ctc_beta_in(next, s, S, tg, blank) + lpt[ctc_label(tg, s, blank)];
      __syncthreads();
    }
  }
}

// Whether s is the first state carrying its label (state 0 for the blank; the first copy of a
// repeated label), so that one thread gathers each label.
__device__ bool first_of_label(const int64_t* tg, int64_t s) {
  if (!(s & 1)) return s == 0;
  const int64_t v = tg[s >> 1];
  for (int64_t j = 0; j < (s >> 1); ++j)
    if (tg[j] == v) return false;
  return true;
}

// Row r = t * N + b of the gradient (T, N, C).
template <class T>
__global__ void grad_kernel(T* grad, const T* g, const T* lp, const int64_t* tg_all, const int64_t* geom, const T* nll,
                            const T* alpha_all, const T* beta_all, int64_t Tn, int64_t N, int64_t C, int64_t W,
                            int64_t blank, bool zero_infinity) {
  for (int64_t r = blockIdx.x; r < Tn * N; r += gridDim.x) {
    const int64_t t = r / N, b = r % N;
    const CtcSeq q = ctc_seq(geom, b);
    const int64_t L = backward_length(q, nll, b, zero_infinity), S = 2 * q.target_length + 1;
    T* gr = grad + r * C;
    if (t >= L) {  // block-uniform
      for (int64_t c = threadIdx.x; c < C; c += blockDim.x) gr[c] = T(0);
      continue;
    }
    const T* lpt = lp + r * C;
    const T nl = nll[b], go = g[b];
    // Classes no state carries: alpha * beta sums to nothing (-inf, as the CPU's empty sum).
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) gr[c] = ctc_grad(lpt[c], ctc_neg_inf<T>(), nl, go);
    __syncthreads();
    const int64_t* tg = tg_all + q.offset;
    const T* at = alpha_all + (b * Tn + t) * W;
    const T* bt = beta_all + (b * Tn + t) * W;
    for (int64_t s = threadIdx.x; s < S; s += blockDim.x) {
      if (!first_of_label(tg, s)) continue;
      // A label's states share s's parity (labels are never the blank).
      const int64_t l = ctc_label(tg, s, blank);
      T acc = ctc_neg_inf<T>();
      for (int64_t u = s; u < S; u += 2)
        if (ctc_label(tg, u, blank) == l) ctc_log_accumulate(acc, at[u] + bt[u]);
      gr[l] = ctc_grad(lpt[l], acc, nl, go);
    }
  }
}

template <class T>
void forward(const Tensor& nll, const Tensor& alpha, const Tensor& lp, const Tensor& tg, const Tensor& geom,
             int64_t blank) {
  const int64_t Tn = lp.shape()[0], N = lp.shape()[1], C = lp.shape()[2], W = alpha.shape()[2];
  if (N == 0) return;
  const Tensor dgeom = device_geometry(geom, lp.device());
  alpha_kernel<T><<<row_blocks(N), threads_for(W), 0, current_stream()>>>(
      nll.data<T>(), alpha.data<T>(), lp.data<T>(), tg.data<int64_t>(), dgeom.data<int64_t>(), Tn, N, C, W, blank);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
void backward(const Tensor& grad, const Tensor& g, const Tensor& lp, const Tensor& tg, const Tensor& geom,
              const Tensor& nll, const Tensor& alpha, int64_t blank, bool zero_infinity) {
  const int64_t Tn = lp.shape()[0], N = lp.shape()[1], C = lp.shape()[2], W = alpha.shape()[2];
  if (N == 0 || Tn == 0 || C == 0) return;
  const Tensor dgeom = device_geometry(geom, lp.device());
  Tensor beta = Tensor::empty(alpha.shape(), lp.dtype(), lp.device());
  cudaStream_t st = current_stream();
  beta_kernel<T><<<row_blocks(N), threads_for(W), 0, st>>>(beta.data<T>(), lp.data<T>(), tg.data<int64_t>(),
                                                           dgeom.data<int64_t>(), nll.data<T>(), Tn, N, C, W, blank,
                                                           zero_infinity);
  STEEPEST_CUDA_LAUNCH_CHECK();
  grad_kernel<T><<<row_blocks(Tn * N), threads_for(C > W ? C : W), 0, st>>>(
      grad.data<T>(), g.data<T>(), lp.data<T>(), tg.data<int64_t>(), dgeom.data<int64_t>(), nll.data<T>(),
      alpha.data<T>(), beta.data<T>(), Tn, N, C, W, blank, zero_infinity);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void ctc_loss(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs, const Tensor& targets,
              const Tensor& geom, int64_t blank) {
  if (log_probs.dtype() == kFloat64) forward<double>(nll, log_alpha, log_probs, targets, geom, blank);
  else forward<float>(nll, log_alpha, log_probs, targets, geom, blank);
}

void ctc_loss_backward(const Tensor& grad, const Tensor& g, const Tensor& log_probs, const Tensor& targets,
                       const Tensor& geom, const Tensor& nll, const Tensor& log_alpha, int64_t blank,
                       bool zero_infinity) {
  if (log_probs.dtype() == kFloat64)
    backward<double>(grad, g, log_probs, targets, geom, nll, log_alpha, blank, zero_infinity);
  else
    backward<float>(grad, g, log_probs, targets, geom, nll, log_alpha, blank, zero_infinity);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::ctc_loss_stub, CUDA, ctc_loss);
STEEPEST_REGISTER_KERNEL(dispatch::ctc_loss_backward_stub, CUDA, ctc_loss_backward);

}  // namespace steepest::kernels::cuda_backend
