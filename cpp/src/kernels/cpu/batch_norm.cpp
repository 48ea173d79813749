// The CPU kernels of batch norm (dispatch/batch_norm.hpp), over x viewed as (N, C, S). Two
// layouts of the same passes (the kernel table's bn_* leaves):
// - runs (S >= kShortRun): one task per channel, its N runs of S values; threads split channels.
//   (Long runs: a channel's values sit together, so each task streams through its own memory.)
// - columns (S < kShortRun, e.g. BatchNorm1d's (N, C), small images): x as N rows of C * S columns,
//   vectorized across columns, each column summed in blocks of kRowBlock rows added in double;
//   threads split the columns. The S columns of a channel are then added in order.
// Either way a channel's sums never cross threads: the bits do not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dispatch/batch_norm.hpp"
#include "kernels/cpu/kernel_table.hpp"

namespace steepest::kernels::cpu {
namespace {

// Below this the per-run cost of a fixed-lane sum dominates: (64, 16, 8, 8) trains 10x faster
// through columns; above it the column layout's strided rows cost more than they save.
constexpr int64_t kShortRun = 512;
constexpr int64_t kRowBlock = 16;
constexpr int64_t kColChunk = 256;  // columns per task in the column layout

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
  int64_t ld() const { return C * S; }
  bool columns() const { return S < kShortRun; }
};

inline bool worth_threads(int64_t tasks, int64_t work) {
  return tasks > 1 && work >= 32768 && omp_get_max_threads() > 1 && !omp_in_parallel();
}

// fn(t) for t < tasks, over threads when the total work pays for waking them.
template <class F>
inline void parallel_tasks(int64_t tasks, int64_t work, F fn) {
  const bool par = worth_threads(tasks, work);
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < tasks; ++t) fn(t);
}

// Column layout: fn(j0, j1) for chunks of the C * S columns.
template <class F>
inline void column_chunks(const Geometry& s, int64_t passes, F fn) {
  const int64_t n = s.ld(), chunks = (n + kColChunk - 1) / kColChunk;
  parallel_tasks(chunks, s.N * n * passes, [&](int64_t t) { fn(t * kColChunk, std::min(n, (t + 1) * kColChunk)); });
}

// Column layout: the per-column sums of leaf(x_block, rows, n, ..., t1, t2) over all rows in
// blocks of kRowBlock, added in double into d1, d2 (C * S each), then folded per channel
// into o1, o2 (C each). `leaf(r0, rows, j0, n, t1, t2)` sums rows [r0, r0 + rows).
template <class T, class Leaf>
void column_sums(const Geometry& s, Leaf leaf, std::vector<double>& o1, std::vector<double>& o2) {
  const int64_t n = s.ld();
  std::vector<double> d1(size_t(n), 0.0), d2(size_t(n), 0.0);
  column_chunks(s, 1, [&](int64_t j0, int64_t j1) {
    T t1[kColChunk], t2[kColChunk];
    for (int64_t r0 = 0; r0 < s.N; r0 += kRowBlock) {
      leaf(r0, std::min(kRowBlock, s.N - r0), j0, j1 - j0, t1, t2);
      for (int64_t j = j0; j < j1; ++j) {
        d1[size_t(j)] += double(t1[j - j0]);
        d2[size_t(j)] += double(t2[j - j0]);
      }
    }
  });
  o1.assign(size_t(s.C), 0.0);
  o2.assign(size_t(s.C), 0.0);
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t k = 0; k < s.S; ++k) {
      o1[size_t(c)] += d1[size_t(c * s.S + k)];
      o2[size_t(c)] += d2[size_t(c * s.S + k)];
    }
}

// Per-channel values repeated for each of the channel's S columns.
template <class T>
std::vector<T> per_column(const Geometry& s, const std::vector<double>& v) {
  std::vector<T> out(size_t(s.ld()));
  for (int64_t c = 0; c < s.C; ++c)
    for (int64_t k = 0; k < s.S; ++k) out[size_t(c * s.S + k)] = T(v[size_t(c)]);
  return out;
}

