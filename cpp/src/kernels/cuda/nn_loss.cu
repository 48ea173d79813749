// The CUDA kernels of cross_entropy and nll_loss, forward and backward (dispatch/nn.hpp),
// with the CPU kernels' formulas (class weights, ignore_index, label smoothing, probability
// targets, reductions none/sum/mean). Forward: one block per row writes the row's (max,
// log sum exp) and its loss terms in float64; one block then adds the rows in a fixed order
// and writes the reduced loss. The mean's denominator (the summed weights of the targets
// that are not ignored) is also what the backward divides by, and the op keeps it on the
// host: reading it back is the one synchronisation, and only index targets with
// reduction='mean' need it. Backward: one block per row.
#include <cuda_runtime.h>

#include "dispatch/nn.hpp"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using dispatch::CrossEntropyArgs;
using dispatch::Reduction;
using steepest::cuda::block_reduce;
using steepest::cuda::current_stream;
using steepest::cuda::kRowThreads;
using steepest::cuda::MaxOp;
using steepest::cuda::SumOp;

using steepest::cuda::ex;
using steepest::cuda::lg;
using steepest::cuda::row_blocks;

// What a forward row kernel needs besides the tensors.
struct CeRow {
  int64_t M, C, ignore;
  double a, b;  // the smoothed target: a p_j + b (probabilities)
  bool prob, smoothing;
};

// Per row i: lse[2i] = max, lse[2i+1] = log sum exp(x - max) (in T, as the CPU); terms[3i..]
// = (weighted nll, smoothing sum, target weight) in float64; `none` receives the row's loss
// when the reduction is none.
template <class T>
__global__ void ce_rows_kernel(const T* x, const int64_t* tidx, const T* tp, const T* w, T* lse, double* terms,
                               T* none, CeRow k, double none_a, double none_b) {
  __shared__ T scratch[33];
  __shared__ double dscratch[33];
  for (int64_t i = blockIdx.x; i < k.M; i += gridDim.x) {
    const T* xi = x + i * k.C;
    T m, s;
    steepest::cuda::row_max_sum_exp(xi, k.C, scratch, m, s);
    const T ls = k.C > 0 ? lg(s) : T(0);
    if (k.C == 0) m = 0;
    double nll = 0, smooth = 0, wt = 0;
    if (k.prob) {
      const T* pi = tp + i * k.C;
      double l = 0;
      for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x)
        l += (k.a * double(pi[j]) + k.b) * (w ? double(w[j]) : 1.0) * (double(ls) - double(xi[j] - m));
      nll = block_reduce(l, SumOp{}, dscratch);
    } else {
      const int64_t t = tidx[i];
      const bool valid = t != k.ignore && t >= 0 && t < k.C;  // out-of-range targets were refused by the op
      if (valid) {
        wt = w ? double(w[t]) : 1.0;
        nll = wt * (double(ls) - double(xi[t] - m));
      }
      if (k.smoothing) {
        double sm = 0;
        if (valid)
          for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x)
            sm += (w ? double(w[j]) : 1.0) * (double(ls) - double(xi[j] - m));
        smooth = block_reduce(sm, SumOp{}, dscratch);
      }
    }
    if (threadIdx.x == 0) {
      lse[2 * i] = m;
      lse[2 * i + 1] = ls;
      terms[3 * i] = nll;
      terms[3 * i + 1] = smooth;
      terms[3 * i + 2] = wt;
      if (none) none[i] = T(none_a * nll + none_b * smooth);
    }
  }
}

// One block: sums the rows' terms in a fixed order; writes them to sums[0..2] and, for
// mean/sum, the loss a s1 / d1 + b s2 / d2 to out[0] (d1 = d2 = the weight sum when `wmean`).
template <class T>
__global__ void ce_reduce_kernel(const double* terms, int64_t M, double* sums, T* out, double a, double b, double d1,
                                 double d2, bool wmean) {
  __shared__ double scratch[33];
  double s[3] = {0, 0, 0};
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x)
    for (int c = 0; c < 3; ++c) s[c] += terms[3 * i + c];
  for (int c = 0; c < 3; ++c) s[c] = block_reduce(s[c], SumOp{}, scratch);
  if (threadIdx.x == 0) {
    sums[0] = s[0];
    sums[1] = s[1];
    sums[2] = s[2];
    if (out) {
      if (wmean) d1 = d2 = s[2];
      out[0] = T(a * s[0] / d1 + (b != 0 ? b * s[1] / d2 : 0.0));
    }
  }
}

// Reads one float64 from the device after the stream's work (the mean's denominator).
double read_back(const double* p) {
  double v = 0;
  STEEPEST_CUDA_CHECK(cudaMemcpyAsync(&v, p, sizeof(double), cudaMemcpyDeviceToHost, current_stream()));
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  return v;
}

