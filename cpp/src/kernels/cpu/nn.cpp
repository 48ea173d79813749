// The CPU kernels of the fused nn ops (dispatch/nn.hpp): row loops over the kernel table's
// nn entries (isa/nn.cpp), split over OpenMP threads by rows; the loss and embedding loops.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "dispatch/nn.hpp"
#include "kernels/cpu/activation_math.hpp"
#include "kernels/cpu/elementwise_engine.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels::cpu {
namespace {

using dispatch::Activation;
using dispatch::CrossEntropyArgs;
using dispatch::Reduction;

template <class T>
inline const TypedKernels<T>& kern() {
  if constexpr (sizeof(T) == 4) return cpu_kernels().f32;
  else return cpu_kernels().f64;
}

// Runs fn(r) for r < rows, over OpenMP threads when the work (rows * cost) is large enough
// to pay for waking them (~32k element-ops per thread).
template <class F>
inline void parallel_rows(int64_t rows, int64_t cost_per_row, F fn) {
  const int64_t work = rows * std::max<int64_t>(cost_per_row, 1);
  bool par = rows > 1 && work >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < rows; ++r) fn(r);
}

template <class F>
void visit_float(DType d, F f) {
  if (d == kFloat64) f(double{});
  else f(float{});
}

// Elementwise over contiguous memory, in parallel chunks: f(offset, n).
template <class F>
void chunks(int64_t n, int64_t cost, F f) {
  constexpr int64_t kChunk = 8192;
  int64_t nchunks = (n + kChunk - 1) / kChunk;
  parallel_rows(nchunks, kChunk * cost, [&](int64_t c) {
    int64_t b = c * kChunk;
    f(b, std::min(n, b + kChunk) - b);
  });
}

// ---------------- activations ----------------

int64_t activation_cost(Activation act) { return act == Activation::Silu ? 4 : 8; }

// o = act(a) over n values of one block.
template <class T>
void act_block(const TypedKernels<T>& k, Activation act, int64_t n, const T* a, T* o, double beta,
               double threshold) {
  switch (act) {
    case Activation::Erf: k.erf(n, a, o); break;
    case Activation::Gelu: k.gelu(n, a, o, false); break;
    case Activation::GeluTanh: k.gelu(n, a, o, true); break;
    case Activation::Silu: k.silu(n, a, o); break;
    case Activation::Softplus:
      for (int64_t i = 0; i < n; ++i) {
        double bx = beta * double(a[i]);
        o[i] = bx > threshold ? a[i] : T(std::log1p(std::exp(bx)) / beta);
      }
      break;
    default:  // the parameterised ones of activation_math.hpp
      for (int64_t i = 0; i < n; ++i) o[i] = T(act_value(act, double(a[i]), beta, threshold));
      break;
  }
}

// o = g act'(a) over n values of one block.
template <class T>
void act_backward_block(const TypedKernels<T>& k, Activation act, int64_t m, const T* a, const T* gg, T* o,
                        double beta, double threshold) {
  switch (act) {
    case Activation::Gelu: k.gelu_backward(m, a, gg, o, false); break;
    case Activation::GeluTanh: k.gelu_backward(m, a, gg, o, true); break;
    case Activation::Silu: k.silu_backward(m, a, gg, o); break;
    case Activation::Softplus:  // sigmoid(beta x), 1 above the threshold
      for (int64_t i = 0; i < m; ++i) {
        double bx = beta * double(a[i]);
        o[i] = bx > threshold ? gg[i] : T(double(gg[i]) / (1.0 + std::exp(-bx)));
      }
      break;
    case Activation::Erf: break;
    default:
      for (int64_t i = 0; i < m; ++i) o[i] = T(double(gg[i]) * act_derivative(act, double(a[i]), beta, threshold));
      break;
  }
}

const uint16_t* bits16(const Tensor& t) { return static_cast<const uint16_t*>(t.data_ptr()); }
uint16_t* bits16_mut(const Tensor& t) { return static_cast<uint16_t*>(t.data_ptr()); }

