// Optimizer chunk kernels and grad-norm pieces for one ISA (compiled once per ISA): every
// kernel of optim/updates/all.hpp gets its table entries here from its visit() and the shared
// run loops, for float32, float64 and (kernels with kLowPrecision) each mixed-precision mode.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/fixed_sum.hpp"
#include "kernels/cpu/simd/vec.hpp"
#include "kernels/cpu/isa/optim_mixed.hpp"
#include "optim/updates/all.hpp"

#include <utility>

namespace steepest::kernels::STEEPEST_ISA {
namespace {

namespace up = steepest::optim::updates;

// Software prefetch distance (bytes ahead in every array). An update with divides and square
// roots keeps the core busy long enough that the reorder buffer, not memory, limits how many
// loads are in flight on one thread; prefetching each stream this far ahead keeps memory busy
// (the hardware prefetcher alone left AdamW at ~87% of the streaming limit on one thread).
#ifndef STEEPEST_OPTIM_PREFETCH
#define STEEPEST_OPTIM_PREFETCH 1024
#endif
constexpr int64_t kPrefetchBytes = STEEPEST_OPTIM_PREFETCH;

// Loads the functor's slots, applies it, stores everything but the grad and the functor's
// read-only slots: full vectors first, then the scalar tail with the same operations, so the
// SIMD and scalar paths give the same bits.
template <class T, class F>
void run(const F& f, void* const* arrays, int64_t n) {
  using V = Vec<T>;
  constexpr int K = F::kArrays;
  constexpr unsigned uses = up::UsesOf<F>::value, ro = up::ReadOnlyOf<F>::value;
  constexpr int W = lanes<V>();
  constexpr int64_t kLine = 64 / int64_t(sizeof(T)), kAhead = kPrefetchBytes / int64_t(sizeof(T));
  T* a[K];
  for (int k = 0; k < K; ++k) a[k] = static_cast<T*>(arrays[k]);
  int64_t i = 0;
  if constexpr (W > 1) {
    for (; i + W <= n; i += W) {
      if constexpr (kAhead > 0) {
        if (i % kLine == 0 && i + kAhead < n) {
          for (int k = 0; k < K; ++k)
            if (uses >> k & 1u) {  // the gradient is only read; the rest are written back
              if (k == up::kGrad) __builtin_prefetch(a[k] + i + kAhead, 0);
              else __builtin_prefetch(a[k] + i + kAhead, 1);
            }
        }
      }
      V x[K];
      for (int k = 0; k < K; ++k)
        if (uses >> k & 1u) x[k] = vload<V>(a[k] + i);
      f(x);
      for (int k = 0; k < K; ++k)
        if ((uses >> k & 1u) && !(ro >> k & 1u)) vstore(a[k] + i, x[k]);
    }
  }
  for (; i < n; ++i) {
    T x[K];
    for (int k = 0; k < K; ++k)
      if (uses >> k & 1u) x[k] = a[k][i];
    f(x);
    for (int k = 0; k < K; ++k)
      if ((uses >> k & 1u) && !(ro >> k & 1u)) a[k][i] = x[k];
  }
}

// The table entry of kernel K for element type T: the step's flags pick the functor.
template <class K, class T>
void update(const void* step, void* const* arrays, int64_t n) {
  K::template visit<T>(*static_cast<const typename K::Step*>(step), [&](const auto& f) { run<T>(f, arrays, n); });
}

// The table entry of kernel K for mixed-precision mode M.
template <class K, int M>
void update_mixed(const void* step, const MixedChunk& c, int64_t n) {
  K::template visit<float>(*static_cast<const typename K::Step*>(step),
                           [&](const auto& f) { run_mixed<M>(f, c, n); });
}

template <class K, int... M>
void fill_mixed(OptimMixedFn* row, std::integer_sequence<int, M...>) {
  if constexpr (K::kLowPrecision) ((row[M] = update_mixed<K, M>), ...);
}

// Sums of f(x) over n values: each leaf of kLeaf values in fixed lanes (simd/fixed_sum.hpp,
// so each float lane adds at most kLeaf/64 terms and the bits do not depend on the ISA),
// leaves added in double in order.
constexpr int64_t kLeaf = 512;

template <class T, class F>
double leaf_sum(const T* x, int64_t n, F f) {
  double total = 0;
  for (int64_t start = 0; start < n; start += kLeaf) {
    const int64_t len = start + kLeaf < n ? kLeaf : n - start;
    const T* xs = x + start;
    total += double(fixed_sum<kFixedLanes<T>, T>(len, [xs, f](auto u, int64_t i) { return f(vload<decltype(u)>(xs + i)); }));
  }
  return total;
}

struct Square {
  template <class V> V operator()(V v) const { return v * v; }
};
struct Abs {
  template <class V> V operator()(V v) const { return abs(v); }
};

template <class T> double sum_sq(const T* x, int64_t n) { return leaf_sum(x, n, Square{}); }
template <class T> double sum_abs(const T* x, int64_t n) { return leaf_sum(x, n, Abs{}); }

// max |x|, NaN if any x is NaN.
template <class T> T max_abs(const T* x, int64_t n) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  V acc = vbroadcast<V>(T(0));
  bool nan = false;
  int64_t i = 0;
  if constexpr (W > 1) {
    auto nanm = isnan(acc);
    for (; i + W <= n; i += W) {
      V v = vload<V>(x + i);
      nanm = nanm | isnan(v);
      acc = max_raw(abs(v), acc);
    }
    nan = any_lane(nanm);
  }
  T r = reduce_max(acc);
  for (; i < n; ++i) {
    nan = nan || isnan(x[i]);
    r = max_raw(abs(x[i]), r);
  }
  return nan ? T(__builtin_nan("")) : r;
}

template <class T> void scale(T* x, int64_t n, T s) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  V vs = vbroadcast<V>(s);
  int64_t i = 0;
  for (; i + W <= n; i += W) vstore(x + i, vload<V>(x + i) * vs);
  for (; i < n; ++i) x[i] = x[i] * s;
}

template <class T>
void fill(OptimKernels<T>& k) {
#define STEEPEST_FILL_KERNEL(N) k.update[int(KernelId::N)] = update<up::N##Kernel, T>;
  STEEPEST_OPTIM_KERNELS(STEEPEST_FILL_KERNEL)
#undef STEEPEST_FILL_KERNEL
  k.sum_sq = sum_sq<T>;
  k.sum_abs = sum_abs<T>;
  k.max_abs = max_abs<T>;
  k.scale = scale<T>;
}

// Mixed-precision entries of the kernels that declare kLowPrecision.
void fill_mixed_all(OptimKernels<float>& k) {
#define STEEPEST_FILL_MIXED(N) \
  fill_mixed<up::N##Kernel>(k.mixed[int(KernelId::N)], std::make_integer_sequence<int, kNumMixedModes>{});
  STEEPEST_OPTIM_KERNELS(STEEPEST_FILL_MIXED)
#undef STEEPEST_FILL_MIXED
}

}  // namespace

void register_optim(KernelTable& t) {
  fill(t.f32.optim);
  fill(t.f64.optim);
  fill_mixed_all(t.f32.optim);
}

}  // namespace steepest::kernels::STEEPEST_ISA