// sum (x - shift[c]) and sum (x - shift[c])^2 per channel (shift null: 0).
template <class T>
void moments(const Geometry& s, const T* px, const std::vector<double>* shift, std::vector<double>& o1,
             std::vector<double>& o2) {
  const auto& k = kern<T>();
  const int64_t ld = s.ld();
  if (s.columns()) {
    std::vector<T> cs = shift ? per_column<T>(s, *shift) : std::vector<T>();
    const T* pc = shift ? cs.data() : nullptr;
    column_sums<T>(s, [&](int64_t r0, int64_t rows, int64_t j0, int64_t n, T* t1, T* t2) {
      k.bn_col_moments(px + r0 * ld + j0, rows, n, ld, pc ? pc + j0 : nullptr, t1, t2);
    }, o1, o2);
    return;
  }
  o1.assign(size_t(s.C), 0.0);
  o2.assign(size_t(s.C), 0.0);
  parallel_tasks(s.C, s.C * s.count(), [&](int64_t c) {
    k.bn_moments(px + c * s.S, s.N, s.S, ld, shift ? T((*shift)[size_t(c)]) : T(0), &o1[size_t(c)], &o2[size_t(c)]);
  });
}

// y = x a[c] + b[c].
template <class T>
void apply(const Geometry& s, const T* px, const std::vector<double>& a, const std::vector<double>& b, T* py) {
  const auto& k = kern<T>();
  const int64_t ld = s.ld();
  if (s.columns()) {
    std::vector<T> ac = per_column<T>(s, a), bc = per_column<T>(s, b);
    const int64_t blocks = (s.N + kRowBlock - 1) / kRowBlock;
    parallel_tasks(blocks, s.N * ld, [&](int64_t t) {
      const int64_t r0 = t * kRowBlock;
      k.bn_col_apply(px + r0 * ld, std::min(kRowBlock, s.N - r0), ld, ld, ac.data(), bc.data(), py + r0 * ld);
    });
    return;
  }
  parallel_tasks(s.C, s.C * s.count(), [&](int64_t c) {
    k.bn_apply(px + c * s.S, s.N, s.S, ld, T(a[size_t(c)]), T(b[size_t(c)]), py + c * s.S);
  });
}

template <class T>
void forward(const Tensor& y, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
             const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum, double eps) {
  const Geometry s(x);
  const size_t C = size_t(s.C);
  const T* px = x.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  const T* pb = b.defined() ? b.data<T>() : nullptr;
  T* pm = mean.data<T>();
  T* pi = invstd.data<T>();
  T* prm = rm.defined() ? rm.data<T>() : nullptr;
  T* prv = rv.defined() ? rv.data<T>() : nullptr;
  const int64_t M = s.count();
  if (training && M == 0) {  // an empty batch: nothing to normalize, the running statistics stay
    std::fill(pm, pm + C, T(0));
    std::fill(pi, pi + C, T(0));
    return;
  }
  std::vector<double> mu(C), var(C);
  if (training) {
    std::vector<double> s1, s2;
    moments<T>(s, px, nullptr, s1, s2);
    for (size_t c = 0; c < C; ++c) mu[c] = double(T(s1[c] / double(M)));  // the shift, as T
    // Second pass around the mean; its first sum's residue corrects the rounding of mu.
    moments<T>(s, px, &mu, s1, s2);
    for (size_t c = 0; c < C; ++c) {
      var[c] = std::max(0.0, (s2[c] - s1[c] * s1[c] / double(M)) / double(M));
      mu[c] += s1[c] / double(M);
      if (prm) prm[c] = T((1 - momentum) * double(prm[c]) + momentum * mu[c]);
      if (prv) {
        const double unbiased = M > 1 ? var[c] * double(M) / double(M - 1) : NAN;
        prv[c] = T((1 - momentum) * double(prv[c]) + momentum * unbiased);
      }
    }
  } else {
    for (size_t c = 0; c < C; ++c) {
      mu[c] = double(prm[c]);
      var[c] = double(prv[c]);
    }
  }
  std::vector<double> a(C), sh(C);
  for (size_t c = 0; c < C; ++c) {
    const double is = 1.0 / std::sqrt(var[c] + eps);
    pm[c] = T(mu[c]);
    pi[c] = T(is);
    a[c] = (pw ? double(pw[c]) : 1.0) * is;
    sh[c] = (pb ? double(pb[c]) : 0.0) - mu[c] * a[c];
  }
  apply<T>(s, px, a, sh, y.data<T>());
}