void activation(Activation act, const Tensor& y, const Tensor& x, double beta, double threshold) {
  if (is_16bit(x.dtype())) {
    const auto& k = kern<float>();
    const uint16_t* const ins[1] = {bits16(x)};
    chunks(x.numel(), activation_cost(act), [&](int64_t b, int64_t n) {
      detail::blocks16(x.dtype(), ins, bits16_mut(y), b, b + n, [&](int64_t m, const float* const* in, float* o) {
        act_block(k, act, m, in[0], o, beta, threshold);
      });
    });
    return;
  }
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const auto& k = kern<T>();
    const T* px = x.data<T>();
    T* py = y.data<T>();
    chunks(x.numel(), activation_cost(act),
           [&](int64_t b, int64_t n) { act_block(k, act, n, px + b, py + b, beta, threshold); });
  });
}

void activation_backward(Activation act, const Tensor& gx, const Tensor& x, const Tensor& g, double beta,
                         double threshold) {
  STEEPEST_CHECK(act != Activation::Erf, Error, "erf: its backward is composed of elementwise ops");
  if (is_16bit(x.dtype())) {
    const auto& k = kern<float>();
    const uint16_t* const ins[2] = {bits16(x), bits16(g)};
    chunks(x.numel(), activation_cost(act), [&](int64_t b, int64_t n) {
      detail::blocks16(x.dtype(), ins, bits16_mut(gx), b, b + n, [&](int64_t m, const float* const* in, float* o) {
        act_backward_block(k, act, m, in[0], in[1], o, beta, threshold);
      });
    });
    return;
  }
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const auto& k = kern<T>();
    const T* px = x.data<T>();
    const T* pg = g.data<T>();
    T* po = gx.data<T>();
    chunks(x.numel(), activation_cost(act),
           [&](int64_t b, int64_t m) { act_backward_block(k, act, m, px + b, pg + b, po + b, beta, threshold); });
  });
}

// ---------------- softmax ----------------

void softmax(const Tensor& y, const Tensor& x, bool log) {
  const int64_t n = x.shape().back(), rows = x.numel() / n;
  visit_float(x.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    auto f = kern<T>().softmax;
    parallel_rows(rows, 4 * n, [&](int64_t r) { f(px + r * n, n, py + r * n, log); });
  });
}

void softmax_backward(const Tensor& gx, const Tensor& y, const Tensor& g, bool log) {
  const int64_t n = y.shape().back(), rows = y.numel() / n;
  visit_float(y.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* py = y.data<T>();
    const T* pg = g.data<T>();
    T* pgx = gx.data<T>();
    auto f = kern<T>().softmax_backward;
    parallel_rows(rows, 3 * n, [&](int64_t r) { f(py + r * n, pg + r * n, n, pgx + r * n, log); });
  });
}

// ---------------- layer norm ----------------
// One fused pass per row forward (saving mean and 1/std per row) and one fused pass per row
// backward (gx, with gw and gb accumulated per thread and summed once).

template <class T>
void ln_forward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& xc, const Tensor& wc,
                const Tensor& bc, double eps) {
  const int64_t M = mean.numel(), N = M > 0 ? xc.numel() / M : 0;
  const T* px = xc.data<T>();
  const T* pw = wc.defined() ? wc.data<T>() : nullptr;
  const T* pb = bc.defined() ? bc.data<T>() : nullptr;
  T* py = out.data<T>();
  T* pm = mean.data<T>();
  T* pr = rstd.data<T>();
  auto f = kern<T>().layer_norm;
  parallel_rows(M, 4 * N, [&](int64_t r) { f(px + r * N, N, pw, pb, T(eps), py + r * N, pm + r, pr + r); });
}

template <class T>
void ln_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
                 const Tensor& wc, const Tensor& mean, const Tensor& rstd) {
  // N from the weight's gradient when there are no rows (its sums are then zeros).
  const int64_t M = mean.numel();
  const int64_t N = M > 0 ? x.numel() / M : gw.defined() ? gw.numel() : gb.defined() ? gb.numel() : 0;
  const bool need_w = gw.defined(), need_b = gb.defined();
  const T* px = x.data<T>();
  const T* pg = g.data<T>();
  const T* pw = wc.defined() ? wc.data<T>() : nullptr;
  const T* pm = mean.data<T>();
  const T* pr = rstd.data<T>();
  // gx is always computed (gw and gb need the same pass); a scratch row buffer when unwanted.
  std::vector<T> gx_scratch(gx.defined() ? 0 : size_t(M * N));
  T* pgx = gx.defined() ? gx.data<T>() : gx_scratch.data();
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
  auto fold = [&](T* a, const Tensor& t) {
    T* p = t.data<T>();
    std::copy(a, a + N, p);
    for (int k = 1; k < nt; ++k)
      for (int64_t j = 0; j < N; ++j) p[j] += a[k * N + j];
  };
  if (need_w) fold(gw_acc, gw);
  if (need_b) fold(gb_acc, gb);
}

