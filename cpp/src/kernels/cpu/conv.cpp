// The CPU kernels of the convolution family (dispatch/conv.hpp), over im2col and the BLAS:
// per sample and group, the input's patches are copied into a column matrix (K = channels *
// kernel_h * kernel_w rows, one column per output position) and the convolution is one GEMM
// with the weight. The data gradient is the transposed GEMM followed by col2im (summing the
// columns back into the image), the weight gradient the GEMM of the output gradient with the
// columns. Samples are spread over OpenMP threads (each GEMM then single-threaded); a single
// sample runs its GEMMs on all threads instead. Very small images batch several samples into
// one GEMM. A 1x1 kernel with stride 1 and no padding skips the copy: the input already is its
// column matrix.
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

// col (channels * kh * kw rows, out_h * out_w columns, rows ld apart) = the patches of x
// (channels, in_h, in_w). Plain loops rather than memcpy/fill calls: rows of small images are
// a few elements long, and a call per row cost more than the copy.
template <class T>
void im2col_image(const T* __restrict x, T* __restrict col, int64_t channels, const ConvGeom& g, int64_t ld) {
  const int64_t ow_n = g.out_w, hw_in = g.in_h * g.in_w, sw = g.stride_w;
  // Unit strides and output rows as wide as input rows (3x3 with padding 1, say): consecutive
  // output positions read consecutive input positions.
  const bool rows_contiguous = sw == 1 && g.stride_h == 1 && g.out_w == g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    const T* plane = x + c * hw_in;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      int64_t oh_lo, oh_hi;
      valid_run(g.out_h, g.in_h, g.stride_h, g.pad_h, i * g.dil_h, oh_lo, oh_hi);
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        T* dst = col + ((c * g.kernel_h + i) * g.kernel_w + j) * ld;
        int64_t lo, hi;
        valid_run(g.out_w, g.in_w, sw, g.pad_w, j * g.dil_w, lo, hi);
        for (int64_t k = 0, e = oh_lo * ow_n; k < e; ++k) dst[k] = T(0);
        for (int64_t k = oh_hi * ow_n, e = g.out_h * ow_n; k < e; ++k) dst[k] = T(0);
        const int64_t shift = j * g.dil_w - g.pad_w;  // input column of output column ow: ow * sw + shift
        if (rows_contiguous && oh_hi > oh_lo) {
          // Output position k reads input position k + offset: one run for all valid rows, then
          // the columns that wrapped into a neighbouring row are zeroed.
          const int64_t offset = (i * g.dil_h - g.pad_h) * g.in_w + shift;
          const int64_t k0 = std::max(oh_lo * ow_n, -offset), k1 = std::min(oh_hi * ow_n, hw_in - offset);
          for (int64_t k = oh_lo * ow_n; k < k0; ++k) dst[k] = T(0);
          const T* src = plane + (k0 + offset);
          for (int64_t k = 0, e = k1 - k0; k < e; ++k) dst[k0 + k] = src[k];
          for (int64_t k = std::max(k1, k0); k < oh_hi * ow_n; ++k) dst[k] = T(0);
          if (lo > 0 || hi < ow_n)
            for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
              T* d = dst + oh * ow_n;
              for (int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
              for (int64_t ow = hi; ow < ow_n; ++ow) d[ow] = T(0);
            }
          continue;
        }
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          T* d = dst + oh * ow_n;
          const T* row = plane + (oh * g.stride_h - g.pad_h + i * g.dil_h) * g.in_w;
          for (int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
          if (sw == 1) {
            const T* r = row + (lo + shift);  // r[k] = row[lo + k + shift]
            for (int64_t k = 0, e = hi - lo; k < e; ++k) d[lo + k] = r[k];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] = row[ow * sw + shift];
          }
          for (int64_t ow = hi; ow < ow_n; ++ow) d[ow] = T(0);
        }
      }
    }
  }
}

