// The CTC loss (torch's ctc_loss): checks every argument (lengths and labels on the host, on
// any device), lays the targets out flat with one offset per sequence, runs the device's alpha
// recursion (dispatch/ctc.hpp) and records its beta-recursion backward; zero_infinity and the
// reductions are composed of differentiable ops.
#include <limits>

#include "dispatch/ctc.hpp"
#include "nn/common.hpp"
#include "runtime/autocast_policy.hpp"
#include "steepest/ops/device.hpp"

namespace steepest::dispatch {
STEEPEST_DEFINE_STUB(CtcLossKernel, ctc_loss_stub);
STEEPEST_DEFINE_STUB(CtcLossBackwardKernel, ctc_loss_backward_stub);
}  // namespace steepest::dispatch

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;
constexpr const char* kOp = "ctc_loss";

// One length per sequence from an integer tensor of any shape (a 0-d one for unbatched input),
// read on the host.
std::vector<int64_t> host_lengths(const Tensor& t, const char* arg) {
  STEEPEST_CHECK(is_integral(t.dtype(), false), TypeError, kOp, ": ", arg, " must be integral, but got a ",
                 dtype_name(t.dtype()), " tensor");
  Tensor h = contiguous(to_dtype(t.device().is_cpu() ? t : to_device(t, kCPU), kInt64));
  const int64_t* p = h.data<int64_t>();
  return std::vector<int64_t>(p, p + h.numel());
}

// Checks the lengths against the batch, T and the targets' layout, and returns the host
// geometry (N, 3) of dispatch/ctc.hpp; *longest receives the longest target length.
Tensor geometry(const std::vector<int64_t>& il, const std::vector<int64_t>& tl, const Tensor& targets, int64_t T,
                int64_t N, int64_t* longest) {
  STEEPEST_CHECK(int64_t(il.size()) == N, ValueError, kOp, ": input_lengths must be of size batch_size (", N,
                 "), but got ", il.size(), " values");
  STEEPEST_CHECK(int64_t(tl.size()) == N, ValueError, kOp, ": target_lengths must be of size batch_size (", N,
                 "), but got ", tl.size(), " values");
  Tensor geom = Tensor::empty({N, dispatch::kCtcGeomCols}, kInt64, kCPU);
  int64_t* g = geom.data<int64_t>();
  const bool concatenated = targets.dim() == 1;
  const int64_t total = targets.numel();
  int64_t pos = 0, S = 0;
  for (int64_t b = 0; b < N; ++b) {
    const int64_t in = il[size_t(b)], tn = tl[size_t(b)];
    STEEPEST_CHECK(in >= 0, ValueError, kOp, ": Expected input_lengths to have value at least 0, but got value ", in,
                   " (sequence ", b, ")");
    STEEPEST_CHECK(in <= T, ValueError, kOp, ": Expected input_lengths to have value at most ", T,
                   " (the input's length T), but got value ", in, " (sequence ", b, ")");
    STEEPEST_CHECK(tn >= 0, ValueError, kOp, ": Expected target_lengths to have value at least 0, but got value ", tn,
                   " (sequence ", b, ")");
    // Bounded by the targets' size before any sum, so the offsets never overflow.
    STEEPEST_CHECK(tn <= total, ValueError, kOp, ": target_lengths[", b, "] = ", tn, " exceeds the ", total,
                   " labels of targets ", targets.shape());
    int64_t* row = g + b * dispatch::kCtcGeomCols;
    row[dispatch::kCtcInputLength] = in;
    row[dispatch::kCtcTargetLength] = tn;
    row[dispatch::kCtcTargetOffset] = concatenated ? pos : b * targets.shape()[1];
    pos += tn;
    S = std::max(S, tn);
  }
  if (concatenated) {
    STEEPEST_CHECK(pos == total, ValueError, kOp, ": concatenated targets must hold sum(target_lengths) = ", pos,
                   " labels, but got targets of shape ", targets.shape());
  } else {
    STEEPEST_CHECK(targets.shape()[0] == N, ValueError, kOp, ": padded targets must have batch_size (", N,
                   ") rows, but got targets of shape ", targets.shape());
    STEEPEST_CHECK(targets.shape()[1] >= S, ValueError, kOp,
                   ": padded targets must have at least max(target_lengths) = ", S,
                   " columns, but got targets of shape ", targets.shape());
  }
  *longest = S;
  return geom;
}

// Every label the recursions will read (the host targets, int64 flat): in [0, C) and not the
// blank.
void check_labels(const Tensor& targets, const Tensor& geom, int64_t C, int64_t blank) {
  const int64_t* tg = targets.data<int64_t>();
  const int64_t* g = geom.data<int64_t>();
  for (int64_t b = 0; b < geom.shape()[0]; ++b) {
    const int64_t* row = g + b * dispatch::kCtcGeomCols;
    for (int64_t i = 0; i < row[dispatch::kCtcTargetLength]; ++i) {
      const int64_t v = tg[row[dispatch::kCtcTargetOffset] + i];
      STEEPEST_CHECK(v >= 0 && v < C, IndexError, kOp, ": target label ", v, " (sequence ", b, ", position ", i,
                     ") is out of bounds for ", C, " classes");
      STEEPEST_CHECK(v != blank, ValueError, kOp, ": target label ", v, " (sequence ", b, ", position ", i,
                     ") is the blank label; targets must not contain the blank (blank=", blank, ")");
    }
  }
}

}  // namespace

