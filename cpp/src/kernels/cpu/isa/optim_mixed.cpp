// Mixed-precision optimizer updates for one ISA (compiled once per ISA): a chunk whose arrays
// are stored as bfloat16/float16 is widened to float32 in small blocks, the rule's float32
// kernel runs on the block, and the written arrays are rounded back (to nearest even, or
// stochastically for a bfloat16 param, with Philox bits keyed by element index, so results
// don't depend on chunking or thread count). The update math is the float kernel's, unchanged.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/vec.hpp"

#if defined(STEEPEST_ISA_avx512) || defined(STEEPEST_ISA_avx2)
#include <immintrin.h>
#endif

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// Elements per block: the widened arrays (up to 6 x 4 KiB) stay in L1.
constexpr int64_t kBlock = 1024;

inline uint32_t bits_of(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  return u;
}
inline float float_of(uint32_t u) {
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

// bfloat16 <-> float32 (NaN stays a quiet NaN), the same rules as steepest/half.hpp.
inline uint16_t bf16_nearest(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
// Adds 16 random bits below the kept ones, then truncates: rounds up with probability equal to
// the discarded fraction, so E[result] = x (until the sum overflows to inf past the largest
// bfloat16).
inline uint16_t bf16_stochastic(uint32_t u, uint32_t r16) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + r16) >> 16);
}

inline float f16_widen(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
  if (exp == 0x1f) return float_of(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    float f = float(man) * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  return float_of(sign | ((exp + 112) << 23) | (man << 13));
}
inline uint16_t f16_nearest(float f) {
  uint32_t u = bits_of(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u);
  if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);
  if (a < 0x38800000u) {
    float r = float_of(a) * 16777216.0f + 8388608.0f;
    return uint16_t(sign | (bits_of(r) - 0x4b000000u));
  }
  return uint16_t(sign | ((a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u) >> 13));
}

// Prefetch distance in the low-precision source streams (see isa/optim.cpp's run()).
constexpr int64_t kAhead = 512;  // elements (1 KiB)

void widen(const uint16_t* s, StoreKind kind, float* d, int64_t n) {
  int64_t i = 0;
  for (int64_t j = 0; j < n; j += 32) __builtin_prefetch(s + j + kAhead, 0);
  if (kind == StoreKind::BF16) {
#if defined(STEEPEST_ISA_avx512)
    for (; i + 16 <= n; i += 16) {
      __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
      _mm512_storeu_si512(d + i, _mm512_slli_epi32(w, 16));
    }
#elif defined(STEEPEST_ISA_avx2)
    for (; i + 8 <= n; i += 8) {
      __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), _mm256_slli_epi32(w, 16));
    }
#endif
    for (; i < n; ++i) d[i] = float_of(uint32_t(s[i]) << 16);
  } else {
#if defined(STEEPEST_ISA_avx512)
    for (; i + 16 <= n; i += 16)
      _mm512_storeu_ps(d + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i))));
#elif defined(STEEPEST_ISA_avx2)
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
#endif
    for (; i < n; ++i) d[i] = f16_widen(s[i]);
  }
}

// Rounds to nearest even (NaN stays NaN).
void narrow(const float* s, StoreKind kind, uint16_t* d, int64_t n) {
  int64_t i = 0;
  if (kind == StoreKind::BF16) {
#if defined(STEEPEST_ISA_avx512)
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), absm = _mm512_set1_epi32(0x7fffffff),
                  inf = _mm512_set1_epi32(0x7f800000), quiet = _mm512_set1_epi32(0x40);
    for (; i + 16 <= n; i += 16) {
      __m512i u = _mm512_loadu_si512(s + i);
      __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
      __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(bias, lsb)), 16);
      __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, absm), inf);
      r = _mm512_mask_blend_epi32(nan, r, _mm512_or_si512(_mm512_srli_epi32(u, 16), quiet));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), _mm512_cvtepi32_epi16(r));
    }
#elif defined(STEEPEST_ISA_avx2)
    const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff), absm = _mm256_set1_epi32(0x7fffffff),
                  inf = _mm256_set1_epi32(0x7f800000), quiet = _mm256_set1_epi32(0x40);
    for (; i + 8 <= n; i += 8) {
      __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
      __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
      __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, lsb)), 16);
      __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, absm), inf);
      r = _mm256_blendv_epi8(r, _mm256_or_si256(_mm256_srli_epi32(u, 16), quiet), nan);
      __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), _mm256_castsi256_si128(packed));
    }
#endif
    for (; i < n; ++i) d[i] = bf16_nearest(bits_of(s[i]));
  } else {
#if defined(STEEPEST_ISA_avx512)
    for (; i + 16 <= n; i += 16)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i),
                          _mm512_cvtps_ph(_mm512_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#elif defined(STEEPEST_ISA_avx2)
    for (; i + 8 <= n; i += 8)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                       _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#endif
    for (; i < n; ++i) d[i] = f16_nearest(s[i]);
  }
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

void update_mixed(OptimUpdateFn f32, const void* step, const MixedChunk& c, int64_t n) {
  alignas(64) float buf[6][kBlock];
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = n - b < kBlock ? n - b : kBlock;
    void* ptrs[6];
    for (int k = 0; k < 6; ++k) {
      if (!c.arrays[k]) {
        ptrs[k] = nullptr;
      } else if (c.kinds[k] == StoreKind::F32) {
        ptrs[k] = static_cast<float*>(c.arrays[k]) + b;
      } else {
        widen(static_cast<const uint16_t*>(c.arrays[k]) + b, c.kinds[k], buf[k], len);
        ptrs[k] = buf[k];
      }
    }
    f32(step, ptrs, len);
    for (int k = 0; k < 6; ++k) {
      if (k == 1 || !c.arrays[k] || c.kinds[k] == StoreKind::F32) continue;
      uint16_t* dst = static_cast<uint16_t*>(c.arrays[k]) + b;
      if (k == 0 && c.stochastic && c.kinds[0] == StoreKind::BF16) narrow_stochastic(buf[0], dst, len, c, c.first + b);
      else narrow(buf[k], c.kinds[k], dst, len);
    }
    if (c.out) {
      uint16_t* dst = static_cast<uint16_t*>(c.out) + b;
      const float* src = static_cast<const float*>(ptrs[0]);
      if (c.stochastic && c.out_kind == StoreKind::BF16) narrow_stochastic(src, dst, len, c, c.first + b);
      else narrow(src, c.out_kind, dst, len);
    }
  }
}

}  // namespace

void register_optim_mixed(KernelTable& t) { t.f32.optim.update_mixed = update_mixed; }

}  // namespace steepest::kernels::STEEPEST_ISA