void layer_norm(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                const Tensor& b, double eps) {
  if (x.dtype() == kFloat64) ln_forward<double>(y, mean, rstd, x, w, b, eps);
  else ln_forward<float>(y, mean, rstd, x, w, b, eps);
}

void layer_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
                         const Tensor& w, const Tensor& mean, const Tensor& rstd) {
  if (x.dtype() == kFloat64) ln_backward<double>(gx, gw, gb, x, g, w, mean, rstd);
  else ln_backward<float>(gx, gw, gb, x, g, w, mean, rstd);
}

// ---------------- rms norm ----------------
// One pass per row forward (sum of squares in double, 1/rms saved per row) and one per row
// backward; gw is summed per thread over its rows and the partials added in thread order.

template <class T>
void rms_forward(const Tensor& out, const Tensor& rstd, const Tensor& xc, const Tensor& wc, double eps) {
  const int64_t M = rstd.numel(), N = M > 0 ? xc.numel() / M : 0;
  const T* px = xc.data<T>();
  const T* pw = wc.defined() ? wc.data<T>() : nullptr;
  T* py = out.data<T>();
  T* pr = rstd.data<T>();
  parallel_rows(M, 3 * N, [&](int64_t r) {
    const T* x = px + r * N;
    T* y = py + r * N;
    double ss = 0;
    for (int64_t j = 0; j < N; ++j) ss += double(x[j]) * double(x[j]);
    const double rs = 1.0 / std::sqrt(ss / double(N) + eps);
    pr[r] = T(rs);
    for (int64_t j = 0; j < N; ++j) y[j] = T(double(x[j]) * rs * (pw ? double(pw[j]) : 1.0));
  });
}

template <class T>
void rms_backward(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& g, const Tensor& wc,
                  const Tensor& rstd) {
  const int64_t M = rstd.numel();
  const int64_t N = M > 0 ? x.numel() / M : gw.defined() ? gw.numel() : 0;
  const T* px = x.data<T>();
  const T* pg = g.data<T>();
  const T* pw = wc.defined() ? wc.data<T>() : nullptr;
  const T* pr = rstd.data<T>();
  T* pgx = gx.defined() ? gx.data<T>() : nullptr;
  const bool par = M > 1 && M * N >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
  const int nt = par ? int(std::min<int64_t>(omp_get_max_threads(), M)) : 1;
  std::vector<double> acc(size_t(gw.defined() ? nt * N : 0), 0.0);
#pragma omp parallel num_threads(nt) if (par)
  {
    const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
    const int64_t r0 = M * tid / nth, r1 = M * (tid + 1) / nth;
    double* gw_t = acc.empty() ? nullptr : acc.data() + tid * N;
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = px + r * N;
      const T* gr = pg + r * N;
      const double rs = double(pr[r]);
      if (gw_t)
        for (int64_t j = 0; j < N; ++j) gw_t[j] += double(gr[j]) * double(xr[j]) * rs;
      if (!pgx) continue;
      // y = x rs w: gx = rs (g w) - x rs^3 mean(g w x).
      double dot = 0;
      for (int64_t j = 0; j < N; ++j) dot += double(gr[j]) * (pw ? double(pw[j]) : 1.0) * double(xr[j]);
      const double c = rs * rs * rs * dot / double(N);
      T* o = pgx + r * N;
      for (int64_t j = 0; j < N; ++j) o[j] = T(rs * double(gr[j]) * (pw ? double(pw[j]) : 1.0) - double(xr[j]) * c);
    }
  }
  if (gw.defined()) {
    T* p = gw.data<T>();
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < nt; ++k) s += acc[size_t(k * N + j)];
      p[j] = T(s);
    }
  }
}

