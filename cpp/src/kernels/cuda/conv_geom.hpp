// Index math and batching of the CUDA convolution and pooling kernels (conv.cu, pool.cu), as
// host-device functions with no CUDA header, so the CPU test binary replays them against the
// CPU kernels (tests/cpp/test_cuda_conv.cpp). Every kernel gathers: one thread per output
// element reads the inputs that feed it, in the CPU's order, so no two threads write one
// element and the sums repeat bit for bit.
#pragma once
#include <cstdint>

#include "dispatch/conv.hpp"
#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::cuda::convgeom {

using dispatch::ConvGeom;
using dispatch::PoolGeom;

// ---- convolution columns ----
// A column matrix holds, for each sample s of a chunk, rows r = (c * kernel_h + i) * kernel_w + j
// over all in_channels and one column per output position o = oh * out_w + ow. Entry (s, r, o)
// sits at s * sample_stride + r * ld + o: the unfold layout (batch, rows, hw_out) has
// sample_stride = rows * hw_out and ld = hw_out; the "samples side by side" layout (rows,
// per * hw_out) that lets one GEMM run over a chunk's samples has sample_stride = hw_out and
// ld = per * hw_out.
struct ColLayout {
  int64_t sample_stride = 0, ld = 0;
};

inline ColLayout unfold_layout(const ConvGeom& g) {
  const int64_t hw_out = g.out_h * g.out_w;
  return {g.in_channels * g.kernel_h * g.kernel_w * hw_out, hw_out};
}
inline ColLayout side_by_side_layout(const ConvGeom& g, int64_t per) {
  const int64_t hw_out = g.out_h * g.out_w;
  return {hw_out, per * hw_out};
}

// The input offset within sample s's image (channels, in_h, in_w) that column entry (row r,
// position o) copies, or -1 where the patch reaches into the padding.
STEEPEST_HD inline int64_t im2col_source(const ConvGeom& g, int64_t r, int64_t o) {
  const int64_t kk = g.kernel_h * g.kernel_w;
  const int64_t c = r / kk, i = (r % kk) / g.kernel_w, j = r % g.kernel_w;
  const int64_t oh = o / g.out_w, ow = o % g.out_w;
  const int64_t h = oh * g.stride_h - g.pad_h + i * g.dil_h, w = ow * g.stride_w - g.pad_w + j * g.dil_w;
  if (h < 0 || h >= g.in_h || w < 0 || w >= g.in_w) return -1;
  return (c * g.in_h + h) * g.in_w + w;
}

// The output position o that kernel tap (i, j) maps onto input (h, w), or -1 if none: the
// gather form of col2im. For a fixed input element the taps are visited in (i, j) order, the
// order in which the CPU's col2im adds them.
STEEPEST_HD inline int64_t col2im_position(const ConvGeom& g, int64_t h, int64_t w, int64_t i, int64_t j) {
  const int64_t th = h + g.pad_h - i * g.dil_h, tw = w + g.pad_w - j * g.dil_w;
  if (th < 0 || tw < 0 || th % g.stride_h != 0 || tw % g.stride_w != 0) return -1;
  const int64_t oh = th / g.stride_h, ow = tw / g.stride_w;
  if (oh >= g.out_h || ow >= g.out_w) return -1;
  return oh * g.out_w + ow;
}

// Samples per chunk: the column matrix (and the staged output gradient of the weight
// gradient) of `per` samples fits in `budget` elements, with at least one sample per chunk.
struct ConvChunks {
  int64_t per = 1, chunks = 0;
};

inline ConvChunks conv_chunks(const ConvGeom& g, int64_t budget) {
  const int64_t hw_out = g.out_h * g.out_w;
  const int64_t per_sample = (g.in_channels * g.kernel_h * g.kernel_w + g.out_channels) * hw_out;
  ConvChunks c;
  c.per = per_sample > 0 ? budget / per_sample : g.batch;
  if (c.per > g.batch) c.per = g.batch;
  if (c.per < 1) c.per = 1;
  c.chunks = g.batch == 0 ? 0 : (g.batch + c.per - 1) / c.per;
  return c;
}

// A 1x1 kernel, stride 1, no padding: the image already is its (unfold-layout) column matrix.
inline bool is_pointwise(const ConvGeom& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.in_h == g.out_h && g.in_w == g.out_w;
}

// ---- the GEMMs of each pass ----
// One GEMM per group, row-major: C (M, N) = beta C + A (M, K) B (K, N), element (i, j) of A at
// i * a_rs + j * a_cs (likewise B; C rows ldc apart), group `grp`'s operands at grp * *_group
// from the bases, and `batch` such products *_step apart (a strided-batched call). conv.cu
// hands A and B to gemm_plan.hpp's mapping onto cuBLAS; the test binary runs them naively.
struct ConvGemm {
  int64_t M = 0, N = 0, K = 0;
  int64_t a_rs = 0, a_cs = 0, b_rs = 0, b_cs = 0, ldc = 0;
  int64_t a_group = 0, b_group = 0, c_group = 0;
  int64_t batch = 1, a_step = 0, b_step = 0, c_step = 0;
};

inline int64_t group_rows(const ConvGeom& g) { return g.in_channels / g.groups * g.kernel_h * g.kernel_w; }

