// layer_norm: one fused pass per row forward (saving mean and 1/std per row) and one fused
// pass per row backward (gx, with gw and gb accumulated per thread and summed once).
#include <vector>

#include "nn/common.hpp"

namespace steepest::nn::functional {
namespace {

using V = std::vector<Tensor>;
using namespace detail;

template <class T>
Tensor ln_forward(const Tensor& x, const Tensor& w, const Tensor& b, int64_t N, double eps, Tensor& mean,
                  Tensor& rstd) {
  Tensor xc = contiguous(x);
  const int64_t M = N > 0 ? xc.numel() / N : 0;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  mean = Tensor::empty({M}, x.dtype());
  rstd = Tensor::empty({M}, x.dtype());
  Tensor wc = w.defined() ? contiguous(w) : Tensor(), bc = b.defined() ? contiguous(b) : Tensor();
  const T* px = xc.data<T>();
  const T* pw = wc.defined() ? wc.data<T>() : nullptr;
  const T* pb = bc.defined() ? bc.data<T>() : nullptr;
  T* py = out.data<T>();
  T* pm = mean.data<T>();
  T* pr = rstd.data<T>();
  auto f = kern<T>().layer_norm;
  parallel_rows(M, 4 * N, [&](int64_t r) { f(px + r * N, N, pw, pb, T(eps), py + r * N, pm + r, pr + r); });
  return out;
}

template <class T>
V ln_backward(Node& n, const Tensor& g0, int64_t N) {
  Tensor x = contiguous(n.saved(0)), w = n.saved(1), mean = n.saved(2), rstd = n.saved(3);
  Tensor g = contiguous(to_dtype(g0, x.dtype()));
  const int64_t M = mean.numel();
  const bool need_x = n.needs_input_grad(0), need_w = n.needs_input_grad(1), need_b = n.needs_input_grad(2);
  Tensor wc = w.defined() ? contiguous(w) : Tensor();
  const T* px = x.data<T>();
  const T* pg = g.data<T>();
  const T* pw = wc.defined() ? wc.data<T>() : nullptr;
  const T* pm = mean.data<T>();
  const T* pr = rstd.data<T>();
  Tensor gx = Tensor::empty(x.shape(), x.dtype());
  T* pgx = gx.data<T>();
  // Each thread sums gw and gb over its own rows; the partials are added in thread order.
  const bool par = M > 1 && M * N >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
  const int nt = par ? int(std::min<int64_t>(omp_get_max_threads(), M)) : 1;
  std::vector<T> acc(size_t((need_w ? nt * N : 0) + (need_b ? nt * N : 0)), T(0));
  T* gw_acc = need_w ? acc.data() : nullptr;
  T* gb_acc = need_b ? acc.data() + (need_w ? nt * N : 0) : nullptr;
  auto f = kern<T>().layer_norm_backward;
#pragma omp parallel num_threads(nt) if (par)
  {
    const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
    const int64_t r0 = M * tid / nth, r1 = M * (tid + 1) / nth;
    T* gw_t = gw_acc ? gw_acc + tid * N : nullptr;
    T* gb_t = gb_acc ? gb_acc + tid * N : nullptr;
    for (int64_t r = r0; r < r1; ++r) f(px + r * N, pg + r * N, N, pm[r], pr[r], pw, pgx + r * N, gw_t, gb_t);
  }
  auto fold = [&](T* a) {
    Tensor t = Tensor::empty(w.shape(), x.dtype());
    T* p = t.data<T>();
    std::copy(a, a + N, p);
    for (int k = 1; k < nt; ++k)
      for (int64_t j = 0; j < N; ++j) p[j] += a[k * N + j];
    return t;
  };
  return {need_x ? gx : Tensor(), need_w ? fold(gw_acc) : Tensor(), need_b ? fold(gb_acc) : Tensor()};
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
    out = x.dtype() == kFloat64 ? ln_forward<double>(x, weight, bias, N, eps, mean, rstd)
                                : ln_forward<float>(x, weight, bias, N, eps, mean, rstd);
  }
  if (autograd::needs_grad({&x, &weight, &bias})) {
    const bool f64 = x.dtype() == kFloat64;
    autograd::record("NativeLayerNormBackward0", {&x, &weight, &bias}, {&out}, {x, weight, mean, rstd},
                     [N, f64](Node& n, V& g) -> V { return f64 ? ln_backward<double>(n, g[0], N) : ln_backward<float>(n, g[0], N); });
  }
  return out;
}

}  // namespace steepest::nn::functional
