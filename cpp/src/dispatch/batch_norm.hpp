// Dispatch stubs of batch norm. The op (nn/batch_norm.cpp) has checked the arguments, made x
// (and g) contiguous float32/float64, viewed it as (N, C, S) with S the product of the
// trailing dims, and allocated the results on the inputs' device; weight, bias and the
// running statistics are contiguous (C,) tensors of x's dtype, or undefined.
#pragma once
#include "dispatch/stub.hpp"
#include "steepest/tensor.hpp"

namespace steepest::dispatch {

// y = (x - mean) invstd w + b per channel. When `training`: mean and invstd (C,) receive the
// batch's mean and 1/sqrt(biased var + eps), and defined running_mean/var are updated in
// place: r = (1 - momentum) r + momentum stat, with the unbiased variance. Else mean and
// invstd are computed from running_mean/var (both defined).
using BatchNormKernel = void (*)(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& x,
                                 const Tensor& w, const Tensor& b, const Tensor& running_mean,
                                 const Tensor& running_var, bool training, double momentum, double eps);
// gx (x's shape), gw and gb (C,) as needed (each may be undefined), from the forward's saved
// mean and invstd; `training` says whether they were the batch's (so gx has the terms of
// their dependence on x) or constants.
using BatchNormBackwardKernel = void (*)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x,
                                         const Tensor& g, const Tensor& w, const Tensor& mean,
                                         const Tensor& invstd, bool training);

STEEPEST_DECLARE_STUB(BatchNormKernel, batch_norm_stub);
STEEPEST_DECLARE_STUB(BatchNormBackwardKernel, batch_norm_backward_stub);

}  // namespace steepest::dispatch
