// The pieces the convolution kernels of every dtype share (conv.cpp for float32/float64,
// conv_lowp.cpp for bfloat16/float16): im2col/col2im of one image, and the plan that cuts the
// batch into chunks of samples for the GEMMs and over threads.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "dispatch/conv.hpp"
#include "steepest/tensor.hpp"

namespace steepest::kernels::cpu::conv_detail {

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
          // [k0, k1): the positions whose input lies in the plane, clamped to the valid rows (a tap
          // that reads only padding has k0 past them: nothing of the next column may be touched)
          const int64_t offset = (i * g.dil_h - g.pad_h) * g.in_w + shift, end = oh_hi * ow_n;
          const int64_t k0 = std::clamp(-offset, oh_lo * ow_n, end), k1 = std::clamp(hw_in - offset, k0, end);
          for (int64_t k = oh_lo * ow_n; k < k0; ++k) dst[k] = T(0);
          for (int64_t k = k0; k < k1; ++k) dst[k] = plane[k + offset];
          for (int64_t k = k1; k < end; ++k) dst[k] = T(0);
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
          const int64_t offset = (i * g.dil_h - g.pad_h) * g.in_w + shift, end = oh_hi * ow_n;
          const int64_t k0 = std::clamp(-offset, oh_lo * ow_n, end), k1 = std::clamp(hw_in - offset, k0, end);
          for (int64_t k = k0; k < k1; ++k) plane[k + offset] += src[k];
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

// Threads for `items` independent pieces of work totalling `work` multiply-adds: one below
// 262144 (a parallel region then costs more than it saves) or inside a parallel region, else
// up to one per item.
inline int threads_for(int64_t items, double work) {
  if (items <= 1 || omp_in_parallel() || work < 262144.0) return 1;
  return int(std::min<int64_t>(omp_get_max_threads(), items));
}

inline Plan make_plan(const ConvGeom& g, bool allow_threads) {
  Plan p;
  p.G = g.groups, p.Cg = g.in_channels / g.groups, p.Og = g.out_channels / g.groups;
  p.K = p.Cg * g.kernel_h * g.kernel_w, p.hw_in = g.in_h * g.in_w, p.hw_out = g.out_h * g.out_w;
  const double work = double(g.batch) * double(g.out_channels) * double(p.hw_out) * double(p.K);
  const int nt = allow_threads ? threads_for(g.batch, work) : 1;
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

// The output gradient rows of one group for samples [n0, n0 + nb), side by side: (Og, nb * hw_out).
template <class T>
void gather_rows(const T* gy, T* dst, int64_t n0, int64_t nb, int64_t grp, const Plan& p, int64_t out_channels) {
  const int64_t ld = p.ld();
  for (int64_t j = 0; j < nb; ++j)
    for (int64_t o = 0; o < p.Og; ++o)
      std::memcpy(dst + o * ld + j * p.hw_out, gy + ((n0 + j) * out_channels + grp * p.Og + o) * p.hw_out,
                  size_t(p.hw_out) * sizeof(T));
}

}  // namespace steepest::kernels::cpu::conv_detail
