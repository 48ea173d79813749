// linear: y = x W^T + b as one GEMM reading W (out, in) transposed in place (BLAS Trans, no
// copy), with b preloaded into y (beta = 1). Backward: gx = g W, gW = g^T x written straight
// into a contiguous (out, in), gb = column sums of g.
#include <climits>

#include "nn/common.hpp"
#include "ops/blas.hpp"

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

template <class T>
inline void gemm(blas::Trans ta, blas::Trans tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  blas::gemm_ex<T>(ta, tb, int(m), int(n), int(k), T(1), a, int(lda), b, int(ldb), beta, c, int(ldc));
}
// How W (out, in) is addressed: row-major (W^T is Trans of it) or a transposed view of a
// row-major (in, out) matrix; anything else is copied first.
struct WLayout {
  Tensor w;
  bool row_major = true;
  int64_t ld = 1;
};
WLayout weight_layout(const Tensor& weight) {
  const int64_t out = weight.shape()[0], in = weight.shape()[1];
  WLayout l;
  l.w = weight;
  if ((weight.strides()[1] == 1 || in == 1) && (out == 1 || weight.strides()[0] >= std::max<int64_t>(in, 1))) {
    l.row_major = true;
    l.ld = out == 1 ? std::max<int64_t>(in, 1) : weight.strides()[0];
  } else if ((weight.strides()[0] == 1 || out == 1) && (in == 1 || weight.strides()[1] >= std::max<int64_t>(out, 1))) {
    l.row_major = false;
    l.ld = in == 1 ? std::max<int64_t>(out, 1) : weight.strides()[1];
  } else {
    l.w = contiguous(weight);
    l.ld = std::max<int64_t>(in, 1);
  }
  return l;
}

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

template <class T>
Tensor forward(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  Tensor xc = contiguous(x);
  const int64_t M = in_f > 0 ? xc.numel() / in_f : numel_of(Shape(x.shape().begin(), x.shape().end() - 1));
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os.push_back(out_f);
  Tensor out = Tensor::empty(os, x.dtype());
  T* po = out.data<T>();
  if (bias.defined()) {
    Tensor bc = contiguous(bias);
    const T* pb = bc.data<T>();
    for (int64_t r = 0; r < M; ++r) std::copy(pb, pb + out_f, po + r * out_f);
  } else if (in_f == 0) {
    std::fill(po, po + M * out_f, T(0));
  }
  if (M == 0 || out_f == 0 || in_f == 0) return out;
  WLayout l = weight_layout(weight);
  gemm(blas::NoTrans, l.row_major ? blas::DoTrans : blas::NoTrans, M, out_f, in_f, xc.data<T>(), in_f,
       static_cast<const T*>(l.w.data_ptr()), l.ld, bias.defined() ? T(1) : T(0), po, out_f);
  return out;
}

template <class T>
V backward(Node& n, const Tensor& g0) {
  Tensor x = n.saved(0), weight = n.saved(1);
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  Tensor g = contiguous(to_dtype(g0, x.dtype()));
  const int64_t M = out_f > 0 ? g.numel() / out_f : (in_f > 0 ? x.numel() / in_f : 0);
  const T* pg = g.data<T>();
  Tensor gx, gw, gb;
  if (n.needs_input_grad(0)) {
    gx = Tensor::empty(x.shape(), x.dtype());
    if (out_f == 0) zero_(gx);
    else if (M > 0 && in_f > 0) {
      WLayout l = weight_layout(weight);  // g (M, out) @ W (out, in)
      gemm(blas::NoTrans, l.row_major ? blas::NoTrans : blas::DoTrans, M, in_f, out_f, pg, out_f,
           static_cast<const T*>(l.w.data_ptr()), l.ld, T(0), gx.data<T>(), in_f);
    }
  }
  if (n.needs_input_grad(1)) {
    gw = Tensor::empty(weight.shape(), weight.dtype());
    if (M == 0) zero_(gw);
    else if (out_f > 0 && in_f > 0) {
      Tensor xc = contiguous(x);  // g^T (out, M) @ x (M, in)
      gemm(blas::DoTrans, blas::NoTrans, out_f, in_f, M, pg, out_f, xc.data<T>(), in_f, T(0), gw.data<T>(), in_f);
    }
  }
  if (n.needs_input_grad(2)) {
    gb = zeros({out_f}, TensorOptions(x.dtype()));
    if (M > 0 && out_f > 0) kern<T>().column_sum(pg, M, out_f, gb.data<T>());
  }
  return {gx, gw, gb};
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_args(x, weight, bias);
  if (is_16bit(x.dtype()))
    return to_dtype(linear(to_dtype(x, kFloat32), to_dtype(weight, kFloat32),
                           bias.defined() ? to_dtype(bias, kFloat32) : Tensor()),
                    x.dtype());
  Tensor out;
  {
    autograd::NoGradGuard ng;
    out = x.dtype() == kFloat64 ? forward<double>(x, weight, bias) : forward<float>(x, weight, bias);
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool f64 = x.dtype() == kFloat64;
    autograd::record(bias.defined() ? "AddmmBackward0" : "MmBackward0", {&x, &weight, &bias}, {&out}, {x, weight},
                     [f64](Node& n, V& g) -> V { return f64 ? backward<double>(n, g[0]) : backward<float>(n, g[0]); });
  }
  return out;
}

}  // namespace steepest::nn::functional
