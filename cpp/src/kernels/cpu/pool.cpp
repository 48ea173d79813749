// The CPU kernels of pooling (dispatch/conv.hpp): plain window loops, one plane per task,
// planes spread over OpenMP threads. Sums of average pooling accumulate in double; max
// pooling lets NaN win, as torch does, and records the flat position of each maximum.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "dispatch/conv.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::PoolGeom;

template <class F>
void visit_float(DType d, F f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

// fn(p) for every plane, over threads when the planes hold enough work.
template <class F>
void each_plane(const PoolGeom& g, int64_t cost_per_plane, F fn) {
  const bool par = g.planes > 1 && double(g.planes) * double(cost_per_plane) >= 32768.0 &&
                   omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < g.planes; ++p) fn(p);
}

// Adaptive windows: output i covers [floor(i * in / out), ceil((i + 1) * in / out)).
inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// The maximum of x over rows [h0, h1) x cols [w0, w1) stepping by (dh, dw), clipped to the
// plane; NaN wins. idx = its flat position (the first valid position when all are -inf).
// With dilation a window's taps can all fall in the padding: it holds -inf and index -1, and
// takes no gradient (torch returns -inf there too, with an index outside the plane).
template <class T>
inline void window_max(const T* x, const PoolGeom& g, int64_t h0, int64_t h1, int64_t dh, int64_t w0, int64_t w1,
                       int64_t dw, T& best, int64_t& idx) {
  best = -std::numeric_limits<T>::infinity();
  idx = -1;
  for (int64_t h = h0; h < h1; h += dh) {
    if (h < 0 || h >= g.in_h) continue;
    for (int64_t w = w0; w < w1; w += dw) {
      if (w < 0 || w >= g.in_w) continue;
      const T v = x[h * g.in_w + w];
      if (idx < 0 || v > best || std::isnan(v)) {
        best = v;
        idx = h * g.in_w + w;
      }
    }
  }
}

template <class T>
void max_pool_t(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  int64_t* pi = idx.data<int64_t>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  each_plane(g, hw_out * g.kernel_h * g.kernel_w, [&](int64_t p) {
    const T* xp = px + p * hw_in;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t h0 = oh * g.stride_h - g.pad_h, h1 = h0 + g.kernel_h * g.dil_h;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w0 = ow * g.stride_w - g.pad_w, w1 = w0 + g.kernel_w * g.dil_w;
        const int64_t o = p * hw_out + oh * g.out_w + ow;
        window_max(xp, g, h0, h1, g.dil_h, w0, w1, g.dil_w, py[o], pi[o]);
      }
    }
  });
}

template <class T>
void adaptive_max_pool_t(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  int64_t* pi = idx.data<int64_t>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  const int64_t cost = std::max<int64_t>(hw_in, hw_out);
  each_plane(g, cost, [&](int64_t p) {
    const T* xp = px + p * hw_in;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.in_h, g.out_h), h1 = adaptive_end(oh, g.in_h, g.out_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.in_w, g.out_w), w1 = adaptive_end(ow, g.in_w, g.out_w);
        const int64_t o = p * hw_out + oh * g.out_w + ow;
        window_max(xp, g, h0, h1, 1, w0, w1, 1, py[o], pi[o]);
      }
    }
  });
}

template <class T>
bool max_pool_backward_t(const Tensor& gx, const Tensor& gy, const Tensor& idx, const PoolGeom& g) {
  const T* pgy = gy.data<T>();
  const int64_t* pi = idx.data<int64_t>();
  T* pgx = gx.data<T>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  std::atomic<bool> bad{false};
  each_plane(g, hw_in + hw_out, [&](int64_t p) {
    T* gp = pgx + p * hw_in;
    std::fill(gp, gp + hw_in, T(0));
    for (int64_t o = p * hw_out, e = o + hw_out; o < e; ++o) {
      const int64_t i = pi[o];
      if (i == -1) continue;  // a window entirely in the padding
      if (i < 0 || i >= hw_in) {
        bad.store(true, std::memory_order_relaxed);
        continue;
      }
      gp[i] += pgy[o];
    }
  });
  return !bad.load();
}

// One average-pooling window: the clipped bounds and the divisor (torch's rule: the window
// clipped to the padded input when padding counts, else to the input itself).
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  double divisor;
};

inline AvgWindow avg_window(const PoolGeom& g, int64_t oh, int64_t ow, bool count_include_pad, int64_t div) {
  int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  int64_t h1 = std::min(h0 + g.kernel_h, g.in_h + g.pad_h), w1 = std::min(w0 + g.kernel_w, g.in_w + g.pad_w);
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.in_h), w1 = std::min(w1, g.in_w);
  AvgWindow a{h0, h1, w0, w1, 1.0};
  if (div != 0) a.divisor = double(div);
  else if (count_include_pad) a.divisor = double(padded_size);
  else a.divisor = double(std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0));
  return a;
}

template <class T>
void avg_pool_t(const Tensor& y, const Tensor& x, const PoolGeom& g, bool cip, int64_t div) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  each_plane(g, hw_out * g.kernel_h * g.kernel_w, [&](int64_t p) {
    const T* xp = px + p * hw_in;
    T* yp = py + p * hw_out;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const AvgWindow a = avg_window(g, oh, ow, cip, div);
        double s = 0;
        for (int64_t h = a.h0; h < a.h1; ++h)
          for (int64_t w = a.w0; w < a.w1; ++w) s += double(xp[h * g.in_w + w]);
        yp[oh * g.out_w + ow] = T(s / a.divisor);
      }
  });
}

