// The CUDA kernels of pooling (dispatch/conv.hpp): max, average and adaptive pooling and their
// backwards, float32/float64 (the ops compute 16-bit inputs in float32). Each forward output
// and each backward input element is one thread that walks its windows in the CPU's order
// with the CPU's arithmetic (average sums in double), so the results equal the CPU's bit for
// bit. Max pooling's backward scatters through saved indices that need not follow any
// window; it runs one thread per plane adding in output order, as the CPU does, which is
// deterministic (no atomics) at the cost of parallelism within a plane.
#include <cuda_runtime.h>

#include "dispatch/conv.hpp"
#include "kernels/cuda/conv_geom.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda_backend {
namespace {

using dispatch::PoolGeom;
using steepest::cuda::blocks_for;
using steepest::cuda::current_stream;
using steepest::cuda::kThreadsPerBlock;
namespace cg = steepest::cuda::convgeom;

#define STEEPEST_POOL_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

unsigned grid(int64_t n) { return unsigned(blocks_for(n)); }

// The maximum over rows [h0, h1) x cols [w0, w1) stepping by (dh, dw), clipped to the plane;
// NaN wins; idx its flat position, -1 (with -inf) when every tap is in the padding.
template <class T>
__device__ void window_max(const T* x, const PoolGeom& g, int64_t h0, int64_t h1, int64_t dh, int64_t w0,
                           int64_t w1, int64_t dw, T& best, int64_t& idx) {
  best = -INFINITY;
  idx = -1;
  for (int64_t h = h0; h < h1; h += dh) {
    if (h < 0 || h >= g.in_h) continue;
    for (int64_t w = w0; w < w1; w += dw) {
      if (w < 0 || w >= g.in_w) continue;
      const T v = x[h * g.in_w + w];
      if (idx < 0 || v > best || v != v) {
        best = v;
        idx = h * g.in_w + w;
      }
    }
  }
}

template <class T, bool kAdaptive>
__global__ void max_pool_kernel(T* y, int64_t* idx, const T* x, PoolGeom g) {
  const int64_t hw_out = g.out_h * g.out_w;
  STEEPEST_POOL_LOOP(e, g.planes * hw_out) {
    const int64_t p = e / hw_out, oh = (e % hw_out) / g.out_w, ow = e % g.out_w;
    const T* xp = x + p * g.in_h * g.in_w;
    if constexpr (kAdaptive) {
      window_max(xp, g, cg::adaptive_start(oh, g.in_h, g.out_h), cg::adaptive_end(oh, g.in_h, g.out_h), 1,
                 cg::adaptive_start(ow, g.in_w, g.out_w), cg::adaptive_end(ow, g.in_w, g.out_w), 1, y[e], idx[e]);
    } else {
      const int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
      window_max(xp, g, h0, h0 + g.kernel_h * g.dil_h, g.dil_h, w0, w0 + g.kernel_w * g.dil_w, g.dil_w, y[e], idx[e]);
    }
  }
}

// gx (zeroed before) += gy through idx, one thread per plane in output order; *bad = 1 when an
// index (other than -1, a window wholly in the padding) lies outside its plane.
template <class T>
__global__ void max_pool_backward_kernel(T* gx, const T* gy, const int64_t* idx, PoolGeom g, int* bad) {
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  STEEPEST_POOL_LOOP(p, g.planes) {
    T* gp = gx + p * hw_in;
    for (int64_t o = p * hw_out, e = o + hw_out; o < e; ++o) {
      const int64_t i = idx[o];
      if (i == -1) continue;
      if (i < 0 || i >= hw_in) {
        *bad = 1;
        continue;
      }
      gp[i] += gy[o];
    }
  }
}

template <class T>
__global__ void avg_pool_kernel(T* y, const T* x, PoolGeom g, bool cip, int64_t div) {
  const int64_t hw_out = g.out_h * g.out_w;
  STEEPEST_POOL_LOOP(e, g.planes * hw_out) {
    const int64_t p = e / hw_out, oh = (e % hw_out) / g.out_w, ow = e % g.out_w;
    const T* xp = x + p * g.in_h * g.in_w;
    const cg::AvgWindow a = cg::avg_window(g, oh, ow, cip, div);
    double s = 0;
    for (int64_t h = a.h0; h < a.h1; ++h)
      for (int64_t w = a.w0; w < a.w1; ++w) s += double(xp[h * g.in_w + w]);
    y[e] = T(s / a.divisor);
  }
}

// Each input element adds T(gy / divisor) of every window holding it, in (oh, ow) order: the
// order of the CPU's scatter, so the same bits.
template <class T>
__global__ void avg_pool_backward_kernel(T* gx, const T* gy, PoolGeom g, bool cip, int64_t div) {
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  STEEPEST_POOL_LOOP(e, g.planes * hw_in) {
    const int64_t p = e / hw_in, h = (e % hw_in) / g.in_w, w = e % g.in_w;
    const T* gyp = gy + p * hw_out;
    int64_t oh0, oh1, ow0, ow1;
    cg::window_outputs(h, g.kernel_h, g.stride_h, g.pad_h, g.out_h, oh0, oh1);
    cg::window_outputs(w, g.kernel_w, g.stride_w, g.pad_w, g.out_w, ow0, ow1);
    T acc = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const cg::AvgWindow a = cg::avg_window(g, oh, ow, cip, div);
        acc += T(double(gyp[oh * g.out_w + ow]) / a.divisor);
      }
    gx[e] = acc;
  }
}

