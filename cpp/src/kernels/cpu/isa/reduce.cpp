// Reduction kernels for one ISA: blocked pairwise sums (of rows and of columns), NaN-sticky
// max/min, and the (sum d, sum d^2) pass of a two-pass variance. Written once over V.
//
// Error bound of the pairwise sums (sum, column_sum, column_sum_ld, sum_dev): blocks of kBlock
// values are summed in K fixed virtual lanes (K = 64 floats or 32 doubles; each lane sees at
// most kBlock/K values, then the lanes are added by a halving tree: simd/fixed_sum.hpp, so
// the bits do not depend on the vector width), and blocks are combined by recursive halving
// at fixed boundaries (so they do not depend on the thread count either).
// kBlock = 2048 (not smaller) because short leaves cost enough loop and horizontal-add
// overhead to keep a large sum below memory bandwidth. The
// rounding error of the result is at most about
//     eps * (kBlock/K + log2(K) + log2(n)) * sum|x|     (eps = 2^-24 for float, 2^-53 for double)
// instead of eps * n * sum|x| for a running sum. Column sums use kRowBlock straight rows
// before halving: eps * (kRowBlock + log2(rows)) * sum|x|.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/fixed_sum.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

constexpr int64_t kBlock = 2048;   // values per straight block in row sums
constexpr int64_t kRowBlock = 16;  // rows per straight block in column sums
constexpr int64_t kTile = 1024;    // columns per tile in column kernels (partials stay in L1)

// K virtual lanes in a fixed assignment (simd/fixed_sum.hpp): the same bits on every ISA.
template <class T>
T sum_block(const T* x, int64_t n) {
  return fixed_sum<kFixedLanes<T>, T>(n, [x](auto u, int64_t i) { return vload<decltype(u)>(x + i); });
}

template <class T>
T sum(const T* x, int64_t n) {
  if (n <= kBlock) return sum_block(x, n);
  int64_t half = (n / 2 + kBlock - 1) / kBlock * kBlock;  // split on a block boundary
  return sum(x, half) + sum(x + half, n - half);
}

// NaN-sticky running max/min: a NaN in x replaces m, a NaN in m survives (max_raw returns
// its second operand when either is NaN, like the x86 instructions).
template <class V> inline V max_step(V m, V x) { return select(isnan(x), x, max_raw(x, m)); }
template <class V> inline V min_step(V m, V x) { return select(isnan(x), x, min_raw(x, m)); }

template <class T, bool kMax>
T extreme(const T* x, int64_t n) {  // n >= 1
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto step = [](auto m, auto v) { return kMax ? max_step(m, v) : min_step(m, v); };
  T m = x[0];
  int64_t i = 0;
  if (n >= 4 * W) {
    V a0 = vload<V>(x), a1 = vload<V>(x + W), a2 = vload<V>(x + 2 * W), a3 = vload<V>(x + 3 * W);
    for (i = 4 * W; i + 4 * W <= n; i += 4 * W) {
      a0 = step(a0, vload<V>(x + i));
      a1 = step(a1, vload<V>(x + i + W));
      a2 = step(a2, vload<V>(x + i + 2 * W));
      a3 = step(a3, vload<V>(x + i + 3 * W));
    }
    V a = step(step(a0, a1), step(a2, a3));
    // Horizontal step through memory keeps the NaN rule exact in every lane.
    T lanes_buf[W > 0 ? W : 1];
    vstore(lanes_buf, a);
    m = lanes_buf[0];
    for (int k = 1; k < W; ++k) m = step(m, lanes_buf[k]);
  }
  for (; i < n; ++i) m = step(m, x[i]);
  return m;
}

template <class T> T max(const T* x, int64_t n) { return extreme<T, true>(x, n); }
template <class T> T min(const T* x, int64_t n) { return extreme<T, false>(x, n); }

