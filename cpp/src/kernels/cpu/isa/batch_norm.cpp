// Batch-norm kernels for one ISA, each over one channel's values: `rows` runs of n contiguous
// values, run r starting at x + r * ld (an (N, C, S) tensor's channel c: rows = N, n = S,
// ld = C * S). Per-channel sums (the moments forward, the gradient sums backward) and the
// two elementwise passes. kernels/cpu/batch_norm.cpp drives them over channels.
//
// Sums: each run of n values by fixed lanes (simd/fixed_sum.hpp), the run totals added in
// order in double (short runs add every term in double). The driver sends inputs whose runs
// are short (a BatchNorm1d's (N, C) input has n = 1) to the column kernels below instead.
// Either way the bits depend only on the shape, never on the ISA.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/fixed_sum.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

constexpr int64_t kShortRun = 16;

// *s1 = sum (x - c), *s2 = sum (x - c)^2 over the channel.
template <class T>
void bn_moments(const T* x, int64_t rows, int64_t n, int64_t ld, T c, double* s1, double* s2) {
  double a1 = 0, a2 = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = x + r * ld;
    if (n < kShortRun) {
      for (int64_t i = 0; i < n; ++i) {
        double d = double(p[i]) - double(c);
        a1 += d;
        a2 += d * d;
      }
      continue;
    }
    T out[2];
    fixed_sums<kRowLanes<T>, T, 2>(n, [p, c](auto u, int64_t i) {
      using U = decltype(u);
      U d = vload<U>(p + i) - vbroadcast<U>(c);
      return Terms<U, 2>{{d, d * d}};
    }, out);
    a1 += double(out[0]);
    a2 += double(out[1]);
  }
  *s1 = a1;
  *s2 = a2;
}

// *sg = sum g, *sgx = sum g (x - mean) over the channel.
template <class T>
void bn_grad_sums(const T* x, const T* g, int64_t rows, int64_t n, int64_t ld, T mean, double* sg, double* sgx) {
  double a1 = 0, a2 = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const T* px = x + r * ld;
    const T* pg = g + r * ld;
    if (n < kShortRun) {
      for (int64_t i = 0; i < n; ++i) {
        a1 += double(pg[i]);
        a2 += double(pg[i]) * (double(px[i]) - double(mean));
      }
      continue;
    }
    T out[2];
    fixed_sums<kRowLanes<T>, T, 2>(n, [px, pg, mean](auto u, int64_t i) {
      using U = decltype(u);
      U gv = vload<U>(pg + i);
      return Terms<U, 2>{{gv, gv * (vload<U>(px + i) - vbroadcast<U>(mean))}};
    }, out);
    a1 += double(out[0]);
    a2 += double(out[1]);
  }
  *sg = a1;
  *sgx = a2;
}

// y = x a + b (one rounding: fma).
template <class T>
void bn_apply(const T* x, int64_t rows, int64_t n, int64_t ld, T a, T b, T* y) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  const V av = vbroadcast<V>(a), bv = vbroadcast<V>(b);
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = x + r * ld;
    T* o = y + r * ld;
    int64_t i = 0;
    for (; i + W <= n; i += W) vstore(o + i, fma(vload<V>(p + i), av, bv));
    for (; i < n; ++i) o[i] = fma(p[i], a, b);
  }
}

// gx = a g + b (x - mean) + k: the training backward's three terms (b = k = 0 in eval).
template <class T>
void bn_backward_apply(const T* g, const T* x, int64_t rows, int64_t n, int64_t ld, T a, T b, T mean, T k, T* gx) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto one = [&](auto gv, auto xv) {
    using U = decltype(gv);
    return fma(vbroadcast<U>(a), gv, fma(vbroadcast<U>(b), xv - vbroadcast<U>(mean), vbroadcast<U>(k)));
  };
  for (int64_t r = 0; r < rows; ++r) {
    const T* pg = g + r * ld;
    const T* px = x + r * ld;
    T* o = gx + r * ld;
    int64_t i = 0;
    for (; i + W <= n; i += W) vstore(o + i, one(vload<V>(pg + i), vload<V>(px + i)));
    for (; i < n; ++i) o[i] = one(pg[i], px[i]);
  }
}

