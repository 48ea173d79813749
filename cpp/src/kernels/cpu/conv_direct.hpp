// The direct path of the float32/float64 convolution kernels (conv.cpp): per sample and group,
// the input is copied into a zero-bordered buffer and one of the ISA's direct kernels
// (isa/conv.cpp: vectors across the output width, or across output channels) convolves it with
// weights packed in blocks of output channels, with no column matrix. The data gradient of a
// stride-1 convolution is itself a stride-1 convolution: of the output gradient, padded by
// (kernel - 1) * dilation - pad, with the weight flipped in both spatial dims and its two
// channel dims swapped; so one driver serves both.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dispatch/conv.hpp"
#include "kernels/cpu/conv_im2col.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "steepest/ops.hpp"

namespace steepest::kernels::cpu::conv_detail {

using dispatch::ConvGeom;

// Which path conv.cpp takes: "auto" (direct where measured faster), "gemm" (never direct),
// "direct" or "direct_oc" (that direct kernel wherever it applies, whatever the ISA: how tests
// reach every ISA's kernels).
enum class ConvPath { Auto, Gemm, Direct, DirectOc };
// The kernel a direct convolution runs: none (im2col + GEMM), across the width, across channels.
enum class DirectKernel { None, Width, Channels };
ConvPath conv_path_choice();

// Fewer terms per output than this (channels per group * kernel_h * kernel_w) and im2col + GEMM
// was as fast: the tile's set-up and stores then weigh as much as its fmas.
constexpr int64_t kDirectMinTerms = 32;
// The share of vector lanes that must hold real outputs (a row of 8 on 16 lanes wastes half).
constexpr double kDirectMinLaneUse = 0.75;

// One direct convolution: per group, `in_c` planes of in_h x in_w into `out_c` planes of
// out_h x out_w; output (oh, ow) reads input (oh * stride_h + i * dil_h - pad_t,
// ow + j * dil_w - pad_l) for kernel taps (i, j).
struct DirectGeom {
  int64_t batch = 0, groups = 1, in_c = 0, out_c = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1, dil_h = 1, dil_w = 1, stride_h = 1, pad_t = 0, pad_l = 0;
};

inline DirectGeom forward_geom(const ConvGeom& g) {
  DirectGeom d;
  d.batch = g.batch, d.groups = g.groups, d.in_c = g.in_channels / g.groups, d.out_c = g.out_channels / g.groups;
  d.in_h = g.in_h, d.in_w = g.in_w, d.out_h = g.out_h, d.out_w = g.out_w;
  d.kernel_h = g.kernel_h, d.kernel_w = g.kernel_w, d.dil_h = g.dil_h, d.dil_w = g.dil_w;
  d.stride_h = g.stride_h, d.pad_t = g.pad_h, d.pad_l = g.pad_w;
  return d;
}

// The data gradient as a convolution of gy (stride 1 only).
inline DirectGeom backward_data_geom(const ConvGeom& g) {
  DirectGeom d;
  d.batch = g.batch, d.groups = g.groups, d.in_c = g.out_channels / g.groups, d.out_c = g.in_channels / g.groups;
  d.in_h = g.out_h, d.in_w = g.out_w, d.out_h = g.in_h, d.out_w = g.in_w;
  d.kernel_h = g.kernel_h, d.kernel_w = g.kernel_w, d.dil_h = g.dil_h, d.dil_w = g.dil_w;
  d.pad_t = (g.kernel_h - 1) * g.dil_h - g.pad_h, d.pad_l = (g.kernel_w - 1) * g.dil_w - g.pad_w;
  return d;
}

// The packed weights of every group: [group][block][in_c][i][j][B] for blocks of B output
// channels (kConvDirectBlock or conv_oc_block), zero past out_c. Forward: tap (o, c, i, j) is
// w[o][c][i][j]. Data gradient (`flip`): the convolution's output channel is the weight's input
// channel c and its input channel the weight's o, and the taps run backwards:
// w[o][c][kh - 1 - i][kw - 1 - j].
template <class T>
Tensor pack_weights(const T* w, const DirectGeom& d, bool flip, int64_t B) {
  const int64_t kk = d.kernel_h * d.kernel_w, blocks = (d.out_c + B - 1) / B;
  const int64_t per_group = blocks * d.in_c * kk * B;
  const int64_t len = std::max<int64_t>(1, d.groups * per_group);
  Tensor keep = Tensor::empty({len}, dtype_of<T>());
  T* p = keep.data<T>();
  std::fill(p, p + len, T(0));
  // the weight tensor is (O, Cg, kh, kw) for the forward's O and Cg
  const int64_t w_in = flip ? d.out_c : d.in_c;
  for (int64_t grp = 0; grp < d.groups; ++grp)
    for (int64_t o = 0; o < d.out_c; ++o)
      for (int64_t c = 0; c < d.in_c; ++c)
        for (int64_t t = 0; t < kk; ++t) {
          const int64_t wo = flip ? grp * d.in_c + c : grp * d.out_c + o, wc = flip ? o : c;
          const T v = w[(wo * w_in + wc) * kk + (flip ? kk - 1 - t : t)];
          p[grp * per_group + ((o / B * d.in_c + c) * kk + t) * B + o % B] = v;
        }
  return keep;
}

template <class T>
const TypedKernels<T>& typed_kernels() {
  if constexpr (sizeof(T) == 4) return cpu_kernels().f32;
  else return cpu_kernels().f64;
}

// How the padded input is laid out for the kernel. "Flat", for stride 1 along the height and
// rows a whole number of vectors wide (or narrower than one vector): kernel_w copies of the
// input, copy j shifted left by j * dil_w columns with the columns that leave the image zeroed,
// each row exactly out_w wide; output position p = oh * out_w + ow then reads position
// p + i * dil_h * out_w of copy j, so the plane is one row of out_h * out_w outputs for the
// kernel (its vectors cross row ends, and no lane idles on short rows). Otherwise "rows": one
// zero-bordered copy, its rows rounded up to 64 bytes so that each starts a cache line (rows of
// 14 outputs in a flat plane made most vector loads straddle two lines: measured slower).
struct DirectLayout {
  bool flat = false;
  int64_t hp = 0, row = 0, plane = 0, copies = 1, copy_stride = 0, len = 0;
};

// (lanes 0: always "rows", for the channel kernel.)
inline DirectLayout direct_layout(const DirectGeom& d, int lanes) {
  constexpr int64_t kLine = 16;  // 16 values: whole 64-byte lines of float and of double
  DirectLayout l;
  l.flat = lanes > 0 && d.stride_h == 1 && (d.out_w % lanes == 0 || d.out_w < lanes);
  l.hp = (d.out_h - 1) * d.stride_h + (d.kernel_h - 1) * d.dil_h + 1;
  l.row = l.flat ? d.out_w : (d.out_w + (d.kernel_w - 1) * d.dil_w + kLine - 1) / kLine * kLine;
  l.plane = l.hp * l.row;
  l.copies = l.flat ? d.kernel_w : 1;
  l.copy_stride = d.in_c * l.plane;
  l.len = l.copies * l.copy_stride + kConvDirectSlack;
  return l;
}

// The share of n items that blocks of b hold (the rest of the last block idles).
inline double block_use(int64_t n, int64_t b) { return double(n) / double((n + b - 1) / b * b); }

// Which direct kernel should run d with this ISA's vector width (lanes) and channel block
// (oc_block), if any: enough terms per output, and most vector lanes and most channels of each
// weight block holding real outputs. Of the two, the one whose lanes hold more real outputs;
// on a tie the channel kernel (on AVX2 it was also faster where both fill every lane: 8x8
// digits images, 16 -> 32 channels and back, by 10-20%).
inline DirectKernel choose_direct(const DirectGeom& d, int lanes, int oc_block) {
  const ConvPath path = conv_path_choice();
  if (path == ConvPath::Gemm || d.out_w <= 0 || d.out_h <= 0 || d.out_c <= 0) return DirectKernel::None;
  if (path == ConvPath::Direct) return DirectKernel::Width;
  if (path == ConvPath::DirectOc) return DirectKernel::Channels;
  if (lanes <= 1 || d.in_c * d.kernel_h * d.kernel_w < kDirectMinTerms) return DirectKernel::None;
  const int64_t row = direct_layout(d, lanes).flat ? d.out_h * d.out_w : d.out_w;
  const double width_use =
      (row >= lanes ? block_use(row, lanes) : double(row) / lanes) * block_use(d.out_c, kConvDirectBlock);
  const double oc_use = block_use(d.out_c, oc_block);
  const double best = std::max(width_use, oc_use);
  if (best < kDirectMinLaneUse) return DirectKernel::None;
  return oc_use >= width_use ? DirectKernel::Channels : DirectKernel::Width;
}

// The input offset of every term (c, i, j) in the padded buffer, in that order.
inline Tensor term_offsets(const DirectGeom& d, const DirectLayout& l) {
  const int64_t terms = d.in_c * d.kernel_h * d.kernel_w;
  Tensor keep = Tensor::empty({std::max<int64_t>(terms, 1)}, kInt64);
  int64_t* taps = keep.data<int64_t>();
  for (int64_t c = 0, t = 0; c < d.in_c; ++c)
    for (int64_t i = 0; i < d.kernel_h; ++i)
      for (int64_t j = 0; j < d.kernel_w; ++j) taps[t++] = c * l.plane + i * d.dil_h * l.row + j * d.dil_w;
  return keep;
}

// Channels [c_lo, c_hi) of one image xs (in_c planes of in_h x in_w) into the padded buffer buf
// (every copy of the layout); only the part that holds input is written, so a zeroed buffer
// keeps its zero border across images.
template <class T>
void copy_padded(T* buf, const T* xs, const DirectGeom& d, const DirectLayout& l, int64_t c_lo, int64_t c_hi) {
  const int64_t in_hw = d.in_h * d.in_w;
  // the rows of the buffer that hold input: [r0, r1)
  const int64_t r0 = std::clamp<int64_t>(d.pad_t, 0, l.hp), r1 = std::clamp<int64_t>(d.pad_t + d.in_h, r0, l.hp);
  for (int64_t j = 0; j < l.copies; ++j) {
    // buffer column b holds input column b + shift: [c0, c1) of the buffer's columns
    const int64_t shift = (l.flat ? j * d.dil_w : 0) - d.pad_l;
    const int64_t c0 = std::clamp<int64_t>(-shift, 0, l.row), c1 = std::clamp<int64_t>(d.in_w - shift, c0, l.row);
    T* dst = buf + j * l.copy_stride;
    // a plain loop, not memcpy: rows are a few dozen bytes, and a call per row cost more
    for (int64_t c = c_lo; c < c_hi; ++c)
      for (int64_t r = r0; r < r1; ++r) {
        T* __restrict to = dst + c * l.plane + r * l.row + c0;
        const T* __restrict from = xs + c * in_hw + (r - d.pad_t) * d.in_w + (c0 + shift);
        for (int64_t k = 0; k < c1 - c0; ++k) to[k] = from[k];
      }
  }
}

// y (batch, groups * out_c, out_h, out_w) = the direct convolution of x (batch, groups * in_c,
// in_h, in_w) with the packed weights, plus bias (per output channel, may be null). Work items
// (sample, group) are spread over threads, each with its own buffer (DirectLayout) whose zero
// border is written once: only the part holding input changes between items.
template <class T>
void direct_run(T* y, const T* x, const T* packed, const T* bias, const DirectGeom& d, DirectKernel which) {
  const TypedKernels<T>& table = typed_kernels<T>();
  const bool oc = which == DirectKernel::Channels;
  const auto kernel = oc ? table.conv_direct_oc : table.conv_direct;
  // the channel kernel broadcasts single inputs: any row layout serves, "rows" needs one copy
  const DirectLayout l = direct_layout(d, oc ? 0 : table.conv_lanes);
  const int64_t items = d.batch * d.groups, in_hw = d.in_h * d.in_w, out_hw = d.out_h * d.out_w;
  const int64_t B = oc ? table.conv_oc_block : kConvDirectBlock;
  const int64_t wgroup = (d.out_c + B - 1) / B * d.in_c * d.kernel_h * d.kernel_w * B;
  const double work = double(items) * double(d.out_c) * double(out_hw) * double(d.in_c * d.kernel_h * d.kernel_w);
  const int nt = threads_for(items, work);
  const Tensor taps_keep = oc ? term_offsets(d, l) : Tensor();  // the channel kernel's single loop
  Tensor buf_keep = Tensor::empty({l.len * nt}, dtype_of<T>());
  T* bufs = buf_keep.data<T>();
  std::fill(bufs, bufs + l.len * nt, T(0));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t n = item / d.groups, grp = item % d.groups;
    T* buf = bufs + omp_get_thread_num() * l.len;
    copy_padded(buf, x + (n * d.groups + grp) * d.in_c * in_hw, d, l, 0, d.in_c);
    ConvDirectArgs<T> a;
    a.x = buf, a.channels = d.in_c, a.plane = l.plane, a.ld = l.row;
    a.w = packed + grp * wgroup;
    a.bias = bias ? bias + grp * d.out_c : nullptr;
    a.y = y + (n * d.groups + grp) * d.out_c * out_hw;
    a.out_channels = d.out_c, a.kernel_h = d.kernel_h, a.kernel_w = d.kernel_w, a.dil_h = d.dil_h;
    a.taps = oc ? taps_keep.data<int64_t>() : nullptr;
    if (l.flat) {  // one row of out_h * out_w outputs; tap j steps to copy j
      a.out_h = 1, a.out_w = out_hw, a.dil_w = l.copy_stride, a.stride_h = 1;
    } else {
      a.out_h = d.out_h, a.out_w = d.out_w, a.dil_w = d.dil_w, a.stride_h = d.stride_h;
    }
    kernel(a);
  }
}

