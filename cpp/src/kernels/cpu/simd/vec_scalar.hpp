// The scalar forms of the vector interface (see vec.hpp): plain float/double, masks are bool.
#pragma once
#include <cstdint>
#include <type_traits>

#include "steepest/half.hpp"  // STEEPEST_HD: these scalar forms also build the CUDA kernels' math

namespace steepest::kernels::STEEPEST_ISA {

STEEPEST_HD inline float fma(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
STEEPEST_HD inline double fma(double a, double b, double c) { return __builtin_fma(a, b, c); }
STEEPEST_HD inline float sqrt(float a) { return __builtin_sqrtf(a); }
STEEPEST_HD inline double sqrt(double a) { return __builtin_sqrt(a); }
STEEPEST_HD inline float abs(float a) { return __builtin_fabsf(a); }
STEEPEST_HD inline double abs(double a) { return __builtin_fabs(a); }
// Like the x86 instructions: return b unless a is strictly greater (smaller).
STEEPEST_HD inline float max_raw(float a, float b) { return a > b ? a : b; }
STEEPEST_HD inline double max_raw(double a, double b) { return a > b ? a : b; }
STEEPEST_HD inline float min_raw(float a, float b) { return a < b ? a : b; }
STEEPEST_HD inline double min_raw(double a, double b) { return a < b ? a : b; }
template <class T, class = std::enable_if_t<std::is_floating_point_v<T>>>
STEEPEST_HD inline bool isnan(T a) { return a != a; }
STEEPEST_HD inline bool cmp_lt(float a, float b) { return a < b; }
STEEPEST_HD inline bool cmp_le(float a, float b) { return a <= b; }
STEEPEST_HD inline bool cmp_gt(float a, float b) { return a > b; }
STEEPEST_HD inline bool cmp_ge(float a, float b) { return a >= b; }
STEEPEST_HD inline bool cmp_eq(float a, float b) { return a == b; }
STEEPEST_HD inline bool cmp_ne(float a, float b) { return a != b; }
STEEPEST_HD inline bool cmp_lt(double a, double b) { return a < b; }
STEEPEST_HD inline bool cmp_le(double a, double b) { return a <= b; }
STEEPEST_HD inline bool cmp_gt(double a, double b) { return a > b; }
STEEPEST_HD inline bool cmp_ge(double a, double b) { return a >= b; }
STEEPEST_HD inline bool cmp_eq(double a, double b) { return a == b; }
STEEPEST_HD inline bool cmp_ne(double a, double b) { return a != b; }
STEEPEST_HD inline float select(bool m, float a, float b) { return m ? a : b; }
STEEPEST_HD inline double select(bool m, double a, double b) { return m ? a : b; }
STEEPEST_HD inline float reduce_add(float a) { return a; }
STEEPEST_HD inline double reduce_add(double a) { return a; }
STEEPEST_HD inline float reduce_max(float a) { return a; }
STEEPEST_HD inline double reduce_max(double a) { return a; }
STEEPEST_HD inline float reduce_min(float a) { return a; }
STEEPEST_HD inline double reduce_min(double a) { return a; }

// Rounding, sign and exponent helpers for the math in math.hpp (same names for every ISA).
STEEPEST_HD inline float floor(float a) { return __builtin_floorf(a); }
STEEPEST_HD inline double floor(double a) { return __builtin_floor(a); }
// Nearest integer, ties to even (the default rounding mode).
STEEPEST_HD inline float round_even(float a) { return __builtin_rintf(a); }
STEEPEST_HD inline double round_even(double a) { return __builtin_rint(a); }
// |mag| with the sign bit of sgn.
STEEPEST_HD inline float copysign(float mag, float sgn) { return __builtin_copysignf(mag, sgn); }
STEEPEST_HD inline double copysign(double mag, double sgn) { return __builtin_copysign(mag, sgn); }
// 2^n for an integral n in [-126, 127], built from the exponent bits (float lanes only).
STEEPEST_HD inline float pow2i(float n) { return __builtin_bit_cast(float, uint32_t(int32_t(n) + 127) << 23); }
// For a normal x: its unbiased binary exponent as a float, and |x| scaled into [1, 2).
STEEPEST_HD inline float exponent(float x) {
  return float(int32_t((__builtin_bit_cast(uint32_t, x) >> 23) & 0xffu) - 127);
}
STEEPEST_HD inline float mantissa(float x) {
  return __builtin_bit_cast(float, (__builtin_bit_cast(uint32_t, x) & 0x007fffffu) | 0x3f800000u);
}
// True if any lane of the mask is set.
STEEPEST_HD inline bool any_lane(bool m) { return m; }

}  // namespace steepest::kernels::STEEPEST_ISA
