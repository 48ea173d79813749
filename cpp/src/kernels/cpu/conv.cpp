// The CPU kernels of the convolution family (dispatch/conv.hpp), over im2col and the BLAS:
// per sample and group, the input's patches are copied into a column matrix (K = channels *
// kernel_h * kernel_w rows, one column per output position) and the convolution is one GEMM
// with the weight. The data gradient is the transposed GEMM followed by col2im (summing the
// columns back into the image), the weight gradient the GEMM of the output gradient with the
// columns. Samples are spread over OpenMP threads (each GEMM then single-threaded); a single
// sample runs its GEMMs on all threads instead. Very small images batch several samples into
// one GEMM. A 1x1 kernel with stride 1 and no padding skips the copy: the input already is its
// column matrix. Where it is faster, the forward and the stride-1 data gradient run the direct
// kernels instead (conv_direct.hpp). bfloat16/float16 go to conv_lowp.cpp.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "dispatch/conv.hpp"
#include "kernels/cpu/blas.hpp"
#include "kernels/cpu/conv_direct.hpp"
#include "kernels/cpu/conv_im2col.hpp"
#include "kernels/cpu/conv_lowp.hpp"
#include "steepest/error.hpp"
#include "steepest/ops.hpp"
#include "steepest/runtime.hpp"