template <class T>
void backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& x, const Tensor& g,
              const Tensor& w, const Tensor& mean, const Tensor& invstd, bool training) {
  const Geometry s(x);
  const auto& k = kern<T>();
  const size_t C = size_t(s.C);
  const int64_t M = s.count(), ld = s.ld();
  const T* px = x.data<T>();
  const T* pg = g.data<T>();
  const T* pw = w.defined() ? w.data<T>() : nullptr;
  const T* pm = mean.data<T>();
  const T* pi = invstd.data<T>();
  T* pgx = gx.defined() ? gx.data<T>() : nullptr;
  T* pgw = gw.defined() ? gw.data<T>() : nullptr;
  T* pgb = gb.defined() ? gb.data<T>() : nullptr;
  std::vector<double> sg(C, 0.0), sgx(C, 0.0);
  if ((pgw || pgb || (pgx && training)) && M > 0) {
    if (s.columns()) {
      std::vector<double> md(C);
      for (size_t c = 0; c < C; ++c) md[c] = double(pm[c]);
      std::vector<T> mc = per_column<T>(s, md);
      column_sums<T>(s, [&](int64_t r0, int64_t rows, int64_t j0, int64_t n, T* t1, T* t2) {
        k.bn_col_grad_sums(px + r0 * ld + j0, pg + r0 * ld + j0, rows, n, ld, mc.data() + j0, t1, t2);
      }, sg, sgx);
    } else {
      parallel_tasks(s.C, s.C * M, [&](int64_t c) {
        k.bn_grad_sums(px + c * s.S, pg + c * s.S, s.N, s.S, ld, pm[c], &sg[size_t(c)], &sgx[size_t(c)]);
      });
    }
  }
  for (size_t c = 0; c < C; ++c) {
    if (pgw) pgw[c] = T(sgx[c] * double(pi[c]));
    if (pgb) pgb[c] = T(sg[c]);
  }
  if (!pgx || M == 0) return;
  // gx = a (g - sum g / M - xhat sum(g xhat) / M), xhat = (x - mean) invstd, in training;
  // gx = a g in eval (the statistics are constants there).
  std::vector<double> a(C), bc(C), kc(C), md(C);
  for (size_t c = 0; c < C; ++c) {
    const double is = double(pi[c]);
    a[c] = (pw ? double(pw[c]) : 1.0) * is;
    bc[c] = training ? -a[c] * is * is * sgx[c] / double(M) : 0.0;
    kc[c] = training ? -a[c] * sg[c] / double(M) : 0.0;
    md[c] = double(pm[c]);
  }
  if (s.columns()) {
    std::vector<T> ac = per_column<T>(s, a), bcc = per_column<T>(s, bc), kcc = per_column<T>(s, kc),
                   mc = per_column<T>(s, md);
    const int64_t blocks = (s.N + kRowBlock - 1) / kRowBlock;
    parallel_tasks(blocks, s.N * ld, [&](int64_t t) {
      const int64_t r0 = t * kRowBlock, off = r0 * ld;
      k.bn_col_backward_apply(pg + off, px + off, std::min(kRowBlock, s.N - r0), ld, ld, ac.data(), bcc.data(),
                              mc.data(), kcc.data(), pgx + off);
    });
    return;
  }
  parallel_tasks(s.C, s.C * M, [&](int64_t c) {
    const int64_t off = c * s.S;
    const size_t u = size_t(c);
    k.bn_backward_apply(pg + off, px + off, s.N, s.S, ld, T(a[u]), T(bc[u]), pm[c], T(kc[u]), pgx + off);
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