template <class T>
__global__ void adaptive_avg_pool_kernel(T* y, const T* x, PoolGeom g) {
  const int64_t hw_out = g.out_h * g.out_w;
  STEEPEST_POOL_LOOP(e, g.planes * hw_out) {
    const int64_t p = e / hw_out, oh = (e % hw_out) / g.out_w, ow = e % g.out_w;
    const T* xp = x + p * g.in_h * g.in_w;
    const int64_t h0 = cg::adaptive_start(oh, g.in_h, g.out_h), h1 = cg::adaptive_end(oh, g.in_h, g.out_h);
    const int64_t w0 = cg::adaptive_start(ow, g.in_w, g.out_w), w1 = cg::adaptive_end(ow, g.in_w, g.out_w);
    double s = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) s += double(xp[h * g.in_w + w]);
    y[e] = T(s / double((h1 - h0) * (w1 - w0)));
  }
}

template <class T>
__global__ void adaptive_avg_pool_backward_kernel(T* gx, const T* gy, PoolGeom g) {
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  STEEPEST_POOL_LOOP(e, g.planes * hw_in) {
    const int64_t p = e / hw_in, h = (e % hw_in) / g.in_w, w = e % g.in_w;
    const T* gyp = gy + p * hw_out;
    int64_t oh0, oh1, ow0, ow1;
    cg::adaptive_outputs(h, g.in_h, g.out_h, oh0, oh1);
    cg::adaptive_outputs(w, g.in_w, g.out_w, ow0, ow1);
    T acc = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const int64_t hs = cg::adaptive_end(oh, g.in_h, g.out_h) - cg::adaptive_start(oh, g.in_h, g.out_h);
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t ws = cg::adaptive_end(ow, g.in_w, g.out_w) - cg::adaptive_start(ow, g.in_w, g.out_w);
        acc += T(double(gyp[oh * g.out_w + ow]) / double(hs * ws));
      }
    }
    gx[e] = acc;
  }
}

template <class T>
T* out_ptr(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}
template <class T>
const T* in_ptr(const Tensor& t) {
  return static_cast<const T*>(t.data_ptr());
}