// x (channels, in_h, in_w) += the columns of col (rows ld apart) summed back into place. When
// col is scratch (`clobber`), the entries that fall outside the image are zeroed in col so that
// a run of rows adds as one loop (the mirror of im2col's fast path).
template <class T>
void col2im_image(T* __restrict col, T* __restrict x, int64_t channels, const ConvGeom& g, int64_t ld,
                  bool clobber) {
  const int64_t ow_n = g.out_w, hw_in = g.in_h * g.in_w, sw = g.stride_w;
  const bool rows_contiguous = clobber && sw == 1 && g.stride_h == 1 && g.out_w == g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    T* plane = x + c * hw_in;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      int64_t oh_lo, oh_hi;
      valid_run(g.out_h, g.in_h, g.stride_h, g.pad_h, i * g.dil_h, oh_lo, oh_hi);
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        T* src = col + ((c * g.kernel_h + i) * g.kernel_w + j) * ld;
        int64_t lo, hi;
        valid_run(g.out_w, g.in_w, sw, g.pad_w, j * g.dil_w, lo, hi);
        const int64_t shift = j * g.dil_w - g.pad_w;
        if (rows_contiguous && oh_hi > oh_lo) {
          if (lo > 0 || hi < ow_n)
            for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
              T* d = src + oh * ow_n;
              for (int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
              for (int64_t ow = hi; ow < ow_n; ++ow) d[ow] = T(0);
            }
          const int64_t offset = (i * g.dil_h - g.pad_h) * g.in_w + shift;
          const int64_t k0 = std::max(oh_lo * ow_n, -offset), k1 = std::min(oh_hi * ow_n, hw_in - offset);
          T* dst = plane + (k0 + offset);
          for (int64_t k = 0, e = k1 - k0; k < e; ++k) dst[k] += src[k0 + k];
          continue;
        }
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          const T* sp = src + oh * ow_n;
          T* row = plane + (oh * g.stride_h - g.pad_h + i * g.dil_h) * g.in_w;
          if (sw == 1) {
            T* r = row + (lo + shift);
            for (int64_t k = 0, e = hi - lo; k < e; ++k) r[k] += sp[lo + k];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) row[ow * sw + shift] += sp[ow];
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

// How the batch is cut for the GEMMs: chunks of `per` consecutive samples whose columns sit side
// by side in one matrix (K rows, per * hw_out columns), so small images still make GEMMs wide
// enough to run near the BLAS's peak; and how many threads take chunks (each then running its
// GEMMs single-threaded; with one thread, a GEMM may use all of them itself).
struct Plan {
  int64_t G, Cg, Og, K, hw_in, hw_out;
  int64_t per = 1, chunks = 1;
  int threads = 1;
  bool direct = false;  // one sample per chunk and a pointwise kernel: no column copy at all
  int64_t ld() const { return per * hw_out; }
};

// Columns worth batching into one GEMM, and the most elements one thread's column buffer holds.
// Measured with OpenBLAS on 8x8 to 28x28 images: its small GEMMs already run near peak, and
// wider batches only made the column buffer fall out of cache, so only images smaller than
// 8x8 are batched; the buffer stays within L2.
constexpr int64_t kTargetColumns = 64;
constexpr int64_t kMaxColumnBuffer = int64_t(1) << 16;

Plan make_plan(const ConvGeom& g, bool allow_threads) {
  Plan p;
  p.G = g.groups, p.Cg = g.in_channels / g.groups, p.Og = g.out_channels / g.groups;
  p.K = p.Cg * g.kernel_h * g.kernel_w, p.hw_in = g.in_h * g.in_w, p.hw_out = g.out_h * g.out_w;
  const double work = double(g.batch) * double(g.out_channels) * double(p.hw_out) * double(p.K);
  int nt = 1;
  if (allow_threads && g.batch > 1 && !omp_in_parallel() && work >= 262144.0)
    nt = int(std::min<int64_t>(omp_get_max_threads(), g.batch));
  const int64_t per_thread = (g.batch + nt - 1) / std::max(nt, 1);
  int64_t per = std::max<int64_t>(1, (kTargetColumns + p.hw_out - 1) / std::max<int64_t>(p.hw_out, 1));
  per = std::min(per, std::max<int64_t>(1, kMaxColumnBuffer / std::max<int64_t>(1, p.K * p.hw_out)));
  p.per = std::max<int64_t>(1, std::min(per, per_thread));
  p.chunks = g.batch == 0 ? 0 : (g.batch + p.per - 1) / p.per;
  p.threads = int(std::max<int64_t>(1, std::min<int64_t>(nt, p.chunks)));
  p.direct = p.per == 1 && is_pointwise(g);
  return p;
}

// Per-thread scratch: a column matrix and, for several samples per chunk, an output-shaped
// staging matrix (Og rows, ld columns).
template <class T>
struct Scratch {
  Tensor keep;
  T* base = nullptr;
  int64_t col = 0, stage = 0;
  Scratch(const Plan& p, bool need_stage) {
    col = p.direct ? 0 : p.K * p.ld();
    stage = need_stage && p.per > 1 ? p.Og * p.ld() : 0;
    if (col + stage > 0) {
      keep = Tensor::empty({(col + stage) * p.threads}, dtype_of<T>());
      base = keep.data<T>();
    }
  }
  T* cols(int t) const { return col ? base + t * (col + stage) : nullptr; }
  T* staging(int t) const { return stage ? base + t * (col + stage) + col : nullptr; }
};

template <class F>
void each_chunk(const Plan& p, F fn) {
#pragma omp parallel for num_threads(p.threads) schedule(static) if (p.threads > 1)
  for (int64_t c = 0; c < p.chunks; ++c) fn(c, omp_get_thread_num());
}

template <class T>
void forward_t(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Plan p = make_plan(g, true);
  if (g.batch == 0 || g.out_channels == 0 || p.hw_out == 0) return;
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* py = y.data<T>();
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

// The output gradient rows of one group for samples [n0, n0 + nb), side by side: (Og, nb * hw_out).
template <class T>
void gather_rows(const T* gy, T* dst, int64_t n0, int64_t nb, int64_t grp, const Plan& p, int64_t out_channels) {
  const int64_t ld = p.ld();
  for (int64_t j = 0; j < nb; ++j)
    for (int64_t o = 0; o < p.Og; ++o)
      std::memcpy(dst + o * ld + j * p.hw_out, gy + ((n0 + j) * out_channels + grp * p.Og + o) * p.hw_out,
                  size_t(p.hw_out) * sizeof(T));
}

template <class T>
void backward_data_t(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias, const ConvGeom& g) {
  const Plan p = make_plan(g, true);
  if (g.batch == 0 || g.in_channels == 0 || p.hw_in == 0) return;
  const T* pgy = gy.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* pgx = gx.data<T>();
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
