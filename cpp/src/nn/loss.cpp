// Losses: cross_entropy (one fused pass forward saving only the per-row log-sum-exp, one
// fused pass backward recomputing softmax - target) and nll_loss, both computed by the
// device's kernels (dispatch/nn.hpp), and the composed mse_loss, l1_loss and
// binary_cross_entropy_with_logits. Semantics follow torch exactly.
#include <cmath>
#include <limits>

#include "dispatch/nn.hpp"
#include "nn/common.hpp"
#include "runtime/autocast_policy.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(CrossEntropyKernel, cross_entropy_stub);
STEEPEST_DEFINE_STUB(CrossEntropyBackwardKernel, cross_entropy_backward_stub);
STEEPEST_DEFINE_STUB(NllKernel, nll_stub);
STEEPEST_DEFINE_STUB(NllBackwardKernel, nll_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

// Logits-shaped tensors as contiguous (M, C) rows: the class dim (1, or 0 for 1-D) moved last.
Tensor to_rows(const Tensor& t, int64_t C) {
  if (t.dim() <= 2) return contiguous(reshape(t, {-1, C}));
  return reshape(contiguous(movedim(t, 1, -1)), {-1, C});
}
// The inverse: (M, C) rows back to the logits layout `shape`.
Tensor from_rows(const Tensor& r, const Shape& shape) {
  if (shape.size() <= 2) return reshape(r, shape);
  Shape ms;
  for (size_t i = 0; i < shape.size(); ++i)
    if (i != 1) ms.push_back(shape[i]);
  ms.push_back(shape[1]);
  return contiguous(movedim(reshape(r, ms), -1, 1));
}
// The per-sample shape: logits' shape without the class dim.
Shape sample_shape(const Tensor& logits) {
  Shape s;
  for (int64_t i = 0; i < logits.dim(); ++i)
    if (i != (logits.dim() == 1 ? 0 : 1)) s.push_back(logits.shape()[size_t(i)]);
  return s;
}

// Checks shared by cross_entropy and nll_loss. Returns C.
int64_t check_class_args(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                         bool allow_prob) {
  check_float(input, op, "input");
  dispatch::common_device({&input, &target, &weight});
  STEEPEST_CHECK(input.dim() >= 1, ValueError, op, ": input must have at least 1 dim (the classes), but got shape ",
                 input.shape());
  const int64_t C = input.shape()[input.dim() == 1 ? 0 : 1];
  if (is_floating(target.dtype())) {
    STEEPEST_CHECK(allow_prob, TypeError, op, ": target must be an int64 or int32 tensor of class indices, but got ",
                   dtype_name(target.dtype()));
    STEEPEST_CHECK(target.shape() == input.shape(), ValueError, op, ": target of shape ", target.shape(),
                   " doesn't match logits ", input.shape(), " (probability targets have the logits' shape)");
    check_same_dtype(input, target, op, "input", "target");
  } else {
    STEEPEST_CHECK(target.dtype() == kInt64 || target.dtype() == kInt32, TypeError, op,
                   ": target must be int64 or int32 class indices (or floating probabilities), but got ",
                   dtype_name(target.dtype()));
    Shape want = sample_shape(input);
    STEEPEST_CHECK(target.shape() == want, ValueError, op, ": target of shape ", target.shape(),
                   " doesn't match logits ", input.shape(), " (expected target shape ", want, ")");
  }
  if (weight.defined()) {
    check_float(weight, op, "weight");
    check_same_dtype(input, weight, op, "input", "weight");
    STEEPEST_CHECK(weight.dim() == 1 && weight.shape()[0] == C, ValueError, op, ": weight of shape ", weight.shape(),
                   " doesn't match the ", C, " classes of input ", input.shape(), " (expected (", C, ",))");
  }
  return C;
}

// int64 class indices, flat; IndexError naming the first out-of-range one (ignore_index excepted).
Tensor checked_targets(const char* op, const Tensor& target, int64_t C, int64_t ignore_index) {
  Tensor t = contiguous(reshape(to_dtype(target, kInt64), {-1}));
  dispatch::BadIndex bad = dispatch::find_bad_index_stub().get(t.device(), op)(t, C, ignore_index);
  STEEPEST_CHECK(bad.pos < 0, IndexError, op, ": target ", bad.value, " is out of bounds for ", C,
                 " classes (at flat position ", bad.pos, ")");
  return t;
}

// ---------------- cross entropy ----------------

using dispatch::CrossEntropyArgs;

// d loss / d logits (and the probability target's gradient) from the saved rows.
V ce_backward(Node& n, const Tensor& g0, const CrossEntropyArgs& k, const Shape& logits_shape,
              const Shape& out_shape) {
  check_grad_output(g0, out_shape, "cross_entropy_backward");
  Tensor x2 = n.saved(0), tgt = n.saved(1), lse = n.saved(2);
  Tensor w = n.saved_tensors[3].defined() ? n.saved(3) : Tensor();
  Tensor g = contiguous(to_dtype(g0, x2.dtype()));
  const Device dev = dispatch::common_device(x2, g);
  Tensor gx = n.needs_input_grad(0) ? Tensor::empty({k.M, k.C}, x2.dtype(), dev) : Tensor();
  Tensor gt = k.prob && n.needs_input_grad(1) ? Tensor::empty({k.M, k.C}, x2.dtype(), dev) : Tensor();
  dispatch::cross_entropy_backward_stub().get(dev, "cross_entropy_backward")(gx, gt, g, x2, tgt, lse, w, k);
  return {gx.defined() ? from_rows(gx, logits_shape) : gx, gt.defined() ? from_rows(gt, logits_shape) : gt,
          Tensor()};
}

}  // namespace