template <class T>
void ce_forward(const Tensor& out, const Tensor& lse, const Tensor& x, const Tensor& tgt, const Tensor& w,
                CrossEntropyArgs& k) {
  const int64_t M = k.M, C = k.C;
  CeRow r{M, C, k.ignore, 1.0 - k.ls, k.ls / double(C), k.prob, k.ls > 0};
  const double a = k.prob ? 1.0 : 1.0 - k.ls, b = k.prob ? 0.0 : k.ls / double(C);
  // Row terms and the three sums, float64, on the device.
  Tensor scratch = Tensor::empty({3 * M + 3}, kFloat64, x.device());
  double* terms = scratch.data<double>();
  double* sums = terms + 3 * M;
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  const bool none = k.red == Reduction::None;
  if (M > 0) {
    ce_rows_kernel<T><<<row_blocks(M), kRowThreads, 0, current_stream()>>>(
        x.data<T>(), k.prob ? nullptr : tgt.data<int64_t>(), k.prob ? tgt.data<T>() : nullptr, pw, lse.data<T>(),
        terms, none ? out.data<T>() : nullptr, r, a, b);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
  if (k.prob) k.d1 = k.red == Reduction::Mean ? double(M) : 1.0;
  const bool wmean = !k.prob && k.red == Reduction::Mean;
  if (none) return;
  ce_reduce_kernel<T><<<1, kRowThreads, 0, current_stream()>>>(terms, M, sums, out.data<T>(), a, b, k.d1, k.d2, wmean);
  STEEPEST_CUDA_LAUNCH_CHECK();
  if (wmean) k.d1 = k.d2 = read_back(sums + 2);
}

// The per-row scale of the loss's gradient: g is 0-d (mean/sum) or one value per row (none).
template <class T>
__device__ inline T grad_at(const T* g, bool per_row, int64_t i) { return per_row ? g[i] : g[0]; }

struct CeBack {
  int64_t M, C, ignore;
  double ls, d1, d2;
  bool prob, per_row;
};

template <class T>
__global__ void ce_backward_kernel(T* gx, T* gt, const T* g, const T* x, const int64_t* tidx, const T* tp,
                                   const T* lse, const T* w, CeBack k) {
  __shared__ double dscratch[33];
  // sum_j w_j (C without weights): the uniform part's total weight.
  double wsum_all = double(k.C);
  if (w) {
    double s = 0;
    for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x) s += double(w[j]);
    wsum_all = block_reduce(s, SumOp{}, dscratch);
  }
  const T ps = T(1.0 - k.ls), pt = T(k.ls / double(k.C));
  for (int64_t i = blockIdx.x; i < k.M; i += gridDim.x) {
    const T* xi = x + i * k.C;
    const T m = lse[2 * i], ls = lse[2 * i + 1];
    const double gi0 = double(grad_at(g, k.per_row, i));
    if (gx) {
      T* o = gx + i * k.C;
      if (k.prob) {
        const T* pi = tp + i * k.C;
        double S = 0;  // sum_j w_j p'_j
        for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x)
          S += (double(ps) * double(pi[j]) + double(pt)) * (w ? double(w[j]) : 1.0);
        S = block_reduce(S, SumOp{}, dscratch);
        const double gi = gi0 / k.d1;
        const T a = T(gi * S), b = T(gi);
        for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x)
          o[j] = a * ex((xi[j] - m) - ls) - b * (w ? w[j] : T(1)) * (ps * pi[j] + pt);
      } else {
        const int64_t t = tidx[i];
        if (t == k.ignore || t < 0 || t >= k.C) {
          for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x) o[j] = T(0);
        } else {
          const double w_t = w ? double(w[t]) : 1.0;
          const double c_nll = gi0 * (1.0 - k.ls) * w_t / k.d1;  // the one-hot part
          const double c_sm = gi0 * (k.ls / double(k.C)) / k.d2;  // the uniform part
          const T a = T(c_nll + c_sm * wsum_all), b = T(c_sm);
          for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x) {
            T v = a * ex((xi[j] - m) - ls) - b * (w ? w[j] : T(1));
            if (j == t) v = T(double(v) - c_nll);
            o[j] = v;
          }
        }
      }
    }
    if (gt) {  // d/dp_j = -(1 - ls) w_j log_softmax_j
      const double gi = gi0 / k.d1 * (1.0 - k.ls);
      for (int64_t j = threadIdx.x; j < k.C; j += blockDim.x)
        gt[i * k.C + j] = T(-gi * (w ? double(w[j]) : 1.0) * (double(xi[j] - m) - double(ls)));
    }
  }
}

