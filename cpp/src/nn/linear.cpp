// linear: y = x W^T + b and its backward (gx = g W, gW = g^T x, gb = column sums of g):
// argument checks, results and autograd here, the fused GEMMs in the device's kernels
// (dispatch/linalg.hpp).
#include <climits>

#include "dispatch/linalg.hpp"
#include "nn/common.hpp"
#include "runtime/autocast_policy.hpp"

namespace steepest {
namespace dispatch {
STEEPEST_DEFINE_STUB(LinearKernel, linear_stub);
STEEPEST_DEFINE_STUB(LinearBackwardKernel, linear_backward_stub);
}  // namespace dispatch
}  // namespace steepest

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

void check_args(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_float(x, "linear", "input");
  check_float(weight, "linear", "weight");
  check_same_dtype(x, weight, "linear", "input", "weight");
  STEEPEST_CHECK(weight.dim() == 2, ValueError, "linear: weight must be 2-D (out_features, in_features), but got shape ",
                 weight.shape());
  STEEPEST_CHECK(x.dim() >= 1, ValueError, "linear: input must be at least 1-D, but got a 0-d tensor");
  STEEPEST_CHECK(x.shape().back() == weight.shape()[1], ValueError, "linear: input of shape ", x.shape(),
                 " and weight of shape ", weight.shape(), " cannot be multiplied (", x.shape().back(), " != ",
                 weight.shape()[1], ")");
  if (bias.defined()) {
    check_float(bias, "linear", "bias");
    check_same_dtype(x, bias, "linear", "input", "bias");
    STEEPEST_CHECK(bias.dim() == 1 && bias.shape()[0] == weight.shape()[0], ValueError, "linear: bias of shape ",
                   bias.shape(), " doesn't match weight of shape ", weight.shape(), " (expected (",
                   weight.shape()[0], ",))");
  }
  STEEPEST_CHECK(x.numel() / std::max<int64_t>(x.shape().back(), 1) <= INT_MAX && weight.shape()[0] <= INT_MAX &&
                     weight.shape()[1] <= INT_MAX,
                 NotImplementedError, "linear: sizes of input ", x.shape(), " and weight ", weight.shape(),
                 " exceed the 32-bit BLAS interface");
}

Tensor forward(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os.push_back(weight.shape()[0]);
  const Device dev = dispatch::common_device({&x, &weight, &bias});
  Tensor out = Tensor::empty(os, x.dtype(), dev);
  dispatch::linear_stub().get(dev, "linear")(out, x, weight, bias);
  return out;
}

V backward(Node& n, const Tensor& g0, DType gw_dtype, DType gb_dtype) {
  Tensor x = n.saved(0), weight = n.saved(1);
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os.push_back(weight.shape()[0]);
  check_grad_output(g0, os, "linear_backward");
  Tensor g = contiguous(to_dtype(g0, x.dtype()));
  const Device dev = dispatch::common_device(x, g);
  Tensor gx = n.needs_input_grad(0) ? Tensor::empty(x.shape(), x.dtype(), dev) : Tensor();
  Tensor gw = n.needs_input_grad(1) ? Tensor::empty(weight.shape(), gw_dtype, dev) : Tensor();
  Tensor gb = n.needs_input_grad(2) ? zeros({weight.shape()[0]}, TensorOptions(gb_dtype, dev)) : Tensor();
  dispatch::linear_backward_stub().get(dev, "linear_backward")(gx, gw, gb, g, x, weight);
  return {gx, gw, gb};
}

}  // namespace

Tensor linear(const Tensor& x0, const Tensor& weight0, const Tensor& bias0) {
  autocast::Args ac(autocast::Policy::LowerPrecision, {&x0, &weight0, &bias0});
  const Tensor &x = ac[0], &weight = ac[1], &bias = ac[2];
  check_args(x, weight, bias);
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = forward(x, weight, bias);
  }
  // Under autocast a float32 weight and bias enter the product as their 16-bit casts, but the
  // graph links the product to the float32 tensors themselves: the GEMM writes their
  // gradients in float32, where going through the cast would round them to 16 bits only for
  // the cast's backward to widen them again (two passes over every weight per step).
  const bool keep32 = ac.active() && detail::is_16bit(x.dtype());
  const Tensor& w_in = keep32 && weight0.dtype() == kFloat32 ? weight0 : weight;
  const Tensor& b_in = keep32 && bias0.defined() && bias0.dtype() == kFloat32 ? bias0 : bias;
  if (autograd::needs_grad({&x, &w_in, &b_in})) {
    const DType gw_dtype = w_in.dtype(), gb_dtype = b_in.defined() ? b_in.dtype() : x.dtype();
    autograd::record(bias.defined() ? "AddmmBackward0" : "MmBackward0", {&x, &w_in, &b_in}, {&out}, {x, weight},
                     [gw_dtype, gb_dtype](Node& n, V& g) -> V { return backward(n, g[0], gw_dtype, gb_dtype); });
  }
  return out;
}

}  // namespace steepest::nn::functional
