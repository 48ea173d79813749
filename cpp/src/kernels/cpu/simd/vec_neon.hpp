// aarch64 NEON vector types: 4 floats / 2 doubles per register (interface in vec.hpp).
// max_raw/min_raw follow the x86 rule (b unless a is strictly greater/smaller) rather than
// NEON's NaN-propagating vmaxq, so every ISA gives the same bits.
#pragma once
#include <arm_neon.h>

#include <cstdint>

namespace steepest::kernels::STEEPEST_ISA {

struct MaskF { uint32x4_t m; };
struct MaskD { uint64x2_t m; };

struct VecF {
  static constexpr int size = 4;
  float32x4_t v;
  static VecF load(const float* p) { return {vld1q_f32(p)}; }
  static VecF broadcast(float x) { return {vdupq_n_f32(x)}; }
  static VecF zero() { return {vdupq_n_f32(0.0f)}; }
  void store(float* p) const { vst1q_f32(p, v); }
};
struct VecD {
  static constexpr int size = 2;
  float64x2_t v;
  static VecD load(const double* p) { return {vld1q_f64(p)}; }
  static VecD broadcast(double x) { return {vdupq_n_f64(x)}; }
  static VecD zero() { return {vdupq_n_f64(0.0)}; }
  void store(double* p) const { vst1q_f64(p, v); }
};

inline VecF operator+(VecF a, VecF b) { return {vaddq_f32(a.v, b.v)}; }
inline VecF operator-(VecF a, VecF b) { return {vsubq_f32(a.v, b.v)}; }
inline VecF operator*(VecF a, VecF b) { return {vmulq_f32(a.v, b.v)}; }
inline VecF operator/(VecF a, VecF b) { return {vdivq_f32(a.v, b.v)}; }
inline VecF operator-(VecF a) { return {vnegq_f32(a.v)}; }
inline VecF fma(VecF a, VecF b, VecF c) { return {vfmaq_f32(c.v, a.v, b.v)}; }
inline VecF sqrt(VecF a) { return {vsqrtq_f32(a.v)}; }
inline VecF abs(VecF a) { return {vabsq_f32(a.v)}; }
inline VecF max_raw(VecF a, VecF b) { return {vbslq_f32(vcgtq_f32(a.v, b.v), a.v, b.v)}; }
inline VecF min_raw(VecF a, VecF b) { return {vbslq_f32(vcltq_f32(a.v, b.v), a.v, b.v)}; }
inline MaskF cmp_lt(VecF a, VecF b) { return {vcltq_f32(a.v, b.v)}; }
inline MaskF cmp_le(VecF a, VecF b) { return {vcleq_f32(a.v, b.v)}; }
inline MaskF cmp_gt(VecF a, VecF b) { return {vcgtq_f32(a.v, b.v)}; }
inline MaskF cmp_ge(VecF a, VecF b) { return {vcgeq_f32(a.v, b.v)}; }
inline MaskF cmp_eq(VecF a, VecF b) { return {vceqq_f32(a.v, b.v)}; }
inline MaskF cmp_ne(VecF a, VecF b) { return {vmvnq_u32(vceqq_f32(a.v, b.v))}; }
inline MaskF isnan(VecF a) { return {vmvnq_u32(vceqq_f32(a.v, a.v))}; }
inline VecF select(MaskF m, VecF a, VecF b) { return {vbslq_f32(m.m, a.v, b.v)}; }
inline MaskF operator&(MaskF a, MaskF b) { return {vandq_u32(a.m, b.m)}; }
inline MaskF operator|(MaskF a, MaskF b) { return {vorrq_u32(a.m, b.m)}; }
inline MaskF operator~(MaskF a) { return {vmvnq_u32(a.m)}; }
inline float reduce_add(VecF a) { return vaddvq_f32(a.v); }
inline float reduce_max(VecF a) { return vmaxvq_f32(a.v); }
inline float reduce_min(VecF a) { return vminvq_f32(a.v); }
inline VecF floor(VecF a) { return {vrndmq_f32(a.v)}; }
inline VecF round_even(VecF a) { return {vrndnq_f32(a.v)}; }
inline VecF copysign(VecF mag, VecF sgn) {
  return {vbslq_f32(vdupq_n_u32(0x80000000u), sgn.v, mag.v)};
}
inline VecF pow2i(VecF n) {
  int32x4_t e = vaddq_s32(vcvtq_s32_f32(n.v), vdupq_n_s32(127));
  return {vreinterpretq_f32_s32(vshlq_n_s32(e, 23))};
}
inline VecF exponent(VecF x) {
  uint32x4_t e = vandq_u32(vshrq_n_u32(vreinterpretq_u32_f32(x.v), 23), vdupq_n_u32(0xff));
  return {vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(e), vdupq_n_s32(127)))};
}
inline VecF mantissa(VecF x) {
  uint32x4_t b = vandq_u32(vreinterpretq_u32_f32(x.v), vdupq_n_u32(0x007fffffu));
  return {vreinterpretq_f32_u32(vorrq_u32(b, vdupq_n_u32(0x3f800000u)))};
}
inline bool any_lane(MaskF m) { return vmaxvq_u32(m.m) != 0; }

