// AVX-512 (F/BW/DQ/VL) vector types: 16 floats / 8 doubles per register (interface in vec.hpp).
#pragma once
#include <immintrin.h>

namespace steepest::kernels::STEEPEST_ISA {

struct MaskF { __mmask16 m; };
struct MaskD { __mmask8 m; };

struct VecF {
  static constexpr int size = 16;
  __m512 v;
  static VecF load(const float* p) { return {_mm512_loadu_ps(p)}; }
  static VecF broadcast(float x) { return {_mm512_set1_ps(x)}; }
  static VecF zero() { return {_mm512_setzero_ps()}; }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
};
struct VecD {
  static constexpr int size = 8;
  __m512d v;
  static VecD load(const double* p) { return {_mm512_loadu_pd(p)}; }
  static VecD broadcast(double x) { return {_mm512_set1_pd(x)}; }
  static VecD zero() { return {_mm512_setzero_pd()}; }
  void store(double* p) const { _mm512_storeu_pd(p, v); }
};

inline VecF operator+(VecF a, VecF b) { return {_mm512_add_ps(a.v, b.v)}; }
inline VecF operator-(VecF a, VecF b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline VecF operator*(VecF a, VecF b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline VecF operator/(VecF a, VecF b) { return {_mm512_div_ps(a.v, b.v)}; }
inline VecF operator-(VecF a) { return {_mm512_xor_ps(a.v, _mm512_set1_ps(-0.0f))}; }
inline VecF fma(VecF a, VecF b, VecF c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
inline VecF sqrt(VecF a) { return {_mm512_sqrt_ps(a.v)}; }
inline VecF abs(VecF a) { return {_mm512_abs_ps(a.v)}; }
inline VecF max_raw(VecF a, VecF b) { return {_mm512_max_ps(a.v, b.v)}; }
inline VecF min_raw(VecF a, VecF b) { return {_mm512_min_ps(a.v, b.v)}; }
inline MaskF cmp_lt(VecF a, VecF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ)}; }
inline MaskF cmp_le(VecF a, VecF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LE_OQ)}; }
inline MaskF cmp_gt(VecF a, VecF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ)}; }
inline MaskF cmp_ge(VecF a, VecF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GE_OQ)}; }
inline MaskF cmp_eq(VecF a, VecF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ)}; }
inline MaskF cmp_ne(VecF a, VecF b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_NEQ_UQ)}; }
inline MaskF isnan(VecF a) { return {_mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q)}; }
inline VecF select(MaskF m, VecF a, VecF b) { return {_mm512_mask_blend_ps(m.m, b.v, a.v)}; }
inline MaskF operator&(MaskF a, MaskF b) { return {__mmask16(a.m & b.m)}; }
inline MaskF operator|(MaskF a, MaskF b) { return {__mmask16(a.m | b.m)}; }
inline MaskF operator~(MaskF a) { return {__mmask16(~a.m)}; }
inline float reduce_add(VecF a) {
  __m256 s = _mm256_add_ps(_mm512_castps512_ps256(a.v),
                           _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a.v), 1)));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}
inline float reduce_max(VecF a) { return _mm512_reduce_max_ps(a.v); }
inline float reduce_min(VecF a) { return _mm512_reduce_min_ps(a.v); }
inline VecF floor(VecF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
inline VecF round_even(VecF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
inline VecF copysign(VecF mag, VecF sgn) {
  __m512i s = _mm512_set1_epi32(int(0x80000000u));
  // 0xCA is the bitwise select s ? sgn : mag
  return {_mm512_castsi512_ps(_mm512_ternarylogic_epi32(s, _mm512_castps_si512(sgn.v), _mm512_castps_si512(mag.v), 0xCA))};
}
inline VecF pow2i(VecF n) {
  __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n.v), _mm512_set1_epi32(127));
  return {_mm512_castsi512_ps(_mm512_slli_epi32(e, 23))};
}
inline VecF exponent(VecF x) {
  __m512i e = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(x.v), 23), _mm512_set1_epi32(0xff));
  return {_mm512_cvtepi32_ps(_mm512_sub_epi32(e, _mm512_set1_epi32(127)))};
}
inline VecF mantissa(VecF x) {
  __m512i b = _mm512_and_si512(_mm512_castps_si512(x.v), _mm512_set1_epi32(0x007fffff));
  return {_mm512_castsi512_ps(_mm512_or_si512(b, _mm512_set1_epi32(0x3f800000)))};
}
inline bool any_lane(MaskF m) { return m.m != 0; }