namespace steepest::kernels::cpu {
namespace conv_detail {

std::atomic<ConvPath> g_conv_path{ConvPath::Auto};
ConvPath conv_path_choice() { return g_conv_path.load(std::memory_order_relaxed); }

}  // namespace conv_detail
namespace {

using dispatch::ConvGeom;
using namespace conv_detail;

// The direct kernel for d when it should run: packs the weights (flipped and transposed for
// the data gradient) and writes out. Returns false to leave the work to im2col + GEMM.
template <class T>
bool try_direct(T* out, const T* in, const T* w, const T* bias, const DirectGeom& d, bool flip) {
  const TypedKernels<T>& table = typed_kernels<T>();
  const DirectKernel which = choose_direct(d, table.conv_lanes, table.conv_oc_block);
  if (which == DirectKernel::None) return false;
  const Tensor packed =
      pack_weights(w, d, flip, which == DirectKernel::Channels ? int64_t(table.conv_oc_block) : kConvDirectBlock);
  direct_run(out, in, packed.data<T>(), bias, d, which);
  return true;
}

template <class T>
void forward_t(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Plan p = make_plan(g, true);
  if (g.batch == 0 || g.out_channels == 0 || p.hw_out == 0) return;
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* py = y.data<T>();
  if (g.stride_w == 1 && try_direct(py, px, pw, pb, forward_geom(g), false)) return;
  const Scratch<T> scratch(p, true);
  each_chunk(p, [&](int64_t chunk, int t) {
    const int64_t n0 = chunk * p.per, nb = std::min(p.per, g.batch - n0), ld = p.ld();
    T* col = scratch.cols(t);
    for (int64_t grp = 0; grp < p.G; ++grp) {
      T* y0 = py + (n0 * g.out_channels + grp * p.Og) * p.hw_out;  // sample n0's rows of this group
      if (p.K == 0) {
        for (int64_t j = 0; j < nb; ++j)
          for (int64_t o = 0; o < p.Og; ++o) {
            T* r = y0 + (j * g.out_channels + o) * p.hw_out;
            std::fill(r, r + p.hw_out, pb ? pb[grp * p.Og + o] : T(0));
          }
        continue;
      }
      const T* cm = px + (n0 * g.in_channels + grp * p.Cg) * p.hw_in;
      if (!p.direct) {
        for (int64_t j = 0; j < nb; ++j)
          im2col_image(px + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in, col + j * p.hw_out, p.Cg, g, ld);
        cm = col;
      }
      const T* wg = pw + grp * p.Og * p.K;
      if (p.per == 1) {  // the GEMM writes the sample's output rows in place, over the bias
        T beta = T(0);
        if (pb) {
          for (int64_t o = 0; o < p.Og; ++o) std::fill(y0 + o * p.hw_out, y0 + (o + 1) * p.hw_out, pb[grp * p.Og + o]);
          beta = T(1);
        }
        blas::gemm_ex<T>(blas::NoTrans, blas::NoTrans, int(p.Og), int(p.hw_out), int(p.K), T(1), wg, int(p.K), cm,
                         int(ld), beta, y0, int(p.hw_out));
        continue;
      }
      T* st = scratch.staging(t);
      blas::gemm_ex<T>(blas::NoTrans, blas::NoTrans, int(p.Og), int(nb * p.hw_out), int(p.K), T(1), wg, int(p.K), cm,
                       int(ld), T(0), st, int(ld));
      for (int64_t j = 0; j < nb; ++j)
        for (int64_t o = 0; o < p.Og; ++o) {
          const T* src = st + o * ld + j * p.hw_out;
          T* dst = y0 + (j * g.out_channels + o) * p.hw_out;
          const T b = pb ? pb[grp * p.Og + o] : T(0);
          for (int64_t i = 0; i < p.hw_out; ++i) dst[i] = src[i] + b;
        }
    }
  });
}


template <class T>
void backward_data_t(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Plan p = make_plan(g, true);
  if (g.batch == 0 || g.in_channels == 0 || p.hw_in == 0) return;
  const T* pgy = gy.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* pgx = gx.data<T>();
  if (g.stride_h == 1 && g.stride_w == 1 && try_direct(pgx, pgy, pw, pb, backward_data_geom(g), true)) return;
  const Scratch<T> scratch(p, true);
  each_chunk(p, [&](int64_t chunk, int t) {
    const int64_t n0 = chunk * p.per, nb = std::min(p.per, g.batch - n0), ld = p.ld();
    T* col = scratch.cols(t);
    for (int64_t grp = 0; grp < p.G; ++grp) {
      const T* wg = pw + grp * p.Og * p.K;
      const T* gys = pgy + (n0 * g.out_channels + grp * p.Og) * p.hw_out;
      if (p.per > 1) {
        gather_rows(pgy, scratch.staging(t), n0, nb, grp, p, g.out_channels);
        gys = scratch.staging(t);
      }
      for (int64_t j = 0; j < nb; ++j) {
        T* gxs = pgx + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in;
        if (!p.direct || p.Og == 0) std::fill(gxs, gxs + p.Cg * p.hw_in, T(0));
      }
      if (p.Og > 0 && p.K > 0) {
        T* out = p.direct ? pgx + (n0 * g.in_channels + grp * p.Cg) * p.hw_in : col;
        blas::gemm_ex<T>(blas::DoTrans, blas::NoTrans, int(p.K), int(nb * p.hw_out), int(p.Og), T(1), wg, int(p.K),
                         gys, int(ld), T(0), out, int(ld));
        if (!p.direct)
          for (int64_t j = 0; j < nb; ++j)
            col2im_image(col + j * p.hw_out, pgx + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in, p.Cg, g, ld,
                         true);
      }
      if (pb)
        for (int64_t j = 0; j < nb; ++j)
          for (int64_t c = 0; c < p.Cg; ++c) {
            const T b = pb[grp * p.Cg + c];
            T* plane = pgx + ((n0 + j) * g.in_channels + grp * p.Cg + c) * p.hw_in;
            for (int64_t i = 0; i < p.hw_in; ++i) plane[i] += b;
          }
    }
  });
}

// gw = sum over chunks of gy_chunk (Og, cols) @ col_chunk^T, per group. The chunks are cut
// into one contiguous range per thread, each summed into its own buffer (the first into gw),
// and the buffers added in order. Deterministic mode uses one range: the sum then has one
// fixed association whatever the thread count, and each GEMM is deterministic itself.
template <class T>
void backward_weight_t(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  const Plan p = make_plan(g, !deterministic());
  T* pgw = gw.data<T>();
  const int64_t wsize = g.out_channels * p.K;
  if (wsize == 0) return;
  if (g.batch == 0 || p.hw_out == 0) {
    std::fill(pgw, pgw + wsize, T(0));
    return;
  }
  const T* pgy = gy.data<T>();
  const T* px = x.data<T>();
  if (g.stride_w == 1) {
    const TypedKernels<T>& table = typed_kernels<T>();
    const DirectGeom d = forward_geom(g);
    if (use_weight_oc(d, table.conv_lanes, table.conv_oc_block)) return direct_weight_run(pgw, px, pgy, d);
  }
  const Scratch<T> scratch(p, true);
  Tensor partial_keep;
  T* partials = nullptr;
  if (p.threads > 1) {
    partial_keep = Tensor::empty({wsize * (p.threads - 1)}, dtype_of<T>());
    partials = partial_keep.data<T>();
  }
  int used = 1;  // the threads OpenMP actually gave (it may give fewer than asked)
#pragma omp parallel num_threads(p.threads) if (p.threads > 1)
  {
    const int t = omp_get_thread_num(), parts = omp_get_num_threads();
    if (t == 0) used = parts;
    const int64_t lo = p.chunks * t / parts, hi = p.chunks * (t + 1) / parts;
    T* acc = t == 0 ? pgw : partials + (t - 1) * wsize;
    T* col = scratch.cols(t);
    if (lo == hi) std::fill(acc, acc + wsize, T(0));
    for (int64_t chunk = lo; chunk < hi; ++chunk) {
      const int64_t n0 = chunk * p.per, nb = std::min(p.per, g.batch - n0), ld = p.ld();
      for (int64_t grp = 0; grp < p.G; ++grp) {
        const T* gys = pgy + (n0 * g.out_channels + grp * p.Og) * p.hw_out;
        if (p.per > 1) {
          gather_rows(pgy, scratch.staging(t), n0, nb, grp, p, g.out_channels);
          gys = scratch.staging(t);
        }
        const T* cm = px + (n0 * g.in_channels + grp * p.Cg) * p.hw_in;
        if (!p.direct) {
          for (int64_t j = 0; j < nb; ++j)
            im2col_image(px + ((n0 + j) * g.in_channels + grp * p.Cg) * p.hw_in, col + j * p.hw_out, p.Cg, g, ld);
          cm = col;
        }
        blas::gemm_ex<T>(blas::NoTrans, blas::DoTrans, int(p.Og), int(p.K), int(nb * p.hw_out), T(1), gys, int(ld),
                         cm, int(ld), chunk == lo ? T(0) : T(1), acc + grp * p.Og * p.K, int(p.K));
      }
    }
  }
  for (int q = 1; q < used; ++q) {
    const T* part = partials + (q - 1) * wsize;
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
    im2col_image(px + i * hw_in, pc + i * kk * hw_out, 1, g, hw_out);
  });
}

template <class T>
void col2im_t(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  const int64_t kk = g.kernel_h * g.kernel_w, hw_out = g.out_h * g.out_w, hw_in = g.in_h * g.in_w;
  T* pc = col.data<T>();  // read only: col2im_image writes col only when told it is scratch
  T* px = x.data<T>();
  parallel_items(g.batch * g.in_channels, double(g.batch * g.in_channels) * double(kk * hw_out), [&](int64_t i) {
    T* plane = px + i * hw_in;
    std::fill(plane, plane + hw_in, T(0));
    col2im_image(pc + i * kk * hw_out, plane, 1, g, hw_out, false);
  });
}

template <class F>
void visit_float(DType d, F f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

bool lowp(const Tensor& t) { return t.dtype() == kBFloat16 || t.dtype() == kFloat16; }

void conv_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  if (lowp(x)) return conv_forward_lowp(y, x, w, bias, g);
  visit_float(x.dtype(), [&](auto z) { forward_t<decltype(z)>(y, x, w, bias, g); });
}
void conv_backward_data(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  if (lowp(gy)) return conv_backward_data_lowp(gx, gy, w, bias, g);
  visit_float(gy.dtype(), [&](auto z) { backward_data_t<decltype(z)>(gx, gy, w, bias, g); });
}
void conv_backward_weight(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g) {
  if (lowp(gy)) return conv_backward_weight_lowp(gw, gy, x, g);
  visit_float(gy.dtype(), [&](auto z) { backward_weight_t<decltype(z)>(gw, gy, x, g); });
}
void im2col(const Tensor& col, const Tensor& x, const ConvGeom& g) {
  if (lowp(x)) return im2col_lowp(col, x, g);
  visit_float(x.dtype(), [&](auto z) { im2col_t<decltype(z)>(col, x, g); });
}
void col2im(const Tensor& x, const Tensor& col, const ConvGeom& g) {
  if (lowp(col)) return col2im_lowp(x, col, g);
  visit_float(col.dtype(), [&](auto z) { col2im_t<decltype(z)>(x, col, g); });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::conv_forward_stub, CPU, conv_forward);
STEEPEST_REGISTER_KERNEL(dispatch::conv_backward_data_stub, CPU, conv_backward_data);
STEEPEST_REGISTER_KERNEL(dispatch::conv_backward_weight_stub, CPU, conv_backward_weight);
STEEPEST_REGISTER_KERNEL(dispatch::im2col_stub, CPU, im2col);
STEEPEST_REGISTER_KERNEL(dispatch::col2im_stub, CPU, col2im);

}  // namespace steepest::kernels::cpu

namespace steepest {
std::string conv_path() {
  switch (kernels::cpu::conv_detail::conv_path_choice()) {
    case kernels::cpu::conv_detail::ConvPath::Gemm: return "gemm";
    case kernels::cpu::conv_detail::ConvPath::Direct: return "direct";
    case kernels::cpu::conv_detail::ConvPath::DirectOc: return "direct_oc";
    default: return "auto";
  }
}
void set_conv_path(const std::string& name) {
  using kernels::cpu::conv_detail::ConvPath;
  STEEPEST_CHECK(name == "auto" || name == "gemm" || name == "direct" || name == "direct_oc", ValueError,
                 "conv path must be 'auto', 'gemm', 'direct' or 'direct_oc', but got '", name, "'");
  kernels::cpu::conv_detail::g_conv_path.store(name == "gemm"        ? ConvPath::Gemm
                                               : name == "direct"    ? ConvPath::Direct
                                               : name == "direct_oc" ? ConvPath::DirectOc
                                                                     : ConvPath::Auto);
}
}  // namespace steepest