Tensor cross_entropy(const Tensor& logits0, const Tensor& target0, const Tensor& weight0, int64_t ignore_index,
                     Reduction reduction, double label_smoothing) {
  autocast::Args ac(autocast::Policy::Float32, {&logits0, &target0, &weight0});
  const Tensor &logits = ac[0], &target = ac[1], &weight = ac[2];
  const char* op = "cross_entropy";
  const int64_t C = check_class_args(op, logits, target, weight, true);
  STEEPEST_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, ValueError, op,
                 ": label_smoothing must be between 0.0 and 1.0, but got ", label_smoothing);
  const bool prob = is_floating(target.dtype());
  if (is_16bit(logits.dtype()))
    return to_dtype(cross_entropy(to_dtype(logits, kFloat32), prob ? to_dtype(target, kFloat32) : target,
                                  weight.defined() ? to_dtype(weight, kFloat32) : Tensor(), ignore_index, reduction,
                                  label_smoothing),
                    logits.dtype());
  CrossEntropyArgs k;
  k.C = C;
  k.ignore = ignore_index;
  k.ls = label_smoothing;
  k.red = reduction;
  k.prob = prob;
  Shape none_shape = sample_shape(logits);
  Tensor x2, tgt, w, lse, out;
  {
    autograd::NoGradGuard ng;
    x2 = to_rows(logits, C);
    k.M = x2.shape()[0];
    tgt = prob ? to_rows(target, C) : checked_targets(op, target, C, ignore_index);
    w = weight.defined() ? contiguous(weight) : Tensor();
    const Device dev = logits.device();
    out = Tensor::empty(reduction == Reduction::None ? none_shape : Shape{}, logits.dtype(), dev);
    lse = Tensor::empty({k.M, 2}, logits.dtype(), dev);  // per row: max, log sum exp(x - max)
    dispatch::cross_entropy_stub().get(dev, op)(out, lse, x2, tgt, w, k);
  }
  if (autograd::needs_grad({&logits, &target})) {
    Shape ls = logits.shape(), os = out.shape();
    Tensor no_target = prob ? target : Tensor();  // index targets take no gradient
    autograd::record("CrossEntropyLossBackward0", {&logits, &no_target, &weight}, {&out}, {x2, tgt, lse, w},
                     [k, ls, os](Node& n, V& g) -> V { return ce_backward(n, g[0], k, ls, os); });
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs0, const Tensor& target0, const Tensor& weight0, int64_t ignore_index,
                Reduction reduction) {
  autocast::Args ac(autocast::Policy::Float32, {&log_probs0, &target0, &weight0});
  const Tensor &log_probs = ac[0], &target = ac[1], &weight = ac[2];
  const char* op = "nll_loss";
  const int64_t C = check_class_args(op, log_probs, target, weight, false);
  if (is_16bit(log_probs.dtype()))
    return to_dtype(nll_loss(to_dtype(log_probs, kFloat32), target,
                             weight.defined() ? to_dtype(weight, kFloat32) : Tensor(), ignore_index, reduction),
                    log_probs.dtype());
  Shape none_shape = sample_shape(log_probs);
  Tensor x2, tgt, w, out;
  double d = 1;
  {
    autograd::NoGradGuard ng;
    x2 = to_rows(log_probs, C);
    tgt = checked_targets(op, target, C, ignore_index);
    w = weight.defined() ? contiguous(weight) : Tensor();
    out = Tensor::empty(reduction == Reduction::None ? none_shape : Shape{}, log_probs.dtype(), log_probs.device());
    dispatch::nll_stub().get(log_probs.device(), op)(out, x2, tgt, w, ignore_index, reduction, &d);
  }
  if (autograd::needs_grad({&log_probs})) {
    Shape ls = log_probs.shape(), os = out.shape();
    const DType dt = log_probs.dtype();
    autograd::record("NllLossBackward0", {&log_probs}, {&out}, {tgt, w.defined() ? w : Tensor()},
                     [C, ignore_index, d, ls, os, dt](Node& n, V& g) -> V {
      check_grad_output(g[0], os, "nll_loss_backward");
      Tensor tg = n.saved(0);
      Tensor wt = n.saved_tensors[1].defined() ? n.saved(1) : Tensor();
      Tensor gc = contiguous(to_dtype(g[0], dt));
      Tensor gx = zeros({tg.numel(), C}, TensorOptions(dt, tg.device()));
      dispatch::nll_backward_stub().get(dispatch::common_device(gc, tg), "nll_loss_backward")(gx, gc, tg, wt,
                                                                                          ignore_index, d);
      return {from_rows(gx, ls)};
    });
  }
  return out;
}

