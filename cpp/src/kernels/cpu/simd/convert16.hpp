// Conversions between float32 and the 16-bit floats (bfloat16, float16) for one ISA, on a
// scalar or on a whole float vector: widen16 loads lanes() 16-bit values as floats, narrow16
// rounds a float vector to nearest, ties to even, and stores it. Every ISA gives the bits of
// steepest/half.hpp for every input, NaN included (a NaN stays a NaN: bfloat16 keeps its
// payload and sets the quiet bit; float16 narrows any NaN to sign | 0x7e00), so a kernel that
// converts through these agrees with the scalar reference on any CPU.
//
// The scalar rules are private copies of half.hpp's: this header is compiled once per ISA and
// must not share inline symbols with other translation units (see simd/vec.hpp).
#pragma once
#include <cstdint>

#include "kernels/cpu/simd/vec.hpp"

#if defined(STEEPEST_ISA_avx512) || defined(STEEPEST_ISA_avx2)
#include <immintrin.h>
#endif

namespace steepest::kernels::STEEPEST_ISA {
namespace {

// Which 16-bit float a conversion is for.
enum class Half16 { BF16, F16 };

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

inline uint16_t bf16_nearest(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
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

// lanes<V>() values at s, widened to float.
template <Half16 K, class V>
inline V widen16(const uint16_t* s) {
  if constexpr (lanes<V>() == 1) {
    return K == Half16::BF16 ? float_of(uint32_t(*s) << 16) : f16_widen(*s);
  } else {
#if defined(STEEPEST_ISA_avx512)
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
    const __m512i h = _mm512_cvtepu16_epi32(raw);
    if constexpr (K == Half16::BF16) {
      return V{_mm512_castsi512_ps(_mm512_slli_epi32(h, 16))};
    } else {
      // vcvtph2ps quiets a signalling NaN; half.hpp keeps its payload as is.
      const __m512 f = _mm512_cvtph_ps(raw);
      const __mmask16 nan =
          _mm512_cmpgt_epu32_mask(_mm512_and_si512(h, _mm512_set1_epi32(0x7fff)), _mm512_set1_epi32(0x7c00));
      const __m512i exact = _mm512_or_si512(
          _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(h, _mm512_set1_epi32(0x8000)), 16),
                          _mm512_set1_epi32(0x7f800000)),
          _mm512_slli_epi32(_mm512_and_si512(h, _mm512_set1_epi32(0x3ff)), 13));
      return V{_mm512_mask_blend_ps(nan, f, _mm512_castsi512_ps(exact))};
    }
#elif defined(STEEPEST_ISA_avx2)
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    if constexpr (K == Half16::BF16) {
      return V{_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16))};
    } else {
      const __m256 f = _mm256_cvtph_ps(raw);
      const __m256i h = _mm256_cvtepu16_epi32(raw);
      const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x7fff)), _mm256_set1_epi32(0x7c00));
      const __m256i exact = _mm256_or_si256(
          _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x8000)), 16),
                          _mm256_set1_epi32(0x7f800000)),
          _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x3ff)), 13));
      return V{_mm256_blendv_ps(f, _mm256_castsi256_ps(exact), _mm256_castsi256_ps(nan))};
    }
#else
    alignas(64) float tmp[lanes<V>()];
    for (int j = 0; j < lanes<V>(); ++j) tmp[j] = widen16<K, float>(s + j);
    return vload<V>(tmp);
#endif
  }
}

// Rounds x to K (nearest, ties to even) and stores its lanes<V>() values at d.
template <Half16 K, class V>
inline void narrow16(uint16_t* d, V x) {
  if constexpr (lanes<V>() == 1) {
    *d = K == Half16::BF16 ? bf16_nearest(bits_of(x)) : f16_nearest(x);
  } else {
#if defined(STEEPEST_ISA_avx512)
    const __m512i u = _mm512_castps_si512(x.v);
    const __mmask16 nan =
        _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    if constexpr (K == Half16::F16) {
      // vcvtps2ph rounds as half.hpp does (the current MXCSR mode is not used); only a NaN's
      // payload differs, and half.hpp makes every NaN sign | 0x7e00.
      __m512i r = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(x.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      const __m512i qnan = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x8000)),
                                           _mm512_set1_epi32(0x7e00));
      r = _mm512_mask_blend_epi32(nan, r, qnan);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm512_cvtepi32_epi16(r));
    } else {
      const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
      __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
      r = _mm512_mask_blend_epi32(nan, r, _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm512_cvtepi32_epi16(r));
    }
#elif defined(STEEPEST_ISA_avx2)
    const __m256i u = _mm256_castps_si256(x.v);
    // abs(u) > inf's bits; as signed int32 both sides are non-negative, so the compare is exact.
    const __m256i nan =
        _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    __m256i r;
    if constexpr (K == Half16::F16) {
      r = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(x.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      const __m256i qnan = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x8000)),
                                           _mm256_set1_epi32(0x7e00));
      r = _mm256_blendv_epi8(r, qnan, nan);
    } else {
      const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
      r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb)), 16);
      r = _mm256_blendv_epi8(r, _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40)), nan);
    }
    // Every lane is in [0, 0xffff], so the saturating pack keeps it; the pack works per 128-bit
    // half, and the permute brings the two halves' results together.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d),
                     _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08)));
#else
    alignas(64) float tmp[lanes<V>()];
    vstore(tmp, x);
    for (int j = 0; j < lanes<V>(); ++j) narrow16<K, float>(d + j, tmp[j]);
#endif
  }
}

}  // namespace
}  // namespace steepest::kernels::STEEPEST_ISA
