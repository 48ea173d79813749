// Optimizer chunk kernels and grad-norm pieces for one ISA (compiled once per ISA): each update
// rule's functor from optim/updates runs on full vectors, then on the scalar tail with the
// same operations, so the SIMD and scalar paths give the same bits.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/vec.hpp"
#include "kernels/cpu/isa/optim_mixed.hpp"
#include "optim/updates/adagrad.hpp"
#include "optim/updates/adam.hpp"
#include "optim/updates/adamax.hpp"
#include "optim/updates/lion.hpp"
#include "optim/updates/nadam.hpp"
#include "optim/updates/radam.hpp"
#include "optim/updates/rmsprop.hpp"
#include "optim/updates/sgd.hpp"
#include "optim/updates/touch.hpp"
#include "optim/updates/adafactor.hpp"
#include "optim/updates/lamb.hpp"
#include "optim/updates/lars.hpp"
#include "optim/updates/muon.hpp"
#include "optim/updates/schedule_free.hpp"
#include "optim/updates/sophia.hpp"
#include "optim/updates/touch_masked.hpp"
#include <type_traits>

namespace steepest::kernels::STEEPEST_ISA {
namespace {

namespace up = steepest::optim::updates;
using up::Decay;

// Software prefetch distance (bytes ahead in every array). An update with divides and square
// roots keeps the core busy long enough that the reorder buffer, not memory, limits how many
// loads are in flight on one thread; prefetching each stream this far ahead keeps memory busy
// (the hardware prefetcher alone left AdamW at ~87% of the streaming limit on one thread).
#ifndef STEEPEST_OPTIM_PREFETCH
#define STEEPEST_OPTIM_PREFETCH 1024
#endif
constexpr int64_t kPrefetchBytes = STEEPEST_OPTIM_PREFETCH;

// Arrays a functor only reads: bit k set = arrays[k] is not stored; the grad never is.
// A functor lists more in `static constexpr unsigned kReadOnly`.
template <class F, class = void> struct ReadOnly { static constexpr unsigned value = 2u; };
template <class F> struct ReadOnly<F, std::void_t<decltype(F::kReadOnly)>> {
  static constexpr unsigned value = F::kReadOnly | 2u;
};
// Loads the functor's arrays, applies it, stores everything but the grad (arrays[1]) and the
// functor's read-only arrays.
template <class T, class F>
void run(const F& f, void* const* arrays, int64_t n) {
  if constexpr (sizeof(T) == 4) {
    if (tls_mixed) return run_mixed(f, *tls_mixed, n);  // bfloat16/float16 arrays (isa/optim_mixed.hpp)
  }
  using V = Vec<T>;
  constexpr int K = F::kArrays;
  constexpr unsigned RO = ReadOnly<F>::value;
  constexpr int W = lanes<V>();
  constexpr int64_t kLine = 64 / int64_t(sizeof(T)), kAhead = kPrefetchBytes / int64_t(sizeof(T));
  T* a[K];
  for (int k = 0; k < K; ++k) a[k] = static_cast<T*>(arrays[k]);
  int64_t i = 0;
  if constexpr (W > 1) {
    for (; i + W <= n; i += W) {
      if constexpr (kAhead > 0) {
        if (i % kLine == 0 && i + kAhead < n) {
          __builtin_prefetch(a[1] + i + kAhead, 0);
          __builtin_prefetch(a[0] + i + kAhead, 1);
          for (int k = 2; k < K; ++k) __builtin_prefetch(a[k] + i + kAhead, 1);
        }
      }
      V x[K];
      for (int k = 0; k < K; ++k) x[k] = vload<V>(a[k] + i);
      f(x);
      if constexpr (!(RO & 1u)) vstore(a[0] + i, x[0]);
      for (int k = 2; k < K; ++k)
        if (!(RO >> k & 1u)) vstore(a[k] + i, x[k]);
    }
  }
  for (; i < n; ++i) {
    T x[K];
    for (int k = 0; k < K; ++k) x[k] = a[k][i];
    f(x);
    if constexpr (!(RO & 1u)) a[0][i] = x[0];
    for (int k = 2; k < K; ++k)
      if (!(RO >> k & 1u)) a[k][i] = x[k];
  }
}

// Turns a run-time flag into a compile-time one: fn(Bool<true>{}) or fn(Bool<false>{}).
template <bool B> struct Bool { static constexpr bool value = B; };
template <class Fn> void with_bool(bool b, Fn&& fn) {
  if (b) fn(Bool<true>{});
  else fn(Bool<false>{});
}
template <Decay D> struct DecayC { static constexpr Decay value = D; };
template <class Fn> void with_decay(int d, Fn&& fn) {
  if (d == int(Decay::L2)) fn(DecayC<Decay::L2>{});
  else if (d == int(Decay::Decoupled)) fn(DecayC<Decay::Decoupled>{});
  else fn(DecayC<Decay::None>{});
}
#define STEEPEST_V(x) decltype(x)::value

template <class T> void sgd(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::SGDStep*>(sp);
  with_bool(s.decay == int(Decay::L2), [&](auto l2) {
    with_bool(s.nesterov != 0, [&](auto nest) {
      if (s.mode == 0) run<T>(up::SGD<T, STEEPEST_V(l2), 0, false>(s), a, n);
      else if (s.mode == 1) run<T>(up::SGD<T, STEEPEST_V(l2), 1, STEEPEST_V(nest)>(s), a, n);
      else run<T>(up::SGD<T, STEEPEST_V(l2), 2, STEEPEST_V(nest)>(s), a, n);
    });
  });
}

template <class T> void adam(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::AdamStep*>(sp);
  with_decay(s.decay, [&](auto d) {
    with_bool(s.amsgrad != 0, [&](auto ams) { run<T>(up::Adam<T, STEEPEST_V(d), STEEPEST_V(ams)>(s), a, n); });
  });
}

template <class T> void adagrad(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::AdagradStep*>(sp);
  with_bool(s.decay == int(Decay::L2), [&](auto l2) { run<T>(up::Adagrad<T, STEEPEST_V(l2)>(s), a, n); });
}

template <class T> void rmsprop(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::RMSpropStep*>(sp);
  with_bool(s.decay == int(Decay::L2), [&](auto l2) {
    with_bool(s.centered != 0, [&](auto c) {
      with_bool(s.use_momentum != 0, [&](auto m) {
        run<T>(up::RMSprop<T, STEEPEST_V(l2), STEEPEST_V(c), STEEPEST_V(m)>(s), a, n);
      });
    });
  });
}

template <class T> void nadam(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::NAdamStep*>(sp);
  with_decay(s.decay, [&](auto d) { run<T>(up::NAdam<T, STEEPEST_V(d)>(s), a, n); });
}

template <class T> void radam(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::RAdamStep*>(sp);
  with_decay(s.decay, [&](auto d) {
    with_bool(s.rectified != 0, [&](auto r) { run<T>(up::RAdam<T, STEEPEST_V(d), STEEPEST_V(r)>(s), a, n); });
  });
}

template <class T> void adamax(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::AdamaxStep*>(sp);
  with_bool(s.decay == int(Decay::L2), [&](auto l2) { run<T>(up::Adamax<T, STEEPEST_V(l2)>(s), a, n); });
}

template <class T> void lion(const void* sp, void* const* a, int64_t n) {
  run<T>(up::Lion<T>(*static_cast<const up::LionStep*>(sp)), a, n);
}

template <class T> void touch(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::TouchStep*>(sp);
  switch (s.arrays) {
    case 2: return run<T>(up::Touch<T, 2>(s), a, n);
    case 3: return run<T>(up::Touch<T, 3>(s), a, n);
    case 4: return run<T>(up::Touch<T, 4>(s), a, n);
    case 5: return run<T>(up::Touch<T, 5>(s), a, n);
    default: return run<T>(up::Touch<T, 6>(s), a, n);
  }
}
// SophiaG, Schedule-Free AdamW, LAMB, LARS and Muon's elementwise parts.
template <class T> void sophia(const void* sp, void* const* a, int64_t n) {
  run<T>(up::Sophia<T>(*static_cast<const up::SophiaStep*>(sp)), a, n);
}
template <class T> void sophia_hessian(const void* sp, void* const* a, int64_t n) {
  run<T>(up::SophiaHessian<T>(*static_cast<const up::SophiaHessianStep*>(sp)), a, n);
}
template <class T> void schedule_free_adamw(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::ScheduleFreeAdamWStep*>(sp);
  with_bool(s.decay == int(Decay::L2), [&](auto wd) { run<T>(up::ScheduleFreeAdamW<T, STEEPEST_V(wd)>(s), a, n); });
}
template <class T> void lerp_to(const void* sp, void* const* a, int64_t n) {
  run<T>(up::LerpTo<T>(*static_cast<const up::LerpToStep*>(sp)), a, n);
}
template <class T> void lamb_moments(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::LambStep*>(sp);
  with_decay(s.decay, [&](auto d) { run<T>(up::LambMoments<T, STEEPEST_V(d)>(s), a, n); });
}
template <class T> void scaled_add(const void* sp, void* const* a, int64_t n) {
  run<T>(up::ScaledAdd<T>(*static_cast<const up::ScaledAddStep*>(sp)), a, n);
}
template <class T> void lars(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::LarsStep*>(sp);
  with_bool(s.adapt != 0, [&](auto ad) {
    with_bool(s.nesterov != 0, [&](auto nest) {
      if (s.mode == 0) run<T>(up::Lars<T, STEEPEST_V(ad), 0, false>(s), a, n);
      else if (s.mode == 1) run<T>(up::Lars<T, STEEPEST_V(ad), 1, STEEPEST_V(nest)>(s), a, n);
      else run<T>(up::Lars<T, STEEPEST_V(ad), 2, STEEPEST_V(nest)>(s), a, n);
    });
  });
}
template <class T> void muon_momentum(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::MuonMomentumStep*>(sp);
  with_bool(s.nesterov != 0, [&](auto nest) { run<T>(up::MuonMomentum<T, STEEPEST_V(nest)>(s), a, n); });
}
template <class T> void touch_last_read_only(const void* sp, void* const* a, int64_t n) {
  const auto& s = *static_cast<const up::TouchStep*>(sp);
  switch (s.arrays) {
    case 3: return run<T>(up::TouchLastReadOnly<T, 3>(s), a, n);
    case 4: return run<T>(up::TouchLastReadOnly<T, 4>(s), a, n);
    case 5: return run<T>(up::TouchLastReadOnly<T, 5>(s), a, n);
    default: return run<T>(up::TouchLastReadOnly<T, 6>(s), a, n);
  }
}
template <class T> void adafactor_variance(const void* sp, void* const* a, int64_t n) {
  run<T>(up::AdafactorVariance<T>(*static_cast<const up::AdafactorVarianceStep*>(sp)), a, n);
}
#undef STEEPEST_V

// Sums of f(x) over n values: four vector accumulators per leaf of kLeaf values (so each
// float lane adds at most kLeaf/4 terms), leaves added in double.
constexpr int64_t kLeaf = 512;

template <class T, class F>
double leaf_sum(const T* x, int64_t n, F f) {
  using V = Vec<T>;
  constexpr int W = lanes<V>();
  double total = 0;
  for (int64_t start = 0; start < n; start += kLeaf) {
    const int64_t end = start + kLeaf < n ? start + kLeaf : n;
    V a0 = vbroadcast<V>(T(0)), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = start;
    for (; i + 4 * W <= end; i += 4 * W) {
      a0 = a0 + f(vload<V>(x + i));
      a1 = a1 + f(vload<V>(x + i + W));
      a2 = a2 + f(vload<V>(x + i + 2 * W));
      a3 = a3 + f(vload<V>(x + i + 3 * W));
    }
    T s = reduce_add((a0 + a1) + (a2 + a3));
    for (; i < end; ++i) s += f(x[i]);
    total += double(s);
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
  k.update[int(OptimRule::SGD)] = sgd<T>;
  k.update[int(OptimRule::Adam)] = adam<T>;
  k.update[int(OptimRule::Adagrad)] = adagrad<T>;
  k.update[int(OptimRule::RMSprop)] = rmsprop<T>;
  k.update[int(OptimRule::NAdam)] = nadam<T>;
  k.update[int(OptimRule::RAdam)] = radam<T>;
  k.update[int(OptimRule::Adamax)] = adamax<T>;
  k.update[int(OptimRule::Lion)] = lion<T>;
  k.update[int(OptimRule::Touch)] = touch<T>;
  k.update[int(OptimRule::Sophia)] = sophia<T>;
  k.update[int(OptimRule::SophiaHessian)] = sophia_hessian<T>;
  k.update[int(OptimRule::ScheduleFreeAdamW)] = schedule_free_adamw<T>;
  k.update[int(OptimRule::LerpTo)] = lerp_to<T>;
  k.update[int(OptimRule::LambMoments)] = lamb_moments<T>;
  k.update[int(OptimRule::ScaledAdd)] = scaled_add<T>;
  k.update[int(OptimRule::Lars)] = lars<T>;
  k.update[int(OptimRule::MuonMomentum)] = muon_momentum<T>;
  k.update[int(OptimRule::TouchLastReadOnly)] = touch_last_read_only<T>;
  k.update[int(OptimRule::AdafactorVariance)] = adafactor_variance<T>;
  k.sum_sq = sum_sq<T>;
  k.sum_abs = sum_abs<T>;
  k.max_abs = max_abs<T>;
  k.scale = scale<T>;
}

}  // namespace

void register_optim(KernelTable& t) {
  fill(t.f32.optim);
  fill(t.f64.optim);
  t.f32.optim.update_mixed = update_mixed;
}

}  // namespace steepest::kernels::STEEPEST_ISA