// out[j] = sum_{i<rows} x[i*ld + j] for j < n <= kTile, pairwise over row blocks. Each row
// segment is streamed whole (prefetch-friendly); the partial row stays in L1.
template <class T>
void colsum_tile(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  if (rows <= kRowBlock) {
    if (rows == 0) {
      for (int64_t j = 0; j < n; ++j) out[j] = T(0);
      return;
    }
    for (int64_t j = 0; j < n; ++j) out[j] = x[j];
    for (int64_t i = 1; i < rows; ++i) {
      const T* xi = x + i * ld;
      int64_t j = 0;
      for (; j + 2 * W <= n; j += 2 * W) {
        vstore(out + j, vload<V>(out + j) + vload<V>(xi + j));
        vstore(out + j + W, vload<V>(out + j + W) + vload<V>(xi + j + W));
      }
      for (; j < n; ++j) out[j] += xi[j];
    }
    return;
  }
  int64_t half = (rows / 2 + kRowBlock - 1) / kRowBlock * kRowBlock;
  T tmp[kTile];
  colsum_tile(x, half, ld, n, out);
  colsum_tile(x + half * ld, rows - half, ld, n, tmp);
  int64_t j = 0;
  for (; j + W <= n; j += W) vstore(out + j, vload<V>(out + j) + vload<V>(tmp + j));
  for (; j < n; ++j) out[j] += tmp[j];
}

template <class T>
void column_sum_ld(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) {
  for (int64_t j = 0; j < n; j += kTile) colsum_tile(x + j, rows, ld, n - j < kTile ? n - j : kTile, out + j);
}

// The table's column_sum: accumulates into out (row stride n).
template <class T>
void column_sum_acc(const T* x, int64_t rows, int64_t n, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  T tmp[kTile];
  for (int64_t j0 = 0; j0 < n; j0 += kTile) {
    int64_t m = n - j0 < kTile ? n - j0 : kTile;
    colsum_tile(x + j0, rows, n, m, tmp);
    T* o = out + j0;
    int64_t j = 0;
    for (; j + W <= m; j += W) vstore(o + j, vload<V>(o + j) + vload<V>(tmp + j));
    for (; j < m; ++j) o[j] += tmp[j];
  }
}

// out[j] = max (min) over i < rows of x[i*ld + j]; rows >= 1; NaN-sticky.
template <class T, bool kMax>
void column_extreme(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  auto step = [](auto m, auto v) { return kMax ? max_step(m, v) : min_step(m, v); };
  for (int64_t j0 = 0; j0 < n; j0 += kTile) {
    int64_t m = n - j0 < kTile ? n - j0 : kTile;
    T* o = out + j0;
    const T* xj = x + j0;
    for (int64_t j = 0; j < m; ++j) o[j] = xj[j];
    for (int64_t i = 1; i < rows; ++i) {
      const T* xi = xj + i * ld;
      int64_t j = 0;
      for (; j + 2 * W <= m; j += 2 * W) {
        vstore(o + j, step(vload<V>(o + j), vload<V>(xi + j)));
        vstore(o + j + W, step(vload<V>(o + j + W), vload<V>(xi + j + W)));
      }
      for (; j < m; ++j) o[j] = step(o[j], xi[j]);
    }
  }
}

template <class T> void column_max(const T* x, int64_t r, int64_t ld, int64_t n, T* o) { column_extreme<T, true>(x, r, ld, n, o); }
template <class T> void column_min(const T* x, int64_t r, int64_t ld, int64_t n, T* o) { column_extreme<T, false>(x, r, ld, n, o); }

// Pairwise (sum d, sum d^2) with d = x - mean, for the corrected two-pass variance.
template <class T>
void sum_dev_block(const T* x, int64_t n, T mean, T* sd, T* sd2) {
  T out[2];
  fixed_sums<kRowLanes<T>, T, 2>(n, [x, mean](auto u, int64_t i) {
    using U = decltype(u);
    U d = vload<U>(x + i) - vbroadcast<U>(mean);
    return Terms<U, 2>{{d, d * d}};
  }, out);
  *sd = out[0];
  *sd2 = out[1];
}

template <class T>
void sum_dev(const T* x, int64_t n, T mean, T* sd, T* sd2) {
  if (n <= kBlock) { sum_dev_block(x, n, mean, sd, sd2); return; }
  int64_t half = (n / 2 + kBlock - 1) / kBlock * kBlock;
  T a, a2, b, b2;
  sum_dev(x, half, mean, &a, &a2);
  sum_dev(x + half, n - half, mean, &b, &b2);
  *sd = a + b;
  *sd2 = a2 + b2;
}

template <class T>
void fill(TypedKernels<T>& k) {
  k.sum = sum<T>;
  k.max = max<T>;
  k.min = min<T>;
  k.column_sum = column_sum_acc<T>;
  k.column_sum_ld = column_sum_ld<T>;
  k.column_max = column_max<T>;
  k.column_min = column_min<T>;
  k.sum_dev = sum_dev<T>;
}

}  // namespace

void register_reduce(KernelTable& t) {
  fill(t.f32);
  fill(t.f64);
}

}  // namespace steepest::kernels::STEEPEST_ISA
