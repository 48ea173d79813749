// The CPU kernels of the convolution family (dispatch/conv.hpp), over im2col and the BLAS:
// per sample and group, the input's patches are copied into a column matrix (K = channels *
// kernel_h * kernel_w rows, one column per output position) and the convolution is one GEMM
// with the weight. The data gradient is the transposed GEMM followed by col2im (summing the
// columns back into the image), the weight gradient the GEMM of the output gradient with the
// columns. Samples are spread over OpenMP threads (each GEMM then single-threaded); a single
// sample runs its GEMMs on all threads instead. A 1x1 kernel with stride 1 and no padding
// skips the copy: the input already is its column matrix.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "dispatch/conv.hpp"
#include "kernels/cpu/blas.hpp"
#include "steepest/ops.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::ConvGeom;

// The output positions o in [0, out) whose input position o * stride - pad + offset lies in
// [0, in): one contiguous run [lo, hi), so the copy loops below need no per-element test.
inline void valid_run(int64_t out, int64_t in, int64_t stride, int64_t pad, int64_t offset, int64_t& lo,
                      int64_t& hi) {
  const int64_t a = pad - offset;  // o * stride >= a
  lo = a <= 0 ? 0 : (a + stride - 1) / stride;
  const int64_t b = in - 1 + pad - offset;  // o * stride <= b
  hi = b < 0 ? 0 : b / stride + 1;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
}

// col (channels * kh * kw, out_h * out_w) = the patches of x (channels, in_h, in_w).
template <class T>
void im2col_image(const T* x, T* col, int64_t channels, const ConvGeom& g) {
  const int64_t ow_n = g.out_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = x + c * hw_in;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      int64_t oh_lo, oh_hi;
      valid_run(g.out_h, g.in_h, g.stride_h, g.pad_h, i * g.dil_h, oh_lo, oh_hi);
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        T* dst = col + ((c * g.kernel_h + i) * g.kernel_w + j) * hw_out;
        int64_t ow_lo, ow_hi;
        valid_run(g.out_w, g.in_w, g.stride_w, g.pad_w, j * g.dil_w, ow_lo, ow_hi);
        std::fill(dst, dst + oh_lo * ow_n, T(0));
        std::fill(dst + oh_hi * ow_n, dst + hw_out, T(0));
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          T* d = dst + oh * ow_n;
          const T* row = plane + (oh * g.stride_h - g.pad_h + i * g.dil_h) * g.in_w;
          std::fill(d, d + ow_lo, T(0));
          std::fill(d + ow_hi, d + ow_n, T(0));
          const int64_t iw0 = ow_lo * g.stride_w - g.pad_w + j * g.dil_w;
          if (g.stride_w == 1) {
            if (ow_hi > ow_lo) std::memcpy(d + ow_lo, row + iw0, size_t(ow_hi - ow_lo) * sizeof(T));
          } else {
            for (int64_t ow = ow_lo, iw = iw0; ow < ow_hi; ++ow, iw += g.stride_w) d[ow] = row[iw];
          }
        }
      }
    }
  }
}

// x (channels, in_h, in_w) += the columns of col summed back into place (col2im).
template <class T>
void col2im_image(const T* col, T* x, int64_t channels, const ConvGeom& g) {
  const int64_t ow_n = g.out_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    T* plane = x + c * hw_in;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      int64_t oh_lo, oh_hi;
      valid_run(g.out_h, g.in_h, g.stride_h, g.pad_h, i * g.dil_h, oh_lo, oh_hi);
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const T* src = col + ((c * g.kernel_h + i) * g.kernel_w + j) * hw_out;
        int64_t ow_lo, ow_hi;
        valid_run(g.out_w, g.in_w, g.stride_w, g.pad_w, j * g.dil_w, ow_lo, ow_hi);
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          const T* s = src + oh * ow_n;
          T* row = plane + (oh * g.stride_h - g.pad_h + i * g.dil_h) * g.in_w;
          const int64_t iw0 = ow_lo * g.stride_w - g.pad_w + j * g.dil_w;
          if (g.stride_w == 1) {
            T* r = row + iw0;
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) r[ow - ow_lo] += s[ow];
          } else {
            for (int64_t ow = ow_lo, iw = iw0; ow < ow_hi; ++ow, iw += g.stride_w) row[iw] += s[ow];
          }
        }
      }
    }
  }
}

// A 1x1 kernel, stride 1, no padding: the image is its own column matrix.
inline bool is_pointwise(const ConvGeom& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.in_h == g.out_h && g.in_w == g.out_w;
}

// How many threads split the samples: one unless there are several samples and enough work
// (multiply-adds) to pay for waking the others.
inline int sample_threads(int64_t batch, double work) {
  if (batch < 2 || omp_in_parallel() || work < 65536.0) return 1;
  return int(std::min<int64_t>(omp_get_max_threads(), batch));
}