template <class F>
void visit_float(DType d, F f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

void max_pool(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g) {
  const int64_t n = g.planes * g.out_h * g.out_w;
  if (n == 0) return;
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    max_pool_kernel<T, false><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(out_ptr<T>(y), out_ptr<int64_t>(idx),
                                                                                  in_ptr<T>(x), g);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void adaptive_max_pool(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g) {
  const int64_t n = g.planes * g.out_h * g.out_w;
  if (n == 0) return;
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    max_pool_kernel<T, true><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(out_ptr<T>(y), out_ptr<int64_t>(idx),
                                                                                 in_ptr<T>(x), g);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// Reads the bad-index flag back: one synchronisation per call, because the stub reports it as
// its result (the op raises IndexError).
bool max_pool_backward(const Tensor& gx, const Tensor& gy, const Tensor& idx, const PoolGeom& g) {
  if (gx.numel() == 0) return true;
  STEEPEST_CUDA_CHECK(cudaMemsetAsync(gx.data_ptr(), 0, size_t(gx.numel()) * gx.itemsize(), current_stream()));
  if (g.out_h * g.out_w == 0 || g.planes == 0) return true;
  Tensor flag = Tensor::empty({1}, kInt32, gx.device());
  int* pf = out_ptr<int>(flag);
  STEEPEST_CUDA_CHECK(cudaMemsetAsync(pf, 0, sizeof(int), current_stream()));
  visit_float(gy.dtype(), [&](auto z) {
    using T = decltype(z);
    max_pool_backward_kernel<T><<<grid(g.planes), kThreadsPerBlock, 0, current_stream()>>>(
        out_ptr<T>(gx), in_ptr<T>(gy), in_ptr<int64_t>(idx), g, pf);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
  int bad = 0;
  STEEPEST_CUDA_CHECK(cudaMemcpyAsync(&bad, pf, sizeof(int), cudaMemcpyDeviceToHost, current_stream()));
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  return bad == 0;
}

void avg_pool(const Tensor& y, const Tensor& x, const PoolGeom& g, bool cip, int64_t div) {
  const int64_t n = g.planes * g.out_h * g.out_w;
  if (n == 0) return;
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    avg_pool_kernel<T><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(out_ptr<T>(y), in_ptr<T>(x), g, cip, div);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void avg_pool_backward(const Tensor& gx, const Tensor& gy, const PoolGeom& g, bool cip, int64_t div) {
  const int64_t n = g.planes * g.in_h * g.in_w;
  if (n == 0) return;
  visit_float(gy.dtype(), [&](auto z) {
    using T = decltype(z);
    avg_pool_backward_kernel<T><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(out_ptr<T>(gx), in_ptr<T>(gy), g,
                                                                                   cip, div);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void adaptive_avg_pool(const Tensor& y, const Tensor& x, const PoolGeom& g) {
  const int64_t n = g.planes * g.out_h * g.out_w;
  if (n == 0) return;
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    adaptive_avg_pool_kernel<T><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(out_ptr<T>(y), in_ptr<T>(x), g);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

void adaptive_avg_pool_backward(const Tensor& gx, const Tensor& gy, const PoolGeom& g) {
  const int64_t n = g.planes * g.in_h * g.in_w;
  if (n == 0) return;
  // With an empty output no window holds anything: every input gradient is 0 (the gather
  // below finds no outputs).
  visit_float(gy.dtype(), [&](auto z) {
    using T = decltype(z);
    adaptive_avg_pool_backward_kernel<T><<<grid(n), kThreadsPerBlock, 0, current_stream()>>>(out_ptr<T>(gx),
                                                                                            in_ptr<T>(gy), g);
  });
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::max_pool_stub, CUDA, max_pool);
STEEPEST_REGISTER_KERNEL(dispatch::adaptive_max_pool_stub, CUDA, adaptive_max_pool);
STEEPEST_REGISTER_KERNEL(dispatch::max_pool_backward_stub, CUDA, max_pool_backward);
STEEPEST_REGISTER_KERNEL(dispatch::avg_pool_stub, CUDA, avg_pool);
STEEPEST_REGISTER_KERNEL(dispatch::avg_pool_backward_stub, CUDA, avg_pool_backward);
STEEPEST_REGISTER_KERNEL(dispatch::adaptive_avg_pool_stub, CUDA, adaptive_avg_pool);
STEEPEST_REGISTER_KERNEL(dispatch::adaptive_avg_pool_backward_stub, CUDA, adaptive_avg_pool_backward);

}  // namespace steepest::kernels::cuda_backend