template <class T>
void avg_pool_backward_t(const Tensor& gx, const Tensor& gy, const PoolGeom& g, bool cip, int64_t div) {
  const T* pgy = gy.data<T>();
  T* pgx = gx.data<T>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  each_plane(g, hw_in + hw_out * g.kernel_h * g.kernel_w, [&](int64_t p) {
    T* gp = pgx + p * hw_in;
    const T* gyp = pgy + p * hw_out;
    std::fill(gp, gp + hw_in, T(0));
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const AvgWindow a = avg_window(g, oh, ow, cip, div);
        const T v = T(double(gyp[oh * g.out_w + ow]) / a.divisor);
        for (int64_t h = a.h0; h < a.h1; ++h)
          for (int64_t w = a.w0; w < a.w1; ++w) gp[h * g.in_w + w] += v;
      }
  });
}

template <class T>
void adaptive_avg_pool_t(const Tensor& y, const Tensor& x, const PoolGeom& g) {
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  each_plane(g, std::max(hw_in, hw_out), [&](int64_t p) {
    const T* xp = px + p * hw_in;
    T* yp = py + p * hw_out;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.in_h, g.out_h), h1 = adaptive_end(oh, g.in_h, g.out_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.in_w, g.out_w), w1 = adaptive_end(ow, g.in_w, g.out_w);
        double s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += double(xp[h * g.in_w + w]);
        yp[oh * g.out_w + ow] = T(s / double((h1 - h0) * (w1 - w0)));
      }
    }
  });
}

template <class T>
void adaptive_avg_pool_backward_t(const Tensor& gx, const Tensor& gy, const PoolGeom& g) {
  const T* pgy = gy.data<T>();
  T* pgx = gx.data<T>();
  const int64_t hw_in = g.in_h * g.in_w, hw_out = g.out_h * g.out_w;
  each_plane(g, std::max(hw_in, hw_out), [&](int64_t p) {
    T* gp = pgx + p * hw_in;
    const T* gyp = pgy + p * hw_out;
    std::fill(gp, gp + hw_in, T(0));
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.in_h, g.out_h), h1 = adaptive_end(oh, g.in_h, g.out_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.in_w, g.out_w), w1 = adaptive_end(ow, g.in_w, g.out_w);
        const T v = T(double(gyp[oh * g.out_w + ow]) / double((h1 - h0) * (w1 - w0)));
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) gp[h * g.in_w + w] += v;
      }
    }
  });
}

void max_pool(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g) {
  visit_float(x.dtype(), [&](auto z) { max_pool_t<decltype(z)>(y, idx, x, g); });
}
void adaptive_max_pool(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g) {
  visit_float(x.dtype(), [&](auto z) { adaptive_max_pool_t<decltype(z)>(y, idx, x, g); });
}
bool max_pool_backward(const Tensor& gx, const Tensor& gy, const Tensor& idx, const PoolGeom& g) {
  bool ok = true;
  visit_float(gy.dtype(), [&](auto z) { ok = max_pool_backward_t<decltype(z)>(gx, gy, idx, g); });
  return ok;
}
void avg_pool(const Tensor& y, const Tensor& x, const PoolGeom& g, bool cip, int64_t div) {
  visit_float(x.dtype(), [&](auto z) { avg_pool_t<decltype(z)>(y, x, g, cip, div); });
}
void avg_pool_backward(const Tensor& gx, const Tensor& gy, const PoolGeom& g, bool cip, int64_t div) {
  visit_float(gy.dtype(), [&](auto z) { avg_pool_backward_t<decltype(z)>(gx, gy, g, cip, div); });
}
void adaptive_avg_pool(const Tensor& y, const Tensor& x, const PoolGeom& g) {
  visit_float(x.dtype(), [&](auto z) { adaptive_avg_pool_t<decltype(z)>(y, x, g); });
}
void adaptive_avg_pool_backward(const Tensor& gx, const Tensor& gy, const PoolGeom& g) {
  visit_float(gy.dtype(), [&](auto z) { adaptive_avg_pool_backward_t<decltype(z)>(gx, gy, g); });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::max_pool_stub, CPU, max_pool);
STEEPEST_REGISTER_KERNEL(dispatch::adaptive_max_pool_stub, CPU, adaptive_max_pool);
STEEPEST_REGISTER_KERNEL(dispatch::max_pool_backward_stub, CPU, max_pool_backward);
STEEPEST_REGISTER_KERNEL(dispatch::avg_pool_stub, CPU, avg_pool);
STEEPEST_REGISTER_KERNEL(dispatch::avg_pool_backward_stub, CPU, avg_pool_backward);
STEEPEST_REGISTER_KERNEL(dispatch::adaptive_avg_pool_stub, CPU, adaptive_avg_pool);
STEEPEST_REGISTER_KERNEL(dispatch::adaptive_avg_pool_backward_stub, CPU, adaptive_avg_pool_backward);

}  // namespace steepest::kernels::cpu
