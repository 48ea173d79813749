// layer_norm: argument checks, results and autograd; one fused pass per row forward (saving
// mean and 1/std per row) and one backward, both in the device's kernels (dispatch/nn.hpp).
#include <vector>

#include "dispatch/nn.hpp"
#include "nn/common.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(LayerNormKernel, layer_norm_stub);
STEEPEST_DEFINE_STUB(LayerNormBackwardKernel, layer_norm_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

Tensor ln_forward(const Tensor& x, const Tensor& w, const Tensor& b, int64_t N, double eps, Tensor& mean,
                  Tensor& rstd) {
  Tensor xc = contiguous(x);
  const int64_t M = N > 0 ? xc.numel() / N : 0;
  const Device dev = dispatch::common_device({&x, &w, &b});
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev);
  mean = Tensor::empty({M}, x.dtype(), dev);
  rstd = Tensor::empty({M}, x.dtype(), dev);
  Tensor wc = w.defined() ? contiguous(w) : Tensor(), bc = b.defined() ? contiguous(b) : Tensor();
  dispatch::layer_norm_stub().get(dev, "layer_norm")(out, mean, rstd, xc, wc, bc, eps);
  return out;
}

V ln_backward(Node& n, const Tensor& g0) {
  Tensor x = contiguous(n.saved(0)), w = n.saved(1), mean = n.saved(2), rstd = n.saved(3);
  check_grad_output(g0, x.shape(), "layer_norm_backward");
  Tensor g = contiguous(to_dtype(g0, x.dtype()));
  const Device dev = dispatch::common_device(x, g);
  Tensor gx = n.needs_input_grad(0) ? Tensor::empty(x.shape(), x.dtype(), dev) : Tensor();
  Tensor gw = n.needs_input_grad(1) ? Tensor::empty(w.shape(), x.dtype(), dev) : Tensor();
  Tensor gb = n.needs_input_grad(2) ? Tensor::empty(w.shape(), x.dtype(), dev) : Tensor();
  Tensor wc = w.defined() ? contiguous(w) : Tensor();
  dispatch::layer_norm_backward_stub().get(dev, "layer_norm_backward")(gx, gw, gb, x, g, wc, mean, rstd);
  return {gx, gw, gb};
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* op = "layer_norm";
  check_float(x, op, "input");
  const int64_t k = int64_t(normalized_shape.size());
  bool fits = k >= 1 && x.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) fits = x.shape()[size_t(x.dim() - k + i)] == normalized_shape[size_t(i)];
  STEEPEST_CHECK(fits, ValueError, op, ": normalized_shape ", normalized_shape,
                 " doesn't match the trailing dims of input of shape ", x.shape());
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    const char* name = p == &weight ? "weight" : "bias";
    check_float(*p, op, name);
    check_same_dtype(x, *p, op, "input", name);
    STEEPEST_CHECK(p->shape() == normalized_shape, ValueError, op, ": ", name, " of shape ", p->shape(),
                   " doesn't match normalized_shape ", normalized_shape);
  }
  STEEPEST_CHECK(eps >= 0, ValueError, op, ": eps must be >= 0, but got ", eps);
  if (is_16bit(x.dtype()))
    return to_dtype(layer_norm(to_dtype(x, kFloat32), normalized_shape,
                               weight.defined() ? to_dtype(weight, kFloat32) : Tensor(),
                               bias.defined() ? to_dtype(bias, kFloat32) : Tensor(), eps),
                    x.dtype());
  const int64_t N = numel_of(normalized_shape);
  Tensor out, mean, rstd;
  {
    autograd::NoGradGuard ng;
    out = ln_forward(x, weight, bias, N, eps, mean, rstd);
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    autograd::record("NativeLayerNormBackward0", {&x, &weight, &bias}, {&out}, {x, weight, mean, rstd},
                     [](Node& n, V& g) -> V { return ln_backward(n, g[0]); });
  }
  return out;
}

}  // namespace steepest::nn::functional