struct Sizes {
  int64_t G, Cg, Og, K, hw_in, hw_out;
  explicit Sizes(const ConvGeom& g)
      : G(g.groups), Cg(g.in_channels / g.groups), Og(g.out_channels / g.groups),
        K(g.in_channels / g.groups * g.kernel_h * g.kernel_w), hw_in(g.in_h * g.in_w), hw_out(g.out_h * g.out_w) {}
};

// Scratch for nt column buffers (none needed when the kernel is pointwise).
template <class T>
T* scratch(Tensor& keep, int64_t per_thread, int nt) {
  if (per_thread == 0) return nullptr;
  keep = Tensor::empty({per_thread * nt}, dtype_of<T>());
  return keep.data<T>();
}

template <class T>
void forward_t(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Sizes s(g);
  if (g.batch == 0 || g.out_channels == 0 || s.hw_out == 0) return;
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* py = y.data<T>();
  const bool direct = is_pointwise(g);
  const int nt = sample_threads(g.batch, double(g.batch) * double(g.out_channels) * double(s.hw_out) * double(s.K));
  Tensor keep;
  T* cols = scratch<T>(keep, direct ? 0 : s.K * s.hw_out, nt);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t n = 0; n < g.batch; ++n) {
    T* col = cols ? cols + omp_get_thread_num() * s.K * s.hw_out : nullptr;
    for (int64_t grp = 0; grp < s.G; ++grp) {
      const T* xs = px + (n * g.in_channels + grp * s.Cg) * s.hw_in;
      T* ys = py + (n * g.out_channels + grp * s.Og) * s.hw_out;
      T beta = T(0);
      if (pb) {
        for (int64_t o = 0; o < s.Og; ++o) std::fill(ys + o * s.hw_out, ys + (o + 1) * s.hw_out, pb[grp * s.Og + o]);
        beta = T(1);
      }
      if (s.K == 0) {
        if (!pb) std::fill(ys, ys + s.Og * s.hw_out, T(0));
        continue;
      }
      const T* cm = xs;
      if (!direct) {
        im2col_image(xs, col, s.Cg, g);
        cm = col;
      }
      blas::gemm_ex<T>(blas::NoTrans, blas::NoTrans, int(s.Og), int(s.hw_out), int(s.K), T(1), pw + grp * s.Og * s.K,
                       int(s.K), cm, int(s.hw_out), beta, ys, int(s.hw_out));
    }
  }
}

template <class T>
void backward_data_t(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Sizes s(g);
  if (g.batch == 0 || g.in_channels == 0 || s.hw_in == 0) return;
  const T* pgy = gy.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* pgx = gx.data<T>();
  const bool direct = is_pointwise(g);
  const int nt = sample_threads(g.batch, double(g.batch) * double(g.out_channels) * double(s.hw_out) * double(s.K));
  Tensor keep;
  T* cols = scratch<T>(keep, direct ? 0 : s.K * s.hw_out, nt);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t n = 0; n < g.batch; ++n) {
    T* col = cols ? cols + omp_get_thread_num() * s.K * s.hw_out : nullptr;
    for (int64_t grp = 0; grp < s.G; ++grp) {
      const T* gys = pgy + (n * g.out_channels + grp * s.Og) * s.hw_out;
      T* gxs = pgx + (n * g.in_channels + grp * s.Cg) * s.hw_in;
      if (s.Og == 0 || s.hw_out == 0) {
        std::fill(gxs, gxs + s.Cg * s.hw_in, T(0));
      } else if (direct) {
        blas::gemm_ex<T>(blas::DoTrans, blas::NoTrans, int(s.K), int(s.hw_out), int(s.Og), T(1),
                         pw + grp * s.Og * s.K, int(s.K), gys, int(s.hw_out), T(0), gxs, int(s.hw_out));
      } else {
        blas::gemm_ex<T>(blas::DoTrans, blas::NoTrans, int(s.K), int(s.hw_out), int(s.Og), T(1),
                         pw + grp * s.Og * s.K, int(s.K), gys, int(s.hw_out), T(0), col, int(s.hw_out));
        std::fill(gxs, gxs + s.Cg * s.hw_in, T(0));
        col2im_image(col, gxs, s.Cg, g);
      }
      if (pb)
        for (int64_t c = 0; c < s.Cg; ++c) {
          const T b = pb[grp * s.Cg + c];
          T* plane = gxs + c * s.hw_in;
          for (int64_t i = 0; i < s.hw_in; ++i) plane[i] += b;
        }
    }
  }
}

