// The CPU kernels of batch norm (dispatch/batch_norm.hpp): one task per channel, split over
// OpenMP threads by channel (a channel's sums never cross threads, so the bits do not depend
// on the thread count); each channel's passes are the kernel table's bn_* leaves.
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "dispatch/batch_norm.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels::cpu {
namespace {

template <class T>
inline const TypedKernels<T>& kern() {
  if constexpr (sizeof(T) == 4) return cpu_kernels().f32;
  else return cpu_kernels().f64;
}

// (N, C, S) of x as the op viewed it: dims 0 and 1, then the rest.
struct Geometry {
  int64_t N = 0, C = 0, S = 1;
  explicit Geometry(const Tensor& x) {
    N = x.shape()[0];
    C = x.shape()[1];
    for (size_t d = 2; d < x.shape().size(); ++d) S *= x.shape()[d];
  }
  int64_t count() const { return N * S; }  // values per channel
};

// fn(c) for every channel, over threads when the whole tensor is worth waking them for.
template <class F>
inline void each_channel(const Geometry& s, int64_t passes, F fn) {
  const int64_t work = s.C * s.count() * passes;
  const bool par = s.C > 1 && work >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t c = 0; c < s.C; ++c) fn(c);
}

template <class T>
void forward(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
             const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum, double eps) {
  const Geometry s(x);
  const auto& k = kern<T>();
  const T* px = x.data<T>();
  T* py = y.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  const T* pb = b.defined() ? b.data<T>() : nullptr;
  T* pm = mean.data<T>();
  T* pi = invstd.data<T>();
  T* prm = rm.defined() ? rm.data<T>() : nullptr;
  T* prv = rv.defined() ? rv.data<T>() : nullptr;
  const int64_t M = s.count(), ld = s.C * s.S;
  each_channel(s, training ? 3 : 1, [&](int64_t c) {
    const T* xc = px + c * s.S;
    double mu, var;
    if (training) {
      if (M == 0) {  // an empty batch: nothing to normalize, the running statistics stay
        pm[c] = T(0);
        pi[c] = T(0);
        return;
      }
      double s1, s2;
      k.bn_moments(xc, s.N, s.S, ld, T(0), &s1, &s2);
      mu = s1 / double(M);
      // Second pass around the mean; the first sum's residue corrects the rounding of mu.
      k.bn_moments(xc, s.N, s.S, ld, T(mu), &s1, &s2);
      var = std::max(0.0, (s2 - s1 * s1 / double(M)) / double(M));
      const double shift = double(T(mu)) + s1 / double(M);
      mu = shift;
      if (prm) prm[c] = T((1 - momentum) * double(prm[c]) + momentum * mu);
      if (prv) {
        const double unbiased = M > 1 ? var * double(M) / double(M - 1) : NAN;
        prv[c] = T((1 - momentum) * double(prv[c]) + momentum * unbiased);
      }
    } else {
      mu = double(prm[c]);
      var = double(prv[c]);
    }
    const double is = 1.0 / std::sqrt(var + eps);
    pm[c] = T(mu);
    pi[c] = T(is);
    const double a = (pw ? double(pw[c]) : 1.0) * is;
    const double sh = (pb ? double(pb[c]) : 0.0) - mu * a;
    k.bn_apply(xc, s.N, s.S, ld, T(a), T(sh), py + c * s.S);
  });
}

template <class T>
void backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
              const Tensor& w, const Tensor& mean, const Tensor& invstd, bool training) {
  const Geometry s(x);
  const auto& k = kern<T>();
  const T* px = x.data<T>();
  const T* pg = g.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  const T* pm = mean.data<T>();
  const T* pi = invstd.data<T>();
  T* pgx = gx.defined() ? gx.data<T>() : nullptr;
  T* pgw = gw.defined() ? gw.data<T>() : nullptr;
  T* pgb = gb.defined() ? gb.data<T>() : nullptr;
  const int64_t M = s.count(), ld = s.C * s.S;
  const bool sums = pgw || pgb || (pgx && training);
  each_channel(s, (sums ? 1 : 0) + (pgx ? 1 : 0), [&](int64_t c) {
    const int64_t off = c * s.S;
    double sg = 0, sgx = 0;
    if (sums && M > 0) k.bn_grad_sums(px + off, pg + off, s.N, s.S, ld, pm[c], &sg, &sgx);
    const double is = double(pi[c]);
    if (pgw) pgw[c] = T(sgx * is);
    if (pgb) pgb[c] = T(sg);
    if (!pgx || M == 0) return;
    const double a = (pw ? double(pw[c]) : 1.0) * is;
    // Training: gx = a (g - sum g / M - xhat sum(g xhat) / M), xhat = (x - mean) invstd.
    const double bcoef = training ? -a * is * is * sgx / double(M) : 0.0;
    const double kcoef = training ? -a * sg / double(M) : 0.0;
    k.bn_backward_apply(pg + off, px + off, s.N, s.S, ld, T(a), T(bcoef), pm[c], T(kcoef), pgx + off);
  });
}

void batch_norm(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
                const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum, double eps) {
  if (x.dtype() == kFloat64) forward<double>(y, mean, invstd, x, w, b, rm, rv, training, momentum, eps);
  else forward<float>(y, mean, invstd, x, w, b, rm, rv, training, momentum, eps);
}

void batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
                         const Tensor& w, const Tensor& mean, const Tensor& invstd, bool training) {
  if (x.dtype() == kFloat64) backward<double>(gx, gw, gb, x, g, w, mean, invstd, training);
  else backward<float>(gx, gw, gb, x, g, w, mean, invstd, training);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::batch_norm_stub, CPU, batch_norm);
STEEPEST_REGISTER_KERNEL(dispatch::batch_norm_backward_stub, CPU, batch_norm_backward);

}  // namespace steepest::kernels::cpu