void rms_norm(const Tensor& y, const Tensor& rstd, const Tensor& x, const Tensor& w, double eps) {
  if (x.dtype() == kFloat64) rms_forward<double>(y, rstd, x, w, eps);
  else rms_forward<float>(y, rstd, x, w, eps);
}

void rms_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& x, const Tensor& g, const Tensor& w,
                       const Tensor& rstd) {
  if (x.dtype() == kFloat64) rms_backward<double>(gx, gw, x, g, w, rstd);
  else rms_backward<float>(gx, gw, x, g, w, rstd);
}

// ---------------- cross entropy and nll ----------------
// Weighted means divide by the summed weights of non-ignored targets; label smoothing mixes
// in the uniform distribution (weighted by `weight` when given).

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

template <class T>
void ce_forward(const Tensor& out, const Tensor& lse_out, const Tensor& x2, const Tensor& tgt, const Tensor& w,
                CrossEntropyArgs& k) {
  const int64_t M = k.M, C = k.C;
  const T* px = x2.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
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
    T* po = out.data<T>();
    for (int64_t i = 0; i < M; ++i) po[i] = T(a * nll[size_t(i)] + b * smooth[size_t(i)]);
    return;
  }
  double s1 = 0, s2 = 0;
  for (int64_t i = 0; i < M; ++i) {
    s1 += nll[size_t(i)];
    s2 += smooth[size_t(i)];
  }
  double v = a * s1 / k.d1 + (b != 0 ? b * s2 / k.d2 : 0.0);
  out.data<T>()[0] = T(v);
}

template <class T>
void ce_backward(const Tensor& gx, const Tensor& gt, const Tensor& g, const Tensor& x2, const Tensor& tgt,
                 const Tensor& lse, const Tensor& w, const CrossEntropyArgs& k) {
  const int64_t M = k.M, C = k.C;
  GradScale<T> gs(g);
  const T* px = x2.data<T>();
  const T* plse = lse.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  double wsum_all = double(C);
  if (pw) {
    wsum_all = 0;
    for (int64_t j = 0; j < C; ++j) wsum_all += double(pw[j]);
  }
  auto grad_f = kern<T>().softmax_xent_grad;
  if (gx.defined()) {
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
  }
  if (gt.defined()) {  // d/dp_j = -(1 - ls) w_j log_softmax_j
    T* pgt = gt.data<T>();
    parallel_rows(M, C, [&](int64_t i) {
      double gi = double(gs(i)) / k.d1 * (1.0 - k.ls);
      for (int64_t j = 0; j < C; ++j)
        pgt[i * C + j] = T(-gi * (pw ? double(pw[j]) : 1.0) *
                           (double(px[i * C + j] - plse[2 * i]) - double(plse[2 * i + 1])));
    });
  }
}

template <class T>
void nll_forward(const Tensor& out, const Tensor& x2, const Tensor& tgt, const Tensor& w, int64_t ignore,
                 Reduction red, double* d_out) {
  const int64_t M = tgt.numel(), C = M > 0 ? x2.numel() / M : 0;
  const T* px = x2.data<T>();
  const int64_t* pt = tgt.data<int64_t>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
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
  const double d = red == Reduction::Mean ? ws : 1.0;
  if (red != Reduction::None) out.data<T>()[0] = T(s / d);
  *d_out = d;
}

template <class T>
void nll_backward(const Tensor& gx, const Tensor& g, const Tensor& tgt, const Tensor& w, int64_t ignore, double d) {
  const int64_t M = tgt.numel(), C = M > 0 ? gx.numel() / M : 0;
  GradScale<T> gs(g);
  const int64_t* pt = tgt.data<int64_t>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  T* pg = gx.data<T>();
  for (int64_t i = 0; i < M; ++i) {
    int64_t t = pt[i];
    if (t != ignore) pg[i * C + t] = T(-double(gs(i)) * (pw ? double(pw[t]) : 1.0) / d);
  }
}

void cross_entropy(const Tensor& out, const Tensor& lse, const Tensor& x, const Tensor& target, const Tensor& w,
                   CrossEntropyArgs& k) {
  if (x.dtype() == kFloat64) ce_forward<double>(out, lse, x, target, w, k);
  else ce_forward<float>(out, lse, x, target, w, k);
}