// gw = sum over samples of gy_n (Og, hw_out) @ col_n^T, per group. The samples are cut into
// one contiguous range per thread, each summed into its own buffer (the first into gw), and
// the buffers added in order. Deterministic mode uses one range: the sum then has one fixed
// association whatever the thread count, and each GEMM is deterministic itself.
template <class T>
void backward_weight_t(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  const Sizes s(g);
  T* pgw = gw.data<T>();
  const int64_t wsize = g.out_channels * s.K;
  if (wsize == 0) return;
  if (g.batch == 0 || s.hw_out == 0) {
    std::fill(pgw, pgw + wsize, T(0));
    return;
  }
  const T* pgy = gy.data<T>();
  const T* px = x.data<T>();
  const bool direct = is_pointwise(g);
  const int nt = deterministic() ? 1
                                 : sample_threads(g.batch, double(g.batch) * double(g.out_channels) *
                                                               double(s.hw_out) * double(s.K));
  Tensor keep, partial_keep;
  T* cols = scratch<T>(keep, direct ? 0 : s.K * s.hw_out, nt);
  T* partials = scratch<T>(partial_keep, nt > 1 ? wsize : 0, nt - 1);
  int used = 1;  // the threads OpenMP actually gave (it may give fewer than asked)
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = omp_get_thread_num(), parts = omp_get_num_threads();
    if (t == 0) used = parts;
    const int64_t lo = g.batch * t / parts, hi = g.batch * (t + 1) / parts;
    T* acc = t == 0 ? pgw : partials + (t - 1) * wsize;
    T* col = cols ? cols + t * s.K * s.hw_out : nullptr;
    if (lo == hi) std::fill(acc, acc + wsize, T(0));
    for (int64_t n = lo; n < hi; ++n) {
      for (int64_t grp = 0; grp < s.G; ++grp) {
        const T* gys = pgy + (n * g.out_channels + grp * s.Og) * s.hw_out;
        const T* cm = px + (n * g.in_channels + grp * s.Cg) * s.hw_in;
        if (!direct) {
          im2col_image(cm, col, s.Cg, g);
          cm = col;
        }
        blas::gemm_ex<T>(blas::NoTrans, blas::DoTrans, int(s.Og), int(s.K), int(s.hw_out), T(1), gys, int(s.hw_out),
                         cm, int(s.hw_out), n == lo ? T(0) : T(1), acc + grp * s.Og * s.K, int(s.K));
      }
    }
  }
  for (int p = 1; p < used; ++p) {
    const T* part = partials + (p - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) pgw[i] += part[i];
  }
}

// Runs fn(i) for i < count over threads when there is enough work (element copies).
template <class F>
void parallel_items(int64_t count, double work, F fn) {
  const bool par = count > 1 && work >= 65536.0 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t i = 0; i < count; ++i) fn(i);
}

template <class T>
void im2col_t(const Tensor& col, const Tensor& x, const ConvGeom& g) {
  const int64_t kk = g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  const T* px = x.data<T>();
  T* pc = col.data<T>();
  parallel_items(g.batch * g.in_channels, double(g.batch * g.in_channels) * double(kk * hw_out), [&](int64_t i) {
    im2col_image(px + i * hw_in, pc + i * kk * hw_out, 1, g);
  });
}

template <class T>
void col2im_t(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  const int64_t kk = g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  const T* pc = col.data<T>();
  T* px = x.data<T>();
  parallel_items(g.batch * g.in_channels, double(g.batch * g.in_channels) * double(kk * hw_out), [&](int64_t i) {
    T* plane = px + i * hw_in;
    std::fill(plane, plane + hw_in, T(0));
    col2im_image(pc + i * kk * hw_out, plane, 1, g);
  });
}

template <class F>
void visit_float(DType d, F f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

void conv_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  visit_float(x.dtype(), [&](auto z) { forward_t<decltype(z)>(y, x, w, bias, g); });
}
void conv_backward_data(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  visit_float(gy.dtype(), [&](auto z) { backward_data_t<decltype(z)>(gx, gy, w, bias, g); });
}
void conv_backward_weight(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  visit_float(gy.dtype(), [&](auto z) { backward_weight_t<decltype(z)>(gw, gy, x, g); });
}
void im2col(const Tensor& col, const Tensor& x, const ConvGeom& g) {
  visit_float(x.dtype(), [&](auto z) { im2col_t<decltype(z)>(col, x, g); });
}
void col2im(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  visit_float(col.dtype(), [&](auto z) { col2im_t<decltype(z)>(x, col, g); });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::conv_forward_stub, CPU, conv_forward);
STEEPEST_REGISTER_KERNEL(dispatch::conv_backward_data_stub, CPU, conv_backward_data);
STEEPEST_REGISTER_KERNEL(dispatch::conv_backward_weight_stub, CPU, conv_backward_weight);
STEEPEST_REGISTER_KERNEL(dispatch::im2col_stub, CPU, im2col);
STEEPEST_REGISTER_KERNEL(dispatch::col2im_stub, CPU, col2im);

}  // namespace steepest::kernels::cpu