// Forward: y_g (Og, hw_out) = w_g (Og, Kg) cols_g (Kg, hw_out), one product per sample of the
// chunk. A = w, B = the columns (`lay`), C = y (or a float32 buffer shaped like it).
inline ConvGemm forward_gemm(const ConvGeom& g, const ColLayout& lay, int64_t nb) {
  const int64_t Og = g.out_channels / g.groups, Kg = group_rows(g), hw_out = g.out_h * g.out_w;
  ConvGemm m;
  m.M = Og, m.N = hw_out, m.K = Kg;
  m.a_rs = Kg, m.a_cs = 1, m.b_rs = lay.ld, m.b_cs = 1, m.ldc = hw_out;
  m.a_group = Og * Kg, m.b_group = Kg * lay.ld, m.c_group = Og * hw_out;
  m.batch = nb, m.a_step = 0, m.b_step = lay.sample_stride, m.c_step = g.out_channels * hw_out;
  return m;
}

// Data gradient: cols_g (Kg, hw_out) = w_g^T (Kg, Og) gy_g (Og, hw_out) per sample. A = w
// read transposed, B = gy, C = the column buffer (`lay`).
inline ConvGemm backward_data_gemm(const ConvGeom& g, const ColLayout& lay, int64_t nb) {
  const int64_t Og = g.out_channels / g.groups, Kg = group_rows(g), hw_out = g.out_h * g.out_w;
  ConvGemm m;
  m.M = Kg, m.N = hw_out, m.K = Og;
  m.a_rs = 1, m.a_cs = Kg, m.b_rs = hw_out, m.b_cs = 1, m.ldc = lay.ld;
  m.a_group = Og * Kg, m.b_group = Og * hw_out, m.c_group = Kg * lay.ld;
  m.batch = nb, m.a_step = 0, m.b_step = g.out_channels * hw_out, m.c_step = lay.sample_stride;
  return m;
}

// Weight gradient over a chunk of nb samples side by side: gw_g (Og, Kg) (+)= gy_g (Og, nb *
// hw_out) cols_g^T (nb * hw_out, Kg). A = the staged output gradient (out_channels rows of
// nb * hw_out), B = the columns (side_by_side_layout) read transposed, C = gw.
inline ConvGemm backward_weight_gemm(const ConvGeom& g, int64_t nb) {
  const int64_t Og = g.out_channels / g.groups, Kg = group_rows(g), ld = nb * g.out_h * g.out_w;
  ConvGemm m;
  m.M = Og, m.N = Kg, m.K = ld;
  m.a_rs = ld, m.a_cs = 1, m.b_rs = 1, m.b_cs = ld, m.ldc = Kg;
  m.a_group = Og * ld, m.b_group = Kg * ld, m.c_group = Og * Kg;
  return m;
}

// ---- pooling windows ----

// Adaptive windows: output i covers [floor(i * in / out), ceil((i + 1) * in / out)).
STEEPEST_HD inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
STEEPEST_HD inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// The outputs [lo, hi) whose adaptive windows hold input position h: start(o) <= h < end(o)
// exactly for floor(h * out / in) <= o < ceil((h + 1) * out / in).
STEEPEST_HD inline void adaptive_outputs(int64_t h, int64_t in, int64_t out, int64_t& lo, int64_t& hi) {
  lo = h * out / in;
  hi = ((h + 1) * out + in - 1) / in;
  if (hi > out) hi = out;
}

// The outputs [lo, hi) whose windows (start o * stride - pad, `kernel` wide) hold input
// position h (average pooling: no dilation).
STEEPEST_HD inline void window_outputs(int64_t h, int64_t kernel, int64_t stride, int64_t pad, int64_t out,
                                       int64_t& lo, int64_t& hi) {
  const int64_t t = h + pad;  // o * stride <= t < o * stride + kernel
  lo = t - kernel + 1 <= 0 ? 0 : (t - kernel + 1 + stride - 1) / stride;
  hi = t / stride + 1;
  if (hi > out) hi = out;
  if (lo > hi) lo = hi;
}

// One average-pooling window: clipped bounds and divisor (the CPU's rule: the window clipped
// to the padded input when padding counts, else to the input itself).
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  double divisor;
};

STEEPEST_HD inline AvgWindow avg_window(const PoolGeom& g, int64_t oh, int64_t ow, bool count_include_pad,
                                        int64_t div) {
  int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  int64_t h1 = h0 + g.kernel_h, w1 = w0 + g.kernel_w;
  if (h1 > g.in_h + g.pad_h) h1 = g.in_h + g.pad_h;
  if (w1 > g.in_w + g.pad_w) w1 = g.in_w + g.pad_w;
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  if (h0 < 0) h0 = 0;
  if (w0 < 0) w0 = 0;
  if (h1 > g.in_h) h1 = g.in_h;
  if (w1 > g.in_w) w1 = g.in_w;
  AvgWindow a{h0, h1, w0, w1, 1.0};
  const int64_t hs = h1 > h0 ? h1 - h0 : 0, ws = w1 > w0 ? w1 - w0 : 0;
  if (div != 0) a.divisor = double(div);
  else if (count_include_pad) a.divisor = double(padded_size);
  else a.divisor = double(hs * ws);
  return a;
}

}  // namespace steepest::cuda::convgeom