void cross_entropy_backward(const Tensor& gx, const Tensor& gt, const Tensor& g, const Tensor& x,
                            const Tensor& target, const Tensor& lse, const Tensor& w, const CrossEntropyArgs& k) {
  if (x.dtype() == kFloat64) ce_backward<double>(gx, gt, g, x, target, lse, w, k);
  else ce_backward<float>(gx, gt, g, x, target, lse, w, k);
}

void nll(const Tensor& out, const Tensor& x, const Tensor& target, const Tensor& w, int64_t ignore, Reduction red,
         double* d) {
  if (x.dtype() == kFloat64) nll_forward<double>(out, x, target, w, ignore, red, d);
  else nll_forward<float>(out, x, target, w, ignore, red, d);
}

void nll_backward_k(const Tensor& gx, const Tensor& g, const Tensor& target, const Tensor& w, int64_t ignore,
                    double d) {
  if (gx.dtype() == kFloat64) nll_backward<double>(gx, g, target, w, ignore, d);
  else nll_backward<float>(gx, g, target, w, ignore, d);
}

// ---------------- embedding ----------------

void embedding(const Tensor& out, const Tensor& weight, const Tensor& idx) {
  const int64_t* pi = idx.data<int64_t>();
  const int64_t n = idx.numel(), dim = weight.shape()[1];
  const char* src = static_cast<const char*>(weight.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const size_t row = size_t(dim) * weight.itemsize();
  parallel_rows(n, dim, [&](int64_t i) { std::memcpy(dst + size_t(i) * row, src + size_t(pi[i]) * row, row); });
}

void embedding_backward(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t pad) {
  const int64_t* pi = idx.data<int64_t>();
  const int64_t n = idx.numel(), dim = gw.shape()[1];
  visit_float(gw.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* pg = g.data<T>();
    T* pw = gw.data<T>();
    // Columns in parallel: each thread owns a slice of dim, so no two threads add into the
    // same element and the sum order (index order) is fixed.
    const int64_t blk = 64, nb = (dim + blk - 1) / blk;
    parallel_rows(nb, n * blk, [&](int64_t b) {
      const int64_t j0 = b * blk, j1 = std::min(dim, j0 + blk);
      for (int64_t i = 0; i < n; ++i) {
        if (pi[i] == pad) continue;
        T* dst = pw + pi[i] * dim;
        const T* src = pg + i * dim;
        for (int64_t j = j0; j < j1; ++j) dst[j] += src[j];
      }
    });
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::activation_stub, CPU, activation);
STEEPEST_REGISTER_KERNEL(dispatch::activation_backward_stub, CPU, activation_backward);
STEEPEST_REGISTER_KERNEL(dispatch::softmax_stub, CPU, softmax);
STEEPEST_REGISTER_KERNEL(dispatch::softmax_backward_stub, CPU, softmax_backward);
STEEPEST_REGISTER_KERNEL(dispatch::layer_norm_stub, CPU, layer_norm);
STEEPEST_REGISTER_KERNEL(dispatch::layer_norm_backward_stub, CPU, layer_norm_backward);
STEEPEST_REGISTER_KERNEL(dispatch::rms_norm_stub, CPU, rms_norm);
STEEPEST_REGISTER_KERNEL(dispatch::rms_norm_backward_stub, CPU, rms_norm_backward);
STEEPEST_REGISTER_KERNEL(dispatch::cross_entropy_stub, CPU, cross_entropy);
STEEPEST_REGISTER_KERNEL(dispatch::cross_entropy_backward_stub, CPU, cross_entropy_backward);
STEEPEST_REGISTER_KERNEL(dispatch::nll_stub, CPU, nll);
STEEPEST_REGISTER_KERNEL(dispatch::nll_backward_stub, CPU, nll_backward_k);
STEEPEST_REGISTER_KERNEL(dispatch::embedding_stub, CPU, embedding);
STEEPEST_REGISTER_KERNEL(dispatch::embedding_backward_stub, CPU, embedding_backward);

}  // namespace steepest::kernels::cpu