// ---- columns: short runs (n < kShortRun, e.g. a BatchNorm1d's (N, C) input) are handled as
// the columns of an (N, C * S) matrix, vectorized across columns; each column's values are
// added row by row in order, so lanes never mix and every ISA gives the same bits.

// For j < n over `rows` rows ld apart: s1[j] = sum (x - c[j]), s2[j] = sum (x - c[j])^2
// (written, not accumulated; c null means 0).
template <class T>
void bn_col_moments(const T* x, int64_t rows, int64_t n, int64_t ld, const T* c, T* s1, T* s2) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto col = [&](auto u, int64_t j) {
    using U = decltype(u);
    U cv = c ? vload<U>(c + j) : vbroadcast<U>(T(0));
    U a1 = vbroadcast<U>(T(0)), a2 = vbroadcast<U>(T(0));
    for (int64_t r = 0; r < rows; ++r) {
      U d = vload<U>(x + r * ld + j) - cv;
      a1 = a1 + d;
      a2 = a2 + d * d;
    }
    vstore(s1 + j, a1);
    vstore(s2 + j, a2);
  };
  int64_t j = 0;
  for (; j + W <= n; j += W) col(V{}, j);
  for (; j < n; ++j) col(T{}, j);
}

// sg[j] = sum g, sgx[j] = sum g (x - mean[j]) down each column (written).
template <class T>
void bn_col_grad_sums(const T* x, const T* g, int64_t rows, int64_t n, int64_t ld, const T* mean, T* sg, T* sgx) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto col = [&](auto u, int64_t j) {
    using U = decltype(u);
    U m = vload<U>(mean + j);
    U a1 = vbroadcast<U>(T(0)), a2 = vbroadcast<U>(T(0));
    for (int64_t r = 0; r < rows; ++r) {
      U gv = vload<U>(g + r * ld + j);
      a1 = a1 + gv;
      a2 = a2 + gv * (vload<U>(x + r * ld + j) - m);
    }
    vstore(sg + j, a1);
    vstore(sgx + j, a2);
  };
  int64_t j = 0;
  for (; j + W <= n; j += W) col(V{}, j);
  for (; j < n; ++j) col(T{}, j);
}

// y = x a[j] + b[j] in every row.
template <class T>
void bn_col_apply(const T* x, int64_t rows, int64_t n, int64_t ld, const T* a, const T* b, T* y) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = x + r * ld;
    T* o = y + r * ld;
    int64_t j = 0;
    for (; j + W <= n; j += W) vstore(o + j, fma(vload<V>(p + j), vload<V>(a + j), vload<V>(b + j)));
    for (; j < n; ++j) o[j] = fma(p[j], a[j], b[j]);
  }
}

// gx = a[j] g + b[j] (x - mean[j]) + k[j] in every row.
template <class T>
void bn_col_backward_apply(const T* g, const T* x, int64_t rows, int64_t n, int64_t ld, const T* a, const T* b,
                           const T* mean, const T* k, T* gx) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto one = [&](auto u, int64_t r, int64_t j) {
    using U = decltype(u);
    U gv = vload<U>(g + r * ld + j), xv = vload<U>(x + r * ld + j);
    return fma(vload<U>(a + j), gv, fma(vload<U>(b + j), xv - vload<U>(mean + j), vload<U>(k + j)));
  };
  for (int64_t r = 0; r < rows; ++r) {
    int64_t j = 0;
    for (; j + W <= n; j += W) vstore(gx + r * ld + j, one(V{}, r, j));
    for (; j < n; ++j) gx[r * ld + j] = one(T{}, r, j);
  }
}

template <class T>
void fill(TypedKernels<T>& k) {
  k.bn_col_moments = bn_col_moments<T>;
  k.bn_col_grad_sums = bn_col_grad_sums<T>;
  k.bn_col_apply = bn_col_apply<T>;
  k.bn_col_backward_apply = bn_col_backward_apply<T>;
  k.bn_moments = bn_moments<T>;
  k.bn_grad_sums = bn_grad_sums<T>;
  k.bn_apply = bn_apply<T>;
  k.bn_backward_apply = bn_backward_apply<T>;
}

}  // namespace

void register_batch_norm(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
