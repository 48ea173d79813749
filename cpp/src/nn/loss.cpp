// Losses: cross_entropy (one fused pass forward saving only the per-row log-sum-exp, one
// fused pass backward recomputing softmax - target), nll_loss, and the composed mse_loss,
// l1_loss and binary_cross_entropy_with_logits. Semantics follow torch exactly: weighted
// means divide by the summed weights of non-ignored targets; label smoothing mixes in the
// uniform distribution (weighted by `weight` when given).
#include <cmath>
#include <limits>

#include "nn/common.hpp"

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
  steepest::detail::check_cpu(target, op);
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
  const int64_t* pt = t.data<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t c = pt[i];
    STEEPEST_CHECK(c == ignore_index || (c >= 0 && c < C), IndexError, op, ": target ", c,
                   " is out of bounds for ", C, " classes (at flat position ", i, ")");
  }
  return t;
}

// Per-row gradient scale: g is 0-d for mean/sum, per-row for none.
template <class T>
struct GradScale {
  const T* p = nullptr;
  T s = 0;
  explicit GradScale(const Tensor& g) {
    if (g.numel() == 1 && g.dim() == 0) s = g.data<T>()[0];
    else p = g.data<T>();
  }
  T operator()(int64_t i) const { return p ? p[i] : s; }
};

// ---------------- cross entropy ----------------

struct CeConst {
  int64_t C = 0, M = 0, ignore = -100;
  double ls = 0, d1 = 1, d2 = 1;  // denominators of the nll and smoothing parts (mean: weight sums)
  Reduction red = Reduction::Mean;
  bool prob = false;
};

template <class T>
Tensor ce_forward(const Tensor& x2, const Tensor& tgt, const Tensor& w, CeConst& k, Tensor& lse_out,
                  const Shape& none_shape) {
  const int64_t M = k.M, C = k.C;
  const T* px = x2.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  lse_out = Tensor::empty({M, 2}, x2.dtype());  // per row: max, log sum exp(x - max)
  T* plse = lse_out.data<T>();
  std::vector<double> nll(size_t(M), 0.0), smooth(size_t(M), 0.0), wt(size_t(M), 0.0);
  auto lse_f = kern<T>().logsumexp;
  if (k.prob) {
    const T* pp = tgt.data<T>();
    const double a = 1.0 - k.ls, b = k.ls / double(C);
    parallel_rows(M, 2 * C, [&](int64_t i) {
      const T* xi = px + i * C;
      const T* pi = pp + i * C;
      T m = 0, ls = 0;
      if (C > 0) lse_f(xi, C, &m, &ls);
      plse[2 * i] = m;
      plse[2 * i + 1] = ls;
      double l = 0;  // sum_j w_j p'_j (lse - x_j)
      for (int64_t j = 0; j < C; ++j) {
        double q = (a * double(pi[j]) + b) * (pw ? double(pw[j]) : 1.0);
        l += q * (double(ls) - double(xi[j] - m));
      }
      nll[size_t(i)] = l;
    });
    k.d1 = k.red == Reduction::Mean ? double(M) : 1.0;
  } else {
    const int64_t* pt = tgt.data<int64_t>();
    const bool smoothing = k.ls > 0;
    parallel_rows(M, C, [&](int64_t i) {
      const T* xi = px + i * C;
      T m = 0, ls = 0;
      if (C > 0) lse_f(xi, C, &m, &ls);
      plse[2 * i] = m;
      plse[2 * i + 1] = ls;
      int64_t t = pt[i];
      if (t == k.ignore) return;
      double w_t = pw ? double(pw[t]) : 1.0;
      wt[size_t(i)] = w_t;
      nll[size_t(i)] = w_t * (double(ls) - double(xi[t] - m));
      if (smoothing) {
        double s = 0;  // sum_j w_j (lse - x_j)
        for (int64_t j = 0; j < C; ++j) s += (pw ? double(pw[j]) : 1.0) * (double(ls) - double(xi[j] - m));
        smooth[size_t(i)] = s;
      }
    });
    double wsum = 0;
    for (double v : wt) wsum += v;
    if (k.red == Reduction::Mean) {
      k.d1 = wsum;  // both parts: sum of the non-ignored targets' weights (their count without weight)
      k.d2 = wsum;
    }
  }
  const double a = k.prob ? 1.0 : 1.0 - k.ls, b = k.prob ? 0.0 : k.ls / double(C);
  if (k.red == Reduction::None) {
    Tensor out = Tensor::empty(none_shape, x2.dtype());
    T* po = out.data<T>();
    for (int64_t i = 0; i < M; ++i) po[i] = T(a * nll[size_t(i)] + b * smooth[size_t(i)]);
    return out;
  }
  double s1 = 0, s2 = 0;
  for (int64_t i = 0; i < M; ++i) {
    s1 += nll[size_t(i)];
    s2 += smooth[size_t(i)];
  }
  double v = a * s1 / k.d1 + (b != 0 ? b * s2 / k.d2 : 0.0);
  Tensor out = Tensor::empty({}, x2.dtype());
  out.data<T>()[0] = T(v);
  return out;
}

