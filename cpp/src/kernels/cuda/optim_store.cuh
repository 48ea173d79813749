// How the CUDA optimizer kernels load and store each array: float32/float64 as they are, and
// the mixed-precision storage kinds (optim/updates/precision.hpp) widened to float32 on load and
// rounded on store (to nearest even, or stochastically for a bfloat16 param with the same
// Philox bits, keyed by element index, as the CPU's). The bit rules are the CPU's
// (kernels/cpu/isa/optim_mixed.hpp), written again as device functions.
#pragma once
#include <cstdint>

#include "optim/updates/common.hpp"
#include "optim/updates/precision.hpp"

namespace steepest::kernels::cuda_optim {

using optim::updates::StoreKind;

__device__ inline uint32_t bits_of(float f) { return __float_as_uint(f); }
__device__ inline float float_of(uint32_t u) { return __uint_as_float(u); }

// bfloat16 nearest even (NaN stays a quiet NaN).
__device__ inline uint16_t bf16_nearest(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
// 16 random bits added below the kept ones, then truncated (E[result] = x).
__device__ inline uint16_t bf16_stochastic(uint32_t u, uint32_t r16) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + r16) >> 16);
}
__device__ inline float f16_widen(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
  if (exp == 0x1f) return float_of(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    float f = __fmul_rn(float(man), 1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  return float_of(sign | ((exp + 112) << 23) | (man << 13));
}
__device__ inline uint16_t f16_nearest(float f) {
  uint32_t u = bits_of(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u);
  if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);
  if (a < 0x38800000u) {
    float r = __fadd_rn(__fmul_rn(float_of(a), 16777216.0f), 8388608.0f);
    return uint16_t(sign | (bits_of(r) - 0x4b000000u));
  }
  return uint16_t(sign | ((a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u) >> 13));
}

// Philox-4x32-10 as steepest/ops/random.hpp defines it.
__device__ inline void philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1,
                              uint32_t out[4]) {
  for (int r = 0; r < 10; ++r) {
    if (r) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint32_t hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    const uint32_t hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// The stochastic-rounding key of a launch (MixedChunk's on the CPU).
struct SrKey {
  uint64_t seed;
  uint32_t step, param;
};

// The 16 random bits of element e of the param: Philox block (lo32(e/8), hi32(e/8), step,
// param), word (e % 8) / 2, half e % 2 (low first).
__device__ inline uint32_t sr_bits(const SrKey& k, int64_t e) {
  const uint64_t j = uint64_t(e) >> 3;
  uint32_t w[4];
  philox(uint32_t(j), uint32_t(j >> 32), k.step, k.param, uint32_t(k.seed), uint32_t(k.seed >> 32), w);
  const int q = int(e & 7);
  return (w[q >> 1] >> (16 * (q & 1))) & 0xffffu;
}

// Element i of an array stored as kind K, widened to float.
template <StoreKind K> __device__ inline float load_kind(const void* p, int64_t i) {
  if constexpr (K == StoreKind::F32) return static_cast<const float*>(p)[i];
  else if constexpr (K == StoreKind::BF16) return float_of(uint32_t(static_cast<const uint16_t*>(p)[i]) << 16);
  else return f16_widen(static_cast<const uint16_t*>(p)[i]);
}
// Stores v as kind K at element i (element e of the param for stochastic rounding, sr non-null).
template <StoreKind K> __device__ inline void store_kind(void* p, int64_t i, float v, const SrKey* sr, int64_t e) {
  if constexpr (K == StoreKind::F32) {
    static_cast<float*>(p)[i] = v;
  } else if constexpr (K == StoreKind::BF16) {
    static_cast<uint16_t*>(p)[i] = sr ? bf16_stochastic(bits_of(v), sr_bits(*sr, e)) : bf16_nearest(bits_of(v));
  } else {
    static_cast<uint16_t*>(p)[i] = f16_nearest(v);
  }
}

// Storage of a plain row: every array of element type T.
template <class T> struct PlainStore {
  using Compute = T;
  static constexpr bool kMaster = false;
  static constexpr int kMode = -1;
  template <int Slot> __device__ static T load(const void* p, int64_t i) { return static_cast<const T*>(p)[i]; }
  template <int Slot> __device__ static void store(void* p, int64_t i, T v, const SrKey*, int64_t) {
    static_cast<T*>(p)[i] = v;
  }
};

// Storage of mixed-precision mode M: slot kParam holds the float32 master when the mode keeps
// one (the low-precision param is then the extra array after the functor's), else the param.
template <int M> struct MixedStore {
  using Compute = float;
  static constexpr optim::updates::MixedMode kModeDesc = optim::updates::kMixedModes[M];
  static constexpr bool kMaster = kModeDesc.master;
  static constexpr int kMode = M;
  __host__ __device__ static constexpr StoreKind kind(int slot) {
    return slot == optim::updates::kParam ? (kMaster ? StoreKind::F32 : kModeDesc.param)
           : slot == optim::updates::kGrad ? kModeDesc.param
                                           : kModeDesc.state;
  }
  template <int Slot> __device__ static float load(const void* p, int64_t i) { return load_kind<kind(Slot)>(p, i); }
  // Stochastic rounding applies to the low-precision param only (slot kParam without a master).
  template <int Slot> __device__ static void store(void* p, int64_t i, float v, const SrKey* sr, int64_t e) {
    store_kind<kind(Slot)>(p, i, v, Slot == optim::updates::kParam && !kMaster ? sr : nullptr, e);
  }
  __device__ static void store_out(void* p, int64_t i, float v, const SrKey* sr, int64_t e) {
    store_kind<kModeDesc.param>(p, i, v, sr, e);
  }
};

}  // namespace steepest::kernels::cuda_optim
