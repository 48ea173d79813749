// Mixed-precision optimizer updates for one ISA, included by isa/optim.cpp (each ISA's copy
// has internal linkage): the rule's float32 functor runs on vectors widened from the arrays'
// storage (bfloat16/float16) as they are loaded, and results are rounded as they are stored
// (to nearest even, or stochastically for a bfloat16 param with Philox bits keyed by element
// index, so results don't depend on chunking or thread count). The update math is the float
// kernel's, unchanged. The storage kinds are template arguments (one instantiation per
// MixedMode), so no per-element branch decides how to load or store.
#pragma once
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/convert16.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// Adds 16 random bits below the kept ones, then truncates: rounds up with probability equal to
// the discarded fraction, so E[result] = x (until the sum overflows to inf past the largest
// bfloat16).
inline uint16_t bf16_stochastic(uint32_t u, uint32_t r16) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + r16) >> 16);
}

// Philox-4x32-10, as steepest/ops/random.hpp defines it (a private copy: this TU is compiled
// per ISA and must not share inline symbols with other TUs).
inline void philox(const uint32_t c_in[4], uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t c0 = c_in[0], c1 = c_in[1], c2 = c_in[2], c3 = c_in[3];
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c0 = n0;
    c1 = uint32_t(p1);
    c2 = n2;
    c3 = uint32_t(p0);
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// Stochastic rounding to bfloat16 of n values whose first is element e0 of the param.
void narrow_stochastic(const float* s, uint16_t* d, int64_t n, const MixedChunk& c, int64_t e0) {
  const uint32_t k0 = uint32_t(c.seed), k1 = uint32_t(c.seed >> 32);
  int64_t i = 0;
  while (i < n) {
    const uint64_t j = uint64_t(e0 + i) >> 3;
    const uint32_t ctr[4] = {uint32_t(j), uint32_t(j >> 32), c.sr_step, c.sr_param};
    uint32_t w[4];
    philox(ctr, k0, k1, w);
    const int64_t stop = (int64_t(j + 1) << 3) - e0 < n ? (int64_t(j + 1) << 3) - e0 : n;
    for (; i < stop; ++i) {
      const int64_t e = (e0 + i) & 7;
      const uint32_t r = (w[e >> 1] >> (16 * (e & 1))) & 0xffffu;
      d[i] = bf16_stochastic(bits_of(s[i]), r);
    }
  }
}

// Loads W values stored as K from element i of `base`, widened to a float vector.
template <StoreKind K, class V>
inline V load_as(const void* base, int64_t i) {
  if constexpr (K == StoreKind::F32) {
    return vload<V>(static_cast<const float*>(base) + i);
  } else {
    return widen16<K == StoreKind::BF16 ? Half16::BF16 : Half16::F16, V>(static_cast<const uint16_t*>(base) + i);
  }
}

// Stores W values at element i of `base` as K (float16/bfloat16: nearest even, or stochastic
// for bfloat16 when `sr` is set; element i is element sr->first + i of the param).
template <StoreKind K, class V>
inline void store_as(void* base, int64_t i, V x, const MixedChunk* sr) {
  if constexpr (K == StoreKind::F32) {
    vstore(static_cast<float*>(base) + i, x);
  } else {
    uint16_t* d = static_cast<uint16_t*>(base) + i;
    constexpr int W = lanes<V>();
    if (K == StoreKind::BF16 && sr) {
      alignas(64) float tmp[W];
      vstore(tmp, x);
      narrow_stochastic(tmp, d, W, *sr, sr->first + i);
      return;
    }
    narrow16<K == StoreKind::BF16 ? Half16::BF16 : Half16::F16, V>(d, x);
  }
}

constexpr size_t kind_bytes(StoreKind k) { return k == StoreKind::F32 ? 4 : 2; }

// The functor over a mixed chunk in mode M (kMixedModes[M]): loads widen, stores round, all
// in registers. Slot kParam holds the float32 master when the mode keeps one, else the param.
template <int M, class F>
void run_mixed(const F& f, const MixedChunk& c, int64_t n) {
  using V = Vec<float>;
  using optim::updates::kGrad;
  using optim::updates::kParam;
  constexpr MixedMode mode = kMixedModes[M];
  constexpr StoreKind kP = mode.master ? StoreKind::F32 : mode.param;  // what slot kParam holds
  constexpr int K = F::kArrays;
  constexpr unsigned uses = optim::updates::UsesOf<F>::value, ro = optim::updates::ReadOnlyOf<F>::value;
  constexpr int W = lanes<V>();
  const MixedChunk* sr = c.stochastic ? &c : nullptr;
  const MixedChunk* sr_param = mode.master ? nullptr : sr;  // the param is slot kParam unless a master is kept
  auto one = [&](auto lanes_tag, int64_t i) {
    using U = decltype(lanes_tag);
    U x[K];
    x[kParam] = load_as<kP, U>(c.arrays[kParam], i);
    x[kGrad] = load_as<mode.param, U>(c.arrays[kGrad], i);
    for (int k = 2; k < K; ++k)
      if (uses >> k & 1u) x[k] = load_as<mode.state, U>(c.arrays[k], i);
    f(x);
    if constexpr (!(ro & 1u)) store_as<kP, U>(c.arrays[kParam], i, x[kParam], sr_param);
    for (int k = 2; k < K; ++k)
      if ((uses >> k & 1u) && !(ro >> k & 1u)) store_as<mode.state, U>(c.arrays[k], i, x[k], nullptr);
    if constexpr (mode.master) store_as<mode.param, U>(c.out, i, x[kParam], sr);
  };
  int64_t i = 0;
  if constexpr (W > 1) {
    for (; i + W <= n; i += W) {
      if (i % 32 == 0 && i + 512 < n) {  // 1-2 KiB ahead in every stream (see run())
        for (int k = 0; k < K; ++k) {
          if (!(uses >> k & 1u)) continue;
          const size_t es = kind_bytes(k == kParam ? kP : k == kGrad ? mode.param : mode.state);
          const char* p = static_cast<const char*>(c.arrays[k]) + (i + 512) * es;
          // The hint must be a constant even where the loop over k is not unrolled (-O1).
          if (k == kGrad) {
            __builtin_prefetch(p, 0);
            if (es == 4) __builtin_prefetch(p + 64, 0);
          } else {
            __builtin_prefetch(p, 1);
            if (es == 4) __builtin_prefetch(p + 64, 1);
          }
        }
        if constexpr (mode.master) __builtin_prefetch(static_cast<const char*>(c.out) + (i + 512) * 2, 1);
      }
      one(V{}, i);
    }
  }
  for (; i < n; ++i) one(float{}, i);
}

}  // namespace
}  // namespace steepest::kernels::STEEPEST_ISA