// d loss / d logits in one pass per row: a softmax - b w (p') - c onehot(t) (see header).
template <class T>
V ce_backward(Node& n, const Tensor& g0, const CeConst& k, const Shape& logits_shape, const Shape& target_shape) {
  Tensor x2 = n.saved(0), tgt = n.saved(1), lse = n.saved(2);
  Tensor w = n.saved_tensors[3].defined() ? n.saved(3) : Tensor();
  const int64_t M = k.M, C = k.C;
  Tensor g = contiguous(to_dtype(g0, x2.dtype()));
  GradScale<T> gs(g);
  const T* px = x2.data<T>();
  const T* plse = lse.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  double wsum_all = double(C);
  if (pw) {
    wsum_all = 0;
    for (int64_t j = 0; j < C; ++j) wsum_all += double(pw[j]);
  }
  Tensor gx, gt;
  auto grad_f = kern<T>().softmax_xent_grad;
  if (n.needs_input_grad(0)) {
    gx = Tensor::empty({M, C}, x2.dtype());
    T* pgx = gx.data<T>();
    if (k.prob) {
      const T* pp = tgt.data<T>();
      const T ps = T(1.0 - k.ls), pt = T(k.ls / double(C));
      parallel_rows(M, 3 * C, [&](int64_t i) {
        const T* pi = pp + i * C;
        double S = 0;  // sum_j w_j p'_j
        for (int64_t j = 0; j < C; ++j) S += (double(ps) * double(pi[j]) + double(pt)) * (pw ? double(pw[j]) : 1.0);
        double gi = double(gs(i)) / k.d1;
        grad_f(px + i * C, C, plse[2 * i], plse[2 * i + 1], T(gi * S), pw, pi, ps, pt, T(gi), pgx + i * C);
      });
    } else {
      const int64_t* ptg = tgt.data<int64_t>();
      const double eps_c = k.ls / double(C);
      parallel_rows(M, 2 * C, [&](int64_t i) {
        T* gi_row = pgx + i * C;
        int64_t t = ptg[i];
        if (t == k.ignore) {
          std::fill(gi_row, gi_row + C, T(0));
          return;
        }
        double gi = double(gs(i));
        double w_t = pw ? double(pw[t]) : 1.0;
        double c_nll = gi * (1.0 - k.ls) * w_t / k.d1;  // weight of the one-hot part
        double c_sm = gi * eps_c / k.d2;                // weight of the uniform part
        grad_f(px + i * C, C, plse[2 * i], plse[2 * i + 1], T(c_nll + c_sm * wsum_all), pw, nullptr, T(0), T(0),
               T(c_sm), gi_row);
        gi_row[t] = T(double(gi_row[t]) - c_nll);
      });
    }
    gx = from_rows(gx, logits_shape);
  }
  if (k.prob && n.needs_input_grad(1)) {  // d/dp_j = -(1 - ls) w_j log_softmax_j
    gt = Tensor::empty({M, C}, x2.dtype());
    T* pgt = gt.data<T>();
    parallel_rows(M, C, [&](int64_t i) {
      double gi = double(gs(i)) / k.d1 * (1.0 - k.ls);
      for (int64_t j = 0; j < C; ++j)
        pgt[i * C + j] = T(-gi * (pw ? double(pw[j]) : 1.0) *
                           (double(px[i * C + j] - plse[2 * i]) - double(plse[2 * i + 1])));
    });
    gt = from_rows(gt, logits_shape);
  }
  return {gx, gt, Tensor()};
}

