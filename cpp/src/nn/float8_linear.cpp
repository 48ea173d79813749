// The FP8 training recipe's linear (steepest/ops/float8.hpp): per-tensor delayed scaling of
// x and W to float8_e4m3fn in forward and of the output gradient to float8_e5m2 in backward,
// every product through scaled_mm. The master weight and all gradients keep their dtype.
#include "autograd/record.hpp"
#include "dispatch/float8.hpp"
#include "nn/common.hpp"
#include "steepest/ops/float8.hpp"

namespace steepest {

namespace {

using V = std::vector<Tensor>;

struct Cast {
  Tensor q;          // the FP8 values
  Tensor inv_scale;  // 1 / the scale they were cast with: scaled_mm's dequantizing factor
};

// Casts x (contiguous) with s's scale, then shifts x's amax into s. A state that has never
// seen an amax (history all zero) is first set from this x, so the first cast is in range.
Cast delayed_cast(const Tensor& x, const Float8Scaling& s, DType dt, double margin) {
  const Device dev = x.device();
  TensorOptions f32(kFloat32);
  f32.device = dev;
  Tensor amax_now = zeros({1}, f32);
  const bool fresh = amax(s.amax_history).item().to_double() == 0.0;
  if (fresh) {
    dispatch::float8_cast_stub().get(dev, "float8_linear")(Tensor(), x, s.scale, amax_now);
    float8_update_scaling(s, amax_now, dt, margin);
  }
  Cast c;
  c.inv_scale = div(Scalar(1.0), reshape(s.scale, {1}));
  c.q = float8_scaled_cast(x, s.scale, dt, fresh ? std::nullopt : std::optional<Tensor>(amax_now));
  if (!fresh) float8_update_scaling(s, amax_now, dt, margin);
  return c;
}

void check_scaling(const Float8Scaling& s, const char* which) {
  STEEPEST_CHECK(s.amax_history.defined() && s.scale.defined(), ValueError, "float8_linear: the ", which,
                 " scaling state needs an amax_history and a scale");
  STEEPEST_CHECK(s.amax_history.dtype() == kFloat32 && s.amax_history.dim() == 1 && s.amax_history.numel() >= 1 &&
                     s.amax_history.is_contiguous() && s.scale.dtype() == kFloat32 && s.scale.numel() == 1,
                 ValueError, "float8_linear: the ", which, " amax_history must be a contiguous 1-D float32 tensor "
                 "of at least one element and its scale a float32 tensor of one element, but got ",
                 dtype_name(s.amax_history.dtype()), " ", s.amax_history.shape(), " and ", dtype_name(s.scale.dtype()),
                 " ", s.scale.shape());
}

}  // namespace

Tensor float8_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Float8Scaling& x_scaling,
                     const Float8Scaling& weight_scaling, const Float8Scaling& grad_scaling, double margin) {
  using nn::functional::detail::check_float;
  using nn::functional::detail::check_same_dtype;
  const char* op = "float8_linear";
  check_float(x, op, "input");
  check_float(weight, op, "weight");
  check_same_dtype(x, weight, op, "input", "weight");
  STEEPEST_CHECK(x.dtype() != kFloat64, TypeError, op, ": FP8 training takes float32, bfloat16 or float16 "
                 "tensors, but got float64");
  STEEPEST_CHECK(weight.dim() == 2, ValueError, op, ": weight must be 2-D (out_features, in_features), but got shape ",
                 weight.shape());
  STEEPEST_CHECK(x.dim() >= 1 && x.shape().back() == weight.shape()[1], ValueError, op, ": input of shape ",
                 x.shape(), " and weight of shape ", weight.shape(), " cannot be multiplied");
  if (bias.defined()) {
    check_float(bias, op, "bias");
    STEEPEST_CHECK(bias.dim() == 1 && bias.shape()[0] == weight.shape()[0], ValueError, op, ": bias of shape ",
                   bias.shape(), " doesn't match weight of shape ", weight.shape());
  }
  check_scaling(x_scaling, "input");
  check_scaling(weight_scaling, "weight");
  check_scaling(grad_scaling, "grad_output");
  STEEPEST_CHECK(std::isfinite(margin), ValueError, op, ": margin must be finite, got ", margin);
  const Tensor none;
  dispatch::common_device({&x, &weight, &bias, &x_scaling.amax_history, &x_scaling.scale,
                           &weight_scaling.amax_history, &weight_scaling.scale, &grad_scaling.amax_history,
                           &grad_scaling.scale});

  const int64_t K = weight.shape()[1], N = weight.shape()[0];
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os.push_back(N);
  Cast cx, cw;
  Tensor out;
  {
    autograd::NoGradGuard ng;
    cx = delayed_cast(contiguous(reshape(x, {-1, K})), x_scaling, kFloat8E4M3FN, margin);
    cw = delayed_cast(contiguous(weight), weight_scaling, kFloat8E4M3FN, margin);
    std::optional<Tensor> b;
    if (bias.defined()) b = bias;
    out = reshape(scaled_mm(cx.q, t(cw.q), cx.inv_scale, cw.inv_scale, b, x.dtype()), os);
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const Shape xs = x.shape();
    const DType xd = x.dtype(), wd = weight.dtype(), bd = bias.defined() ? bias.dtype() : kFloat32;
    autograd::record("Float8LinearBackward", {&x, &weight, &bias}, {&out}, {},
                     [cx, cw, grad_scaling, margin, xs, xd, wd, bd, N, os](Node& n, V& g) -> V {
      nn::functional::detail::check_grad_output(g[0], os, "float8_linear_backward");
      autograd::NoGradGuard ng;
      Tensor g2 = contiguous(reshape(to_dtype(g[0], xd), {-1, N}));
      Cast cg = delayed_cast(g2, grad_scaling, kFloat8E5M2, margin);
      Tensor gx, gw, gb;
      if (n.needs_input_grad(0)) gx = reshape(scaled_mm(cg.q, cw.q, cg.inv_scale, cw.inv_scale, std::nullopt, xd), xs);
      if (n.needs_input_grad(1)) gw = scaled_mm(t(cg.q), cx.q, cg.inv_scale, cx.inv_scale, std::nullopt, wd);
      if (n.needs_input_grad(2)) gb = to_dtype(sum(g2, {0}, false, kFloat32), bd);
      return {gx, gw, gb};
    });
  }
  return out;
}

}  // namespace steepest