Tensor ctc_loss(const Tensor& log_probs0, const Tensor& targets, const std::vector<int64_t>& input_lengths,
                const std::vector<int64_t>& target_lengths, int64_t blank, Reduction reduction, bool zero_infinity) {
  autocast::Args ac(autocast::Policy::Float32, {&log_probs0});
  const Tensor& log_probs = ac[0];
  check_float(log_probs, kOp, "log_probs");
  STEEPEST_CHECK(log_probs.dtype() == kFloat32 || log_probs.dtype() == kFloat64, TypeError, kOp,
                 ": expected log_probs to be float32 or float64, but got ", dtype_name(log_probs.dtype()));
  STEEPEST_CHECK(log_probs.dim() == 3 || log_probs.dim() == 2, ValueError, kOp,
                 ": expected log_probs of shape (T, N, C) or unbatched (T, C), but got shape ", log_probs.shape());
  STEEPEST_CHECK(is_integral(targets.dtype(), false), TypeError, kOp,
                 ": expected targets to be an int64 or int32 tensor of labels, but got ", dtype_name(targets.dtype()));
  STEEPEST_CHECK(targets.dim() == 1 || targets.dim() == 2, ValueError, kOp,
                 ": expected targets of shape (N, S) (padded) or (sum(target_lengths),) (concatenated), but got shape ",
                 targets.shape());
  STEEPEST_CHECK(log_probs.numel() > 0, ValueError, kOp, ": log_probs tensor must not be empty, but got shape ",
                 log_probs.shape());
  const bool batched = log_probs.dim() == 3;
  const Tensor lp = batched ? log_probs : unsqueeze(log_probs, 1);
  const int64_t T = lp.shape()[0], N = lp.shape()[1], C = lp.shape()[2];
  STEEPEST_CHECK(blank >= 0 && blank < C, ValueError, kOp, ": blank must be in label range [0, ", C, "), but got ",
                 blank);
  int64_t S = 0;
  const Tensor geom = geometry(input_lengths, target_lengths, targets, T, N, &S);
  const Device dev = lp.device();
  const DType dt = lp.dtype();
  auto kernel = dispatch::ctc_loss_stub().get(dev, kOp);
  Tensor lpc, tg, nll, alpha;
  {
    autograd::NoGradGuard ng;
    // The labels are checked on the host (device targets copied back, one synchronisation:
    // they are few), then follow log_probs to its device, as torch moves them.
    const Tensor host_tg = contiguous(reshape(to_dtype(to_device(targets, kCPU), kInt64), {-1}));
    check_labels(host_tg, geom, C, blank);
    lpc = contiguous(lp);
    tg = to_device(host_tg, dev);
    nll = Tensor::empty({N}, dt, dev);
    alpha = Tensor::empty({N, T, 2 * S + 1}, dt, dev);
    kernel(nll, alpha, lpc, tg, geom, blank);
  }
  if (autograd::needs_grad({&lp})) {
    autograd::record("CtcLossBackward0", {&lp}, {&nll}, {lpc, tg, geom, nll, alpha},
                     [N, blank, zero_infinity, dt](Node& n, V& g) -> V {
      check_grad_output(g[0], Shape{N}, "ctc_loss_backward");
      Tensor x = n.saved(0), gc = contiguous(to_dtype(g[0], dt));
      const Device d = dispatch::common_device(x, gc);
      Tensor gx = Tensor::empty(x.shape(), dt, d);
      dispatch::ctc_loss_backward_stub().get(d, "ctc_loss_backward")(gx, gc, x, n.saved(1), n.saved(2), n.saved(3),
                                                                      n.saved(4), blank, zero_infinity);
      return {gx};
    });
  }
  Tensor res = nll;
  if (zero_infinity) res = where(eq(res, Scalar(std::numeric_limits<double>::infinity())), Scalar(0.0), res);
  if (reduction == Reduction::Mean) {
    // Each loss over its target length (at least 1), then the batch mean.
    Tensor div_by = Tensor::empty({N}, dt, kCPU);
    for (int64_t b = 0; b < N; ++b) {
      const double len = double(std::max<int64_t>(target_lengths[size_t(b)], 1));
      if (dt == kFloat64) div_by.data<double>()[b] = len;
      else div_by.data<float>()[b] = float(len);
    }
    return mean(div(res, to_device(div_by, dev)));
  }
  if (reduction == Reduction::Sum) return sum(res);
  return batched ? res : squeeze(res, 0);
}

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, Reduction reduction, bool zero_infinity) {
  return ctc_loss(log_probs, targets, host_lengths(input_lengths, "input_lengths"),
                  host_lengths(target_lengths, "target_lengths"), blank, reduction, zero_infinity);
}

}  // namespace steepest::nn::functional