// ---------------- nll loss ----------------

template <class T>
Tensor nll_forward(const Tensor& x2, const Tensor& tgt, const Tensor& w, int64_t C, int64_t ignore, Reduction red,
                   const Shape& none_shape, double& d) {
  const int64_t M = tgt.numel();
  const T* px = x2.data<T>();
  const int64_t* pt = tgt.data<int64_t>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  Tensor out = Tensor::empty(red == Reduction::None ? none_shape : Shape{}, x2.dtype());
  double s = 0, ws = 0;
  for (int64_t i = 0; i < M; ++i) {
    int64_t t = pt[i];
    double l = 0;
    if (t != ignore) {
      double wt = pw ? double(pw[t]) : 1.0;
      ws += wt;
      l = -wt * double(px[i * C + t]);
    }
    if (red == Reduction::None) out.data<T>()[i] = T(l);
    s += l;
  }
  d = red == Reduction::Mean ? ws : 1.0;
  if (red != Reduction::None) out.data<T>()[0] = T(s / d);
  return out;
}

template <class T>
Tensor nll_backward(const Tensor& g0, const Tensor& tgt, const Tensor& w, int64_t C, int64_t ignore, double d,
                    const Shape& logits_shape) {
  const int64_t M = tgt.numel();
  Tensor gx = zeros({M, C}, TensorOptions(dtype_of<T>()));
  Tensor g = contiguous(to_dtype(g0, dtype_of<T>()));
  GradScale<T> gs(g);
  const int64_t* pt = tgt.data<int64_t>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  T* pg = gx.data<T>();
  for (int64_t i = 0; i < M; ++i) {
    int64_t t = pt[i];
    if (t != ignore) pg[i * C + t] = T(-double(gs(i)) * (pw ? double(pw[t]) : 1.0) / d);
  }
  return from_rows(gx, logits_shape);
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     Reduction reduction, double label_smoothing) {
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
  CeConst k;
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
    out = logits.dtype() == kFloat64 ? ce_forward<double>(x2, tgt, w, k, lse, none_shape)
                                     : ce_forward<float>(x2, tgt, w, k, lse, none_shape);
  }
  if (autograd::needs_grad({&logits, &target})) {
    Shape ls = logits.shape(), ts = target.shape();
    const bool f64 = logits.dtype() == kFloat64;
    Tensor no_target = prob ? target : Tensor();  // index targets take no gradient
    autograd::record("CrossEntropyLossBackward0", {&logits, &no_target, &weight}, {&out}, {x2, tgt, lse, w},
                     [k, ls, ts, f64](Node& n, V& g) -> V {
      return f64 ? ce_backward<double>(n, g[0], k, ls, ts) : ce_backward<float>(n, g[0], k, ls, ts);
    });
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                Reduction reduction) {
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
    out = log_probs.dtype() == kFloat64 ? nll_forward<double>(x2, tgt, w, C, ignore_index, reduction, none_shape, d)
                                        : nll_forward<float>(x2, tgt, w, C, ignore_index, reduction, none_shape, d);
  }
  if (autograd::needs_grad({&log_probs})) {
    Shape ls = log_probs.shape();
    const bool f64 = log_probs.dtype() == kFloat64;
    autograd::record("NllLossBackward0", {&log_probs}, {&out}, {tgt, w.defined() ? w : Tensor()},
                     [C, ignore_index, d, ls, f64](Node& n, V& g) -> V {
      Tensor tg = n.saved(0);
      Tensor wt = n.saved_tensors[1].defined() ? n.saved(1) : Tensor();
      return {f64 ? nll_backward<double>(g[0], tg, wt, C, ignore_index, d, ls)
                  : nll_backward<float>(g[0], tg, wt, C, ignore_index, d, ls)};
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
}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("mse_loss", input, target);
  Tensor d = sub(input, target);
  return reduce_loss(mul(d, d), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_pair("l1_loss", input, target);
  return reduce_loss(abs(sub(input, target)), reduction);
}

// (1 - y) x + (1 + (pw - 1) y) softplus(-x): softplus never overflows (it is -x past the
// threshold), so any logit is safe.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
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
