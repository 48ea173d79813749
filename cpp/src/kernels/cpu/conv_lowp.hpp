// The bfloat16/float16 kernels of the convolution family (conv_lowp.cpp). conv.cpp's
// registered kernels hand 16-bit tensors here; the contracts are dispatch/conv.hpp's.
#pragma once
#include "dispatch/conv.hpp"

namespace steepest::kernels::cpu {

void conv_forward_lowp(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias,
                       const dispatch::ConvGeom& g);
void conv_backward_data_lowp(const Tensor& gx, const Tensor& gy, const Tensor& w, const Tensor& bias,
                             const dispatch::ConvGeom& g);
void conv_backward_weight_lowp(const Tensor& gw, const Tensor& gy, const Tensor& x, const dispatch::ConvGeom& g);
void im2col_lowp(const Tensor& col, const Tensor& x, const dispatch::ConvGeom& g);
void col2im_lowp(const Tensor& x, const Tensor& col, const dispatch::ConvGeom& g);

}  // namespace steepest::kernels::cpu
