// Dispatch stubs of the convolution family: convolution (forward, data gradient, weight
// gradient), im2col/col2im (unfold/fold), and pooling (max, average, adaptive). The ops
// (nn/conv.cpp, nn/pool.cpp) check every size and hand the kernels contiguous tensors of one
// dtype whose sizes match the geometry: float32/float64, and for the convolution and im2col
// kernels also bfloat16/float16 (accumulated in float32, rounded once); pooling ops compute
// 16-bit inputs in float32.
// One-dimensional ops run as two-dimensional ones with a height of 1.
#pragma once
#include <cstdint>

#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// A 2-D convolution: input (batch, in_channels, in_h, in_w), weight (out_channels,
// in_channels / groups, kernel_h, kernel_w), output (batch, out_channels, out_h, out_w).
// pad_h/pad_w are the top/left paddings; the bottom/right ones are implied by out_h/out_w.
// Every size is >= 0, strides and dilations >= 1, groups divides both channel counts, and
// per group in_channels/groups * kernel_h * kernel_w, out_channels / groups and
// out_h * out_w fit a 32-bit int (the BLAS interface).
struct ConvGeom {
  int64_t batch = 0, in_channels = 0, out_channels = 0, groups = 1;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0, kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
};

// y = conv(x, w) (+ bias per output channel; bias may be undefined). y is overwritten.
using ConvForwardKernel = void (*)(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias,
                                   const ConvGeom& g);
// gx = the gradient of conv(x, w) with respect to x for output gradient gy (the transposed
// convolution of gy), plus bias per input channel when bias is defined. gx is overwritten.
using ConvBackwardDataKernel = void (*)(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias,
                                        const ConvGeom& g);
// gw = the gradient of conv(x, w) with respect to w for output gradient gy. gw is overwritten.
using ConvBackwardWeightKernel = void (*)(const Tensor& gw, const Tensor& gy, const Tensor& x, const ConvGeom& g);
// col (batch, in_channels * kernel_h * kernel_w, out_h * out_w) = the patches of x (groups
// and out_channels unused); col2im sums col's entries back into x (overwritten).
using Im2colKernel = void (*)(const Tensor& col, const Tensor& x, const ConvGeom& g);
using Col2imKernel = void (*)(const Tensor& x, const Tensor& col, const ConvGeom& g);

// Pooling over planes: input (planes, in_h, in_w), output (planes, out_h, out_w), with
// planes = batch * channels. Windows start at o * stride - pad and step by the dilation;
// the op has checked that every window overlaps the input. Adaptive pooling uses only
// planes and the in/out sizes (window i spans [floor(i*in/out), ceil((i+1)*in/out))).
struct PoolGeom {
  int64_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
};

// y = the window maxima (NaN wins, as torch), idx (int64) = their flat positions in the
// input plane (h * in_w + w).
using MaxPoolKernel = void (*)(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g);
using AdaptiveMaxPoolKernel = void (*)(const Tensor& y, const Tensor& idx, const Tensor& x, const PoolGeom& g);
// gx (overwritten) = gy summed into the positions idx names, plane by plane. Returns false
// (writing nothing further) if an index lies outside its plane.
using MaxPoolBackwardKernel = bool (*)(const Tensor& gx, const Tensor& gy, const Tensor& idx, const PoolGeom& g);
// Average pooling: divisor_override > 0 replaces the divisor; otherwise the window's size,
// counting the padding (count_include_pad) or only the input's elements.
using AvgPoolKernel = void (*)(const Tensor& y, const Tensor& x, const PoolGeom& g, bool count_include_pad,
                               int64_t divisor_override);
using AvgPoolBackwardKernel = void (*)(const Tensor& gx, const Tensor& gy, const PoolGeom& g,
                                       bool count_include_pad, int64_t divisor_override);
using AdaptiveAvgPoolKernel = void (*)(const Tensor& y, const Tensor& x, const PoolGeom& g);
using AdaptiveAvgPoolBackwardKernel = void (*)(const Tensor& gx, const Tensor& gy, const PoolGeom& g);

STEEPEST_DECLARE_STUB(ConvForwardKernel, conv_forward_stub);
STEEPEST_DECLARE_STUB(ConvBackwardDataKernel, conv_backward_data_stub);
STEEPEST_DECLARE_STUB(ConvBackwardWeightKernel, conv_backward_weight_stub);
STEEPEST_DECLARE_STUB(Im2colKernel, im2col_stub);
STEEPEST_DECLARE_STUB(Col2imKernel, col2im_stub);
STEEPEST_DECLARE_STUB(MaxPoolKernel, max_pool_stub);
STEEPEST_DECLARE_STUB(AdaptiveMaxPoolKernel, adaptive_max_pool_stub);
STEEPEST_DECLARE_STUB(MaxPoolBackwardKernel, max_pool_backward_stub);
STEEPEST_DECLARE_STUB(AvgPoolKernel, avg_pool_stub);
STEEPEST_DECLARE_STUB(AvgPoolBackwardKernel, avg_pool_backward_stub);
STEEPEST_DECLARE_STUB(AdaptiveAvgPoolKernel, adaptive_avg_pool_stub);
STEEPEST_DECLARE_STUB(AdaptiveAvgPoolBackwardKernel, adaptive_avg_pool_backward_stub);

}  // namespace steepest::dispatch