// Whether the weight gradient of d (its forward geometry) runs the channel kernel rather than
// im2col + GEMM: as for the forward, enough terms per weight row (with one input channel, the
// GEMM was faster: 1.4x at 28x28, and a barrier per sample cost 2 threads more than it gave),
// most channels of each block real, and a vector ISA.
inline bool use_weight_oc(const DirectGeom& d, int lanes, int oc_block) {
  const ConvPath path = conv_path_choice();
  if (path == ConvPath::Gemm || path == ConvPath::Direct || d.out_w <= 0 || d.out_h <= 0 || d.out_c <= 0)
    return false;
  if (path == ConvPath::DirectOc) return true;
  return lanes > 1 && d.in_c * d.kernel_h * d.kernel_w >= kDirectMinTerms &&
         block_use(d.out_c, oc_block) >= kDirectMinLaneUse;
}

// gw (groups * out_c, in_c, kernel_h, kernel_w) = the weight gradient of the convolution d of x
// with output gradient gy, by the channel kernel. Per group, the samples go in order, in
// batches of `per`: each sample is copied into a padded buffer and its output gradient
// transposed channel-last per block (threads share that work), then every thread adds the
// batch's share of its own range of terms into the channel-last accumulators. Two sets of
// buffers alternate, so one barrier per batch suffices; a batch holds enough samples that the
// barrier is small beside its work. Each weight's gradient is one fma chain over (sample,
// position): the same bits whatever the thread count.
template <class T>
void direct_weight_run(T* gw, const T* x, const T* gy, const DirectGeom& d) {
  const TypedKernels<T>& table = typed_kernels<T>();
  const DirectLayout l = direct_layout(d, 0);
  const int64_t B = table.conv_oc_block, blocks = (d.out_c + B - 1) / B;
  const int64_t terms = d.in_c * d.kernel_h * d.kernel_w, count = d.out_h * d.out_w, in_hw = d.in_h * d.in_w;
  const Tensor taps_keep = term_offsets(d, l);
  Tensor xo_keep = Tensor::empty({count}, kInt64);
  int64_t* xo = xo_keep.data<int64_t>();
  for (int64_t oh = 0, p = 0; oh < d.out_h; ++oh)
    for (int64_t ow = 0; ow < d.out_w; ++ow) xo[p++] = oh * d.stride_h * l.row + ow;
  const double per_sample = double(d.out_c) * double(count) * double(terms);  // fmas
  const int nt = threads_for(terms, double(d.batch) * per_sample);
  // about 2M fmas per batch of samples with threads (one barrier each), one sample without
  const int64_t per = nt > 1 ? std::clamp<int64_t>(int64_t(2097152.0 / per_sample) + 1, 1, d.batch) : 1;
  const int64_t gsize = blocks * count * B, asize = blocks * terms * B, set = per * (l.len + gsize);
  Tensor keep = Tensor::empty({2 * set + asize}, dtype_of<T>());
  T* bufs = keep.data<T>();
  T* acc = bufs + 2 * set;
  std::fill(bufs, bufs + 2 * set, T(0));  // borders and channels past out_c stay 0
  const int64_t steps = (d.batch + per - 1) / per;
  for (int64_t grp = 0; grp < d.groups; ++grp) {
    std::fill(acc, acc + asize, T(0));
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
      const int64_t t = omp_get_thread_num(), parts = omp_get_num_threads();
      ConvWeightOcArgs<T> a;
      a.xo = xo, a.taps = taps_keep.data<int64_t>(), a.count = count, a.terms = terms, a.blocks = blocks;
      a.t0 = terms * t / parts, a.t1 = terms * (t + 1) / parts, a.acc = acc;
      for (int64_t step = 0; step < steps; ++step) {
        const int64_t n0 = step * per, nb = std::min(per, d.batch - n0);
        T* xb = bufs + (step % 2) * set;  // nb padded inputs, then nb transposed gradients
        T* gb = xb + per * l.len;
        // the buffers of batch step - 2, which every thread finished before the last barrier
#pragma omp for schedule(static)
        for (int64_t item = 0; item < nb * (d.in_c + d.out_c); ++item) {
          const int64_t j = item / (d.in_c + d.out_c), k = item % (d.in_c + d.out_c), n = n0 + j;
          if (k < d.in_c) {
            copy_padded(xb + j * l.len, x + (n * d.groups + grp) * d.in_c * in_hw, d, l, k, k + 1);
          } else {
            const int64_t o = k - d.in_c;
            T* dst = gb + j * gsize + (o / B) * count * B + o % B;
            const T* src = gy + ((n * d.groups + grp) * d.out_c + o) * count;
            for (int64_t p = 0; p < count; ++p) dst[p * B] = src[p];
          }
        }
        for (int64_t j = 0; j < nb; ++j) {
          a.x = xb + j * l.len, a.gyt = gb + j * gsize;
          table.conv_weight_oc(a);
        }
      }
    }
    for (int64_t o = 0; o < d.out_c; ++o)
      for (int64_t t = 0; t < terms; ++t)
        gw[(grp * d.out_c + o) * terms + t] = acc[((o / B) * terms + t) * B + o % B];
  }
}

}  // namespace steepest::kernels::cpu::conv_detail
