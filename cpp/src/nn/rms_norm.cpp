// rms_norm: argument checks, results and autograd; one fused pass per row forward (saving
// 1/rms per row) and one backward, both in the device's kernels (dispatch/nn.hpp).
#include <limits>
#include <vector>

#include "dispatch/nn.hpp"
#include "nn/common.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(RmsNormKernel, rms_norm_stub);
STEEPEST_DEFINE_STUB(RmsNormBackwardKernel, rms_norm_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

V rms_backward(Node& n, const Tensor& g0) {
  Tensor x = contiguous(n.saved(0)), w = n.saved(1), rstd = n.saved(2);
  check_grad_output(g0, x.shape(), "rms_norm_backward");
  Tensor g = contiguous(to_dtype(g0, x.dtype()));
  const Device dev = dispatch::common_device(x, g);
  Tensor gx = n.needs_input_grad(0) ? Tensor::empty(x.shape(), x.dtype(), dev) : Tensor();
  Tensor gw = n.needs_input_grad(1) ? Tensor::empty(w.shape(), x.dtype(), dev) : Tensor();
  Tensor wc = w.defined() ? contiguous(w) : Tensor();
  dispatch::rms_norm_backward_stub().get(dev, "rms_norm_backward")(gx, gw, x, g, wc, rstd);
  return {gx, gw};
}

}  // namespace

Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, std::optional<double> eps) {
  const char* op = "rms_norm";
  check_float(x, op, "input");
  const int64_t k = int64_t(normalized_shape.size());
  bool fits = k >= 1 && x.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) fits = x.shape()[size_t(x.dim() - k + i)] == normalized_shape[size_t(i)];
  STEEPEST_CHECK(fits, ValueError, op, ": normalized_shape ", normalized_shape,
                 " doesn't match the trailing dims of input of shape ", x.shape());
  if (weight.defined()) {
    check_float(weight, op, "weight");
    check_same_dtype(x, weight, op, "input", "weight");
    STEEPEST_CHECK(weight.shape() == normalized_shape, ValueError, op, ": weight of shape ", weight.shape(),
                   " doesn't match normalized_shape ", normalized_shape);
  }
  if (!eps)  // the epsilon of the dtype the statistics are computed in: float32 for 16-bit x, as torch
    eps = x.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon() : double(std::numeric_limits<float>::epsilon());
  STEEPEST_CHECK(*eps >= 0, ValueError, op, ": eps must be >= 0, but got ", *eps);
  if (is_16bit(x.dtype()))
    return to_dtype(rms_norm(to_dtype(x, kFloat32), normalized_shape,
                             weight.defined() ? to_dtype(weight, kFloat32) : Tensor(), eps),
                    x.dtype());
  const int64_t N = numel_of(normalized_shape);
  Tensor out, rstd;
  {
    autograd::NoGradGuard ng;
    Tensor xc = contiguous(x);
    const int64_t M = N > 0 ? xc.numel() / N : 0;
    const Device dev = dispatch::common_device({&x, &weight});
    out = Tensor::empty(x.shape(), x.dtype(), dev);
    rstd = Tensor::empty({M}, x.dtype(), dev);
    Tensor wc = weight.defined() ? contiguous(weight) : Tensor();
    dispatch::rms_norm_stub().get(dev, op)(out, rstd, xc, wc, *eps);
  }
  if (autograd::needs_grad({&x, &weight}))
    autograd::record("RmsNormBackward0", {&x, &weight}, {&out}, {x, weight, rstd},
                     [](Node& n, V& g) -> V { return rms_backward(n, g[0]); });
  return out;
}

}  // namespace steepest::nn::functional