// ---------------- elementwise losses (composed of differentiable ops) ----------------

namespace {
void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  check_float(input, op, "input");
  check_float(target, op, "target");
  STEEPEST_CHECK(input.shape() == target.shape(), ValueError, op, ": target of shape ", target.shape(),
                 " doesn't match input of shape ", input.shape());
}
// Both operands of one 16-bit dtype: the loss is computed in float32 (differentiable casts) and
// rounded once, forward and backward.
bool widen_pair(const Tensor& input, const Tensor& target) {
  return is_16bit(input.dtype()) && target.dtype() == input.dtype();
}
}  // namespace

Tensor mse_loss(const Tensor& input0, const Tensor& target0, Reduction reduction) {
  autocast::Args ac(autocast::Policy::Float32, {&input0, &target0});
  const Tensor &input = ac[0], &target = ac[1];
  check_pair("mse_loss", input, target);
  if (widen_pair(input, target))
    return to_dtype(mse_loss(to_dtype(input, kFloat32), to_dtype(target, kFloat32), reduction), input.dtype());
  Tensor d = sub(input, target);
  return reduce_loss(mul(d, d), reduction);
}

Tensor l1_loss(const Tensor& input0, const Tensor& target0, Reduction reduction) {
  autocast::Args ac(autocast::Policy::Float32, {&input0, &target0});
  const Tensor &input = ac[0], &target = ac[1];
  check_pair("l1_loss", input, target);
  if (widen_pair(input, target))
    return to_dtype(l1_loss(to_dtype(input, kFloat32), to_dtype(target, kFloat32), reduction), input.dtype());
  return reduce_loss(abs(sub(input, target)), reduction);
}

// (1 - y) x + (1 + (pw - 1) y) softplus(-x): softplus never overflows (it is -x past the
// threshold), so any logit is safe.
Tensor binary_cross_entropy_with_logits(const Tensor& input0, const Tensor& target0, const Tensor& weight0,
                                        const Tensor& pos_weight0, Reduction reduction) {
  autocast::Args ac(autocast::Policy::Float32, {&input0, &target0, &weight0, &pos_weight0});
  const Tensor &input = ac[0], &target = ac[1], &weight = ac[2], &pos_weight = ac[3];
  const char* op = "binary_cross_entropy_with_logits";
  check_pair(op, input, target);
  Tensor sp = softplus(neg(input));
  Tensor l;
  if (pos_weight.defined()) {
    check_float(pos_weight, op, "pos_weight");
    Tensor lw = add(mul(sub(pos_weight, Scalar(1.0)), target), Scalar(1.0));
    l = add(mul(rsub(target, Scalar(1.0)), input), mul(lw, sp));
  } else {
    l = add(mul(rsub(target, Scalar(1.0)), input), sp);
  }
  if (weight.defined()) {
    check_float(weight, op, "weight");
    l = mul(l, weight);
  }
  STEEPEST_CHECK(l.shape() == input.shape(), ValueError, op, ": weight or pos_weight of shapes ",
                 weight.defined() ? weight.shape() : Shape{}, " / ", pos_weight.defined() ? pos_weight.shape() : Shape{},
                 " broadcast the loss to ", l.shape(), ", not input's ", input.shape());
  return reduce_loss(l, reduction);
}

}  // namespace steepest::nn::functional