inline uint64x2_t not_u64(uint64x2_t m) { return vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(m))); }
inline VecD operator+(VecD a, VecD b) { return {vaddq_f64(a.v, b.v)}; }
inline VecD operator-(VecD a, VecD b) { return {vsubq_f64(a.v, b.v)}; }
inline VecD operator*(VecD a, VecD b) { return {vmulq_f64(a.v, b.v)}; }
inline VecD operator/(VecD a, VecD b) { return {vdivq_f64(a.v, b.v)}; }
inline VecD operator-(VecD a) { return {vnegq_f64(a.v)}; }
inline VecD fma(VecD a, VecD b, VecD c) { return {vfmaq_f64(c.v, a.v, b.v)}; }
inline VecD sqrt(VecD a) { return {vsqrtq_f64(a.v)}; }
inline VecD abs(VecD a) { return {vabsq_f64(a.v)}; }
inline VecD max_raw(VecD a, VecD b) { return {vbslq_f64(vcgtq_f64(a.v, b.v), a.v, b.v)}; }
inline VecD min_raw(VecD a, VecD b) { return {vbslq_f64(vcltq_f64(a.v, b.v), a.v, b.v)}; }
inline MaskD cmp_lt(VecD a, VecD b) { return {vcltq_f64(a.v, b.v)}; }
inline MaskD cmp_le(VecD a, VecD b) { return {vcleq_f64(a.v, b.v)}; }
inline MaskD cmp_gt(VecD a, VecD b) { return {vcgtq_f64(a.v, b.v)}; }
inline MaskD cmp_ge(VecD a, VecD b) { return {vcgeq_f64(a.v, b.v)}; }
inline MaskD cmp_eq(VecD a, VecD b) { return {vceqq_f64(a.v, b.v)}; }
inline MaskD cmp_ne(VecD a, VecD b) { return {not_u64(vceqq_f64(a.v, b.v))}; }
inline MaskD isnan(VecD a) { return {not_u64(vceqq_f64(a.v, a.v))}; }
inline VecD select(MaskD m, VecD a, VecD b) { return {vbslq_f64(m.m, a.v, b.v)}; }
inline MaskD operator&(MaskD a, MaskD b) { return {vandq_u64(a.m, b.m)}; }
inline MaskD operator|(MaskD a, MaskD b) { return {vorrq_u64(a.m, b.m)}; }
inline MaskD operator~(MaskD a) { return {not_u64(a.m)}; }
inline double reduce_add(VecD a) { return vaddvq_f64(a.v); }
inline double reduce_max(VecD a) { return vmaxvq_f64(a.v); }
inline double reduce_min(VecD a) { return vminvq_f64(a.v); }
inline VecD floor(VecD a) { return {vrndmq_f64(a.v)}; }
inline VecD round_even(VecD a) { return {vrndnq_f64(a.v)}; }
inline VecD copysign(VecD mag, VecD sgn) {
  return {vbslq_f64(vdupq_n_u64(0x8000000000000000ull), sgn.v, mag.v)};
}
inline bool any_lane(MaskD m) { return vmaxvq_u32(vreinterpretq_u32_u64(m.m)) != 0; }

}  // namespace steepest::kernels::STEEPEST_ISA