inline VecD operator+(VecD a, VecD b) { return {_mm512_add_pd(a.v, b.v)}; }
inline VecD operator-(VecD a, VecD b) { return {_mm512_sub_pd(a.v, b.v)}; }
inline VecD operator*(VecD a, VecD b) { return {_mm512_mul_pd(a.v, b.v)}; }
inline VecD operator/(VecD a, VecD b) { return {_mm512_div_pd(a.v, b.v)}; }
inline VecD operator-(VecD a) { return {_mm512_xor_pd(a.v, _mm512_set1_pd(-0.0))}; }
inline VecD fma(VecD a, VecD b, VecD c) { return {_mm512_fmadd_pd(a.v, b.v, c.v)}; }
inline VecD sqrt(VecD a) { return {_mm512_sqrt_pd(a.v)}; }
inline VecD abs(VecD a) { return {_mm512_abs_pd(a.v)}; }
inline VecD max_raw(VecD a, VecD b) { return {_mm512_max_pd(a.v, b.v)}; }
inline VecD min_raw(VecD a, VecD b) { return {_mm512_min_pd(a.v, b.v)}; }
inline MaskD cmp_lt(VecD a, VecD b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_LT_OQ)}; }
inline MaskD cmp_le(VecD a, VecD b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_LE_OQ)}; }
inline MaskD cmp_gt(VecD a, VecD b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_GT_OQ)}; }
inline MaskD cmp_ge(VecD a, VecD b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_GE_OQ)}; }
inline MaskD cmp_eq(VecD a, VecD b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_EQ_OQ)}; }
inline MaskD cmp_ne(VecD a, VecD b) { return {_mm512_cmp_pd_mask(a.v, b.v, _CMP_NEQ_UQ)}; }
inline MaskD isnan(VecD a) { return {_mm512_cmp_pd_mask(a.v, a.v, _CMP_UNORD_Q)}; }
inline VecD select(MaskD m, VecD a, VecD b) { return {_mm512_mask_blend_pd(m.m, b.v, a.v)}; }
inline MaskD operator&(MaskD a, MaskD b) { return {__mmask8(a.m & b.m)}; }
inline MaskD operator|(MaskD a, MaskD b) { return {__mmask8(a.m | b.m)}; }
inline MaskD operator~(MaskD a) { return {__mmask8(~a.m)}; }
inline double reduce_add(VecD a) {
  __m256d s = _mm256_add_pd(_mm512_castpd512_pd256(a.v), _mm512_extractf64x4_pd(a.v, 1));
  __m128d q = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}
inline double reduce_max(VecD a) { return _mm512_reduce_max_pd(a.v); }
inline double reduce_min(VecD a) { return _mm512_reduce_min_pd(a.v); }

inline VecD floor(VecD a) { return {_mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
inline VecD round_even(VecD a) { return {_mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
inline VecD copysign(VecD mag, VecD sgn) {
  __m512i s = _mm512_set1_epi64(int64_t(0x8000000000000000ull));
  return {_mm512_castsi512_pd(_mm512_ternarylogic_epi64(s, _mm512_castpd_si512(sgn.v), _mm512_castpd_si512(mag.v), 0xCA))};
}
inline bool any_lane(MaskD m) { return m.m != 0; }

}  // namespace steepest::kernels::STEEPEST_ISA
