// batch_norm: argument checks, results and autograd. Per-channel statistics over dim 0 and
// the trailing dims of an (N, C, *) input, the running statistics' in-place update and the
// normalization are one forward kernel; gx, gw and gb one backward kernel (dispatch/batch_norm.hpp).
#include <cmath>
#include <vector>

#include "dispatch/batch_norm.hpp"
#include "nn/common.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(BatchNormKernel, batch_norm_stub);
STEEPEST_DEFINE_STUB(BatchNormBackwardKernel, batch_norm_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

// A per-channel argument: undefined, or a (C,) tensor of x's dtype (or float32 for a 16-bit x,
// as torch allows).
void check_channel_arg(const Tensor& t, const Tensor& x, int64_t C, const char* name) {
  if (!t.defined()) return;
  const char* op = "batch_norm";
  check_float(t, op, name);
  if (!(is_16bit(x.dtype()) && t.dtype() == kFloat32)) check_same_dtype(x, t, op, "input", name);
  STEEPEST_CHECK(t.dim() == 1 && t.numel() == C, ValueError, op, ": ", name, " should have shape (", C,
                 ",) (one value per channel, dim 1 of input of shape ", x.shape(), "), but has shape ", t.shape());
}

V bn_backward(Node& n, const Tensor& g0, bool training) {
  Tensor x = n.saved(0), w = n.saved(1), mean = n.saved(2), invstd = n.saved(3);
  check_grad_output(g0, x.shape(), "batch_norm_backward");
  Tensor g = contiguous(to_dtype(g0, x.dtype()));
  const Device dev = dispatch::common_device(x, g);
  const int64_t C = x.shape()[1];
  Tensor gx = n.needs_input_grad(0) ? Tensor::empty(x.shape(), x.dtype(), dev) : Tensor();
  Tensor gw = n.needs_input_grad(1) ? Tensor::empty({C}, x.dtype(), dev) : Tensor();
  Tensor gb = n.needs_input_grad(2) ? Tensor::empty({C}, x.dtype(), dev) : Tensor();
  dispatch::batch_norm_backward_stub().get(dev, "batch_norm_backward")(gx, gw, gb, x, g, w, mean, invstd, training);
  return {gx, gw, gb};
}

// bfloat16/float16: statistics, normalization and gradients in float32 (differentiable casts),
// one rounding of the output; 16-bit running statistics are updated through float32 copies,
// each rounded once when written back.
Tensor batch_norm_16bit(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                        const Tensor& weight, const Tensor& bias, bool training, double momentum, double eps) {
  const auto wide = [](const Tensor& t) { return t.defined() ? to_dtype(t, kFloat32) : t; };
  Tensor rm, rv;
  {
    autograd::NoGradGuard ng;
    rm = running_mean.defined() ? to_dtype(running_mean.detach(), kFloat32) : Tensor();
    rv = running_var.defined() ? to_dtype(running_var.detach(), kFloat32) : Tensor();
  }
  Tensor out = batch_norm(to_dtype(x, kFloat32), rm, rv, wide(weight), wide(bias), training, momentum, eps);
  if (training && x.numel() > 0) {
    autograd::NoGradGuard ng;
    for (const Tensor* r : {&running_mean, &running_var}) {
      if (!r->defined()) continue;
      Tensor dst = r->detach();
      const Tensor& src = r == &running_mean ? rm : rv;
      if (dst.data_ptr() != src.data_ptr()) copy_(dst, src);  // a float32 running stat was used in place
    }
  }
  return to_dtype(out, x.dtype());
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  STEEPEST_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64 || is_16bit(x.dtype()), TypeError, op,
                 ": expected input of dtype float32, float64, bfloat16 or float16, but got ", dtype_name(x.dtype()));
  STEEPEST_CHECK(x.dim() >= 2, ValueError, op, ": expected input of shape (N, C, *) with at least 2 dims, but got ",
                 x.shape());
  const int64_t C = x.shape()[1];
  check_channel_arg(running_mean, x, C, "running_mean");
  check_channel_arg(running_var, x, C, "running_var");
  check_channel_arg(weight, x, C, "weight");
  check_channel_arg(bias, x, C, "bias");
  STEEPEST_CHECK(running_mean.defined() == running_var.defined(), ValueError, op,
                 ": running_mean and running_var must be given together");
  STEEPEST_CHECK(training || running_mean.defined(), ValueError, op,
                 ": running_mean and running_var must be defined in evaluation mode (training=False)");
  STEEPEST_CHECK(eps > 0 || (!training && eps == 0), ValueError, op, ": eps must be positive, but got ", eps);
  STEEPEST_CHECK(std::isfinite(momentum), ValueError, op, ": momentum must be finite, but got ", momentum);
  const int64_t per_channel = C > 0 ? x.numel() / C : 0;
  STEEPEST_CHECK(!training || per_channel != 1, ValueError, op,
                 ": expected more than 1 value per channel when training, got input of shape ", x.shape());
  const Device dev = dispatch::common_device({&x, &running_mean, &running_var, &weight, &bias});
  if (is_16bit(x.dtype())) return batch_norm_16bit(x, running_mean, running_var, weight, bias, training, momentum, eps);

  Tensor out, mean, invstd, xc;
  {
    autograd::NoGradGuard ng;
    xc = contiguous(x);
    out = Tensor::empty(x.shape(), x.dtype(), dev);
    mean = Tensor::empty({C}, x.dtype(), dev);
    invstd = Tensor::empty({C}, x.dtype(), dev);
    Tensor wc = weight.defined() ? contiguous(weight) : Tensor();
    Tensor bc = bias.defined() ? contiguous(bias) : Tensor();
    // The kernel updates the running statistics in place: through contiguous copies written
    // back when the caller's are strided.
    Tensor rm = running_mean.defined() ? contiguous(running_mean.detach()) : Tensor();
    Tensor rv = running_var.defined() ? contiguous(running_var.detach()) : Tensor();
    dispatch::batch_norm_stub().get(dev, op)(out, mean, invstd, xc, wc, bc, rm, rv, training, momentum, eps);
    if (training && x.numel() > 0) {
      for (const Tensor* r : {&running_mean, &running_var}) {
        if (!r->defined()) continue;
        Tensor dst = r->detach();
        const Tensor& src = r == &running_mean ? rm : rv;
        if (dst.data_ptr() != src.data_ptr()) copy_(dst, src);
        else dst.bump_version();
      }
    }
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    autograd::record("NativeBatchNormBackward0", {&x, &weight, &bias}, {&out}, {xc, weight, mean, invstd},
                     [training](Node& n, V& g) -> V { return bn_backward(n, g[0], training); });
  }
  return out;
}

}  // namespace steepest::nn::functional
