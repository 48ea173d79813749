// Activations (erf, gelu, silu, softplus) and the fused softmax / log_softmax along any dim,
// each with its backward, computed by the device's kernels (dispatch/nn.hpp). 16-bit floats
// compute in float32 (through differentiable casts).
#include "dispatch/nn.hpp"
#include "nn/common.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(ActivationKernel, activation_stub);
STEEPEST_DEFINE_STUB(ActivationBackwardKernel, activation_backward_stub);
STEEPEST_DEFINE_STUB(SoftmaxKernel, softmax_stub);
STEEPEST_DEFINE_STUB(SoftmaxBackwardKernel, softmax_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {

Reduction parse_reduction(const std::string& s, const char* op) {
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  if (s == "none") return Reduction::None;
  throw ValueError(str(op, ": reduction must be 'none', 'mean' or 'sum', but got '", s, "'"));
}

namespace {

using V = std::vector<Tensor>;
using namespace detail;

using dispatch::Activation;

// y = act(x) elementwise, on a contiguous copy of x.
Tensor act_forward(Activation act, const Tensor& x, double beta = 1, double threshold = 20) {
  autograd::NoGradGuard ng;
  Tensor xc = contiguous(x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch::activation_stub().get(x.device())(act, out, xc, beta, threshold);
  return out;
}

// gx = g act'(x) elementwise.
Tensor act_backward(Activation act, const Tensor& x, const Tensor& g, double beta = 1, double threshold = 20) {
  check_grad_output(g, x.shape(), "activation_backward");
  Tensor xc = contiguous(x), gc = contiguous(to_dtype(g, x.dtype()));
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch::activation_backward_stub().get(dispatch::common_device(x, g))(act, out, xc, gc, beta, threshold);
  return out;
}

// Unary float op with a 16-bit detour; body(x) computes and records for float32/float64.
template <class Body>
Tensor float_op(const char* op, const Tensor& x, Body body) {
  check_float(x, op, "input");
  if (is_16bit(x.dtype())) return to_dtype(body(to_dtype(x, kFloat32)), x.dtype());
  return body(x);
}

// An activation whose kernels take bfloat16/float16 themselves (dispatch/nn.hpp: float32 math,
// one rounding, forward and backward): the same bits as the detour above, without converting
// whole tensors or saving a float32 copy of x for the backward.
template <class Body>
Tensor activation_op(const char* op, const Tensor& x, Body body) {
  check_float(x, op, "input");
  return body(x);
}

}  // namespace

Tensor erf(const Tensor& x) {
  return float_op("erf", x, [](const Tensor& x) {
    Tensor out = act_forward(Activation::Erf, x);
    if (autograd::needs_grad({&x}))  // d erf / dx = 2/sqrt(pi) exp(-x^2)
      autograd::record("ErfBackward0", {&x}, {&out}, {x}, [](Node& n, V& g) -> V {
        Tensor a = n.saved(0);
        return {mul(g[0], mul(exp(neg(mul(a, a))), Scalar(1.1283791670955126)))};
      });
    return out;
  });
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  STEEPEST_CHECK(approximate == "none" || approximate == "tanh", ValueError,
                 "gelu: approximate must be 'none' or 'tanh', but got '", approximate, "'");
  const bool th = approximate == "tanh";
  return activation_op("gelu", x, [th](const Tensor& x) {
    const Activation act = th ? Activation::GeluTanh : Activation::Gelu;
    Tensor out = act_forward(act, x);
    if (autograd::needs_grad({&x}))
      autograd::record("GeluBackward0", {&x}, {&out}, {x},
                       [act](Node& n, V& g) -> V { return {act_backward(act, n.saved(0), g[0])}; });
    return out;
  });
}

Tensor silu(const Tensor& x) {
  return activation_op("silu", x, [](const Tensor& x) {
    Tensor out = act_forward(Activation::Silu, x);
    if (autograd::needs_grad({&x}))
      autograd::record("SiluBackward0", {&x}, {&out}, {x},
                       [](Node& n, V& g) -> V { return {act_backward(Activation::Silu, n.saved(0), g[0])}; });
    return out;
  });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  return activation_op("softplus", x, [beta, threshold](const Tensor& x) {
    Tensor out = act_forward(Activation::Softplus, x, beta, threshold);
    if (autograd::needs_grad({&x}))  // sigmoid(beta x), 1 above the threshold
      autograd::record("SoftplusBackward0", {&x}, {&out}, {x}, [beta, threshold](Node& n, V& g) -> V {
        return {act_backward(Activation::Softplus, n.saved(0), g[0], beta, threshold)};
      });
    return out;
  });
}

// ---- the parameterised pointwise activations (kernels/cpu/activation_math.hpp) ----
namespace {

// act(x) with its backward g act'(x) recorded as `node`; p0, p1 as in dispatch/nn.hpp.
Tensor pointwise(const char* op, const char* node, Activation act, const Tensor& x, double p0 = 0, double p1 = 0) {
  return activation_op(op, x, [=](const Tensor& x) {
    Tensor out = act_forward(act, x, p0, p1);
    if (autograd::needs_grad({&x}))
      autograd::record(node, {&x}, {&out}, {x}, [=](Node& n, V& g) -> V {
        return {act_backward(act, n.saved(0), g[0], p0, p1)};
      });
    return out;
  });
}

}  // namespace

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return pointwise("leaky_relu", "LeakyReluBackward0", Activation::LeakyRelu, x, negative_slope);
}
Tensor elu(const Tensor& x, double alpha) { return pointwise("elu", "EluBackward0", Activation::Elu, x, alpha); }
Tensor selu(const Tensor& x) { return pointwise("selu", "EluBackward0", Activation::Selu, x); }
Tensor celu(const Tensor& x, double alpha) {
  STEEPEST_CHECK(alpha != 0, ValueError, "celu: alpha must not be 0 (it divides the input)");
  return pointwise("celu", "EluBackward0", Activation::Celu, x, alpha);
}
Tensor hardswish(const Tensor& x) { return pointwise("hardswish", "HardswishBackward0", Activation::Hardswish, x); }
Tensor hardsigmoid(const Tensor& x) {
  return pointwise("hardsigmoid", "HardsigmoidBackward0", Activation::Hardsigmoid, x);
}
Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  STEEPEST_CHECK(min_val <= max_val, ValueError, "hardtanh: min_val (", min_val, ") must be <= max_val (", max_val,
                 ")");
  return pointwise("hardtanh", "HardtanhBackward0", Activation::Hardtanh, x, min_val, max_val);
}
Tensor mish(const Tensor& x) { return pointwise("mish", "MishBackward0", Activation::Mish, x); }
Tensor logsigmoid(const Tensor& x) {
  return pointwise("logsigmoid", "LogSigmoidBackward0", Activation::LogSigmoid, x);
}
Tensor softsign(const Tensor& x) { return pointwise("softsign", "SoftsignBackward0", Activation::Softsign, x); }

// ---- softmax / log_softmax ----
namespace {

// fn(moved, out) for the same-shaped `ins` as copies moved so that dim is last and contiguous
// (no copy when it already is); out has their shape. Skipped when there are no elements.
template <class F>
Tensor along_dim(const std::vector<Tensor>& ins, int64_t d, F fn) {
  const Tensor& x0 = ins[0];
  const int64_t last = std::max<int64_t>(x0.dim(), 1) - 1;
  std::vector<Tensor> moved;
  for (const Tensor& t : ins) {
    Tensor m = x0.dim() == 0 ? reshape(t, {1}) : d == last ? t : movedim(t, d, last);
    moved.push_back(contiguous(m));
  }
  Tensor out = Tensor::empty(moved[0].shape(), x0.dtype(), x0.device());
  if (out.numel() > 0) fn(moved, out);
  if (x0.dim() == 0) return reshape(out, {});
  return d == last ? out : contiguous(movedim(out, last, d));
}

Tensor softmax_impl(const Tensor& x0, int64_t dim, std::optional<DType> dtype, bool log_out) {
  const char* op = log_out ? "log_softmax" : "softmax";
  Tensor x = dtype ? to_dtype(x0, *dtype) : x0;
  check_float(x, op, "input");
  if (is_16bit(x.dtype())) return to_dtype(softmax_impl(to_dtype(x, kFloat32), dim, std::nullopt, log_out), x.dtype());
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1));
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = along_dim({x}, d, [log_out, op](const std::vector<Tensor>& in, Tensor& o) {
      dispatch::softmax_stub().get(o.device(), op)(o, in[0], log_out);
    });
  }
  if (autograd::needs_grad({&x}))
    autograd::record(log_out ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {&x}, {&out}, {out},
                     [d, log_out](Node& nd, V& g) -> V {
      Tensor y = nd.saved(0);
      check_grad_output(g[0], y.shape(), log_out ? "log_softmax_backward" : "softmax_backward");
      return {along_dim({y, to_dtype(g[0], y.dtype())}, d, [log_out](const std::vector<Tensor>& in, Tensor& o) {
        dispatch::softmax_backward_stub().get(dispatch::common_device(in[0], in[1]))(o, in[0], in[1], log_out);
      })};
    });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) { return softmax_impl(x, dim, dtype, false); }
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(x, dim, dtype, true);
}

}  // namespace steepest::nn::functional