template <class T>
void ce_backward(const Tensor& gx, const Tensor& gt, const Tensor& g, const Tensor& x, const Tensor& tgt,
                 const Tensor& lse, const Tensor& w, const CrossEntropyArgs& k) {
  if (k.M == 0 || k.C == 0) return;
  const bool per_row = !(g.numel() == 1 && g.dim() == 0);
  CeBack b{k.M, k.C, k.ignore, k.ls, k.d1, k.d2, k.prob, per_row};
  ce_backward_kernel<T><<<row_blocks(k.M), kRowThreads, 0, current_stream()>>>(
      gx.defined() ? gx.data<T>() : nullptr, gt.defined() ? gt.data<T>() : nullptr, g.data<T>(), x.data<T>(),
      k.prob ? nullptr : tgt.data<int64_t>(), k.prob ? tgt.data<T>() : nullptr, lse.data<T>(),
      w.defined() ? w.data<T>() : nullptr, b);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// ---- nll_loss ----

// One block: per row the loss -w_t x[t] (0 when ignored), written for reduction none; the
// sums of losses and weights in a fixed order; the reduced loss to out[0].
template <class T>
__global__ void nll_kernel(T* out, double* dsum, const T* x, const int64_t* tidx, const T* w, int64_t M, int64_t C,
                           int64_t ignore, bool none, bool mean) {
  __shared__ double scratch[33];
  double s = 0, ws = 0;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    const int64_t t = tidx[i];
    double l = 0;
    if (t != ignore && t >= 0 && t < C) {
      const double wt = w ? double(w[t]) : 1.0;
      ws += wt;
      l = -wt * double(x[i * C + t]);
    }
    if (none) out[i] = T(l);
    s += l;
  }
  s = block_reduce(s, SumOp{}, scratch);
  ws = block_reduce(ws, SumOp{}, scratch);
  if (threadIdx.x == 0) {
    const double d = mean ? ws : 1.0;
    *dsum = d;
    if (!none) out[0] = T(s / d);
  }
}

template <class T>
void nll_forward(const Tensor& out, const Tensor& x, const Tensor& tgt, const Tensor& w, int64_t ignore,
                 Reduction red, double* d_out) {
  const int64_t M = tgt.numel(), C = M > 0 ? x.numel() / M : 0;
  Tensor d = Tensor::empty({1}, kFloat64, x.device());
  nll_kernel<T><<<1, kRowThreads, 0, current_stream()>>>(out.data<T>(), d.data<double>(), x.data<T>(),
                                                          tgt.data<int64_t>(), w.defined() ? w.data<T>() : nullptr, M,
                                                          C, ignore, red == Reduction::None, red == Reduction::Mean);
  STEEPEST_CUDA_LAUNCH_CHECK();
  *d_out = red == Reduction::Mean ? read_back(d.data<double>()) : 1.0;
}

template <class T>
__global__ void nll_backward_kernel(T* gx, const T* g, bool per_row, const int64_t* tidx, const T* w, int64_t M,
                                    int64_t C, int64_t ignore, double d) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < M; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = tidx[i];
    if (t != ignore && t >= 0 && t < C) gx[i * C + t] = T(-double(grad_at(g, per_row, i)) * (w ? double(w[t]) : 1.0) / d);
  }
}

template <class T>
void nll_backward(const Tensor& gx, const Tensor& g, const Tensor& tgt, const Tensor& w, int64_t ignore, double d) {
  const int64_t M = tgt.numel(), C = M > 0 ? gx.numel() / M : 0;
  if (M == 0) return;
  const bool per_row = !(g.numel() == 1 && g.dim() == 0);
  nll_backward_kernel<T><<<unsigned(steepest::cuda::blocks_for(M)), 256, 0, current_stream()>>>(
      gx.data<T>(), g.data<T>(), per_row, tgt.data<int64_t>(), w.defined() ? w.data<T>() : nullptr, M, C, ignore, d);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void cross_entropy(const Tensor& out, const Tensor& lse, const Tensor& x, const Tensor& target, const Tensor& w,
                   CrossEntropyArgs& k) {
  if (x.dtype() == kFloat64) ce_forward<double>(out, lse, x, target, w, k);
  else ce_forward<float>(out, lse, x, target, w, k);
}

void cross_entropy_backward(const Tensor& gx, const Tensor& gt, const Tensor& g, const Tensor& x,
                            const Tensor& target, const Tensor& lse, const Tensor& w, const CrossEntropyArgs& k) {
  if (x.dtype() == kFloat64) ce_backward<double>(gx, gt, g, x, target, lse, w, k);
  else ce_backward<float>(gx, gt, g, x, target, lse, w, k);
}

void nll(const Tensor& out, const Tensor& x, const Tensor& target, const Tensor& w, int64_t ignore, Reduction red,
         double* d) {
  if (x.dtype() == kFloat64) nll_forward<double>(out, x, target, w, ignore, red, d);
  else nll_forward<float>(out, x, target, w, ignore, red, d);
}

void nll_backward_k(const Tensor& gx, const Tensor& g, const Tensor& target, const Tensor& w, int64_t ignore,
                    double d) {
  if (gx.dtype() == kFloat64) nll_backward<double>(gx, g, target, w, ignore, d);
  else nll_backward<float>(gx, g, target, w, ignore, d);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::cross_entropy_stub, CUDA, cross_entropy);
STEEPEST_REGISTER_KERNEL(dispatch::cross_entropy_backward_stub, CUDA, cross_entropy_backward);
STEEPEST_REGISTER_KERNEL(dispatch::nll_stub, CUDA, nll);
STEEPEST_REGISTER_KERNEL(dispatch::nll_backward_stub, CUDA, nll_backward_k);

}  // namespace steepest::kernels::cuda_backend
