// float8_e4m3fn and float8_e5m2 storage types (the OCP FP8 formats). Math happens in
// float32; conversions from float32 round to nearest, ties to even. Out-of-range values
// follow torch's `.to()`: e4m3fn (which has no infinity) saturates to +-448, infinities
// included; e5m2 overflows to +-inf. A NaN stays a NaN with its sign (payload 0x7f).
// `saturate_*` clamps to the finite range first, as FP8 training recipes cast.
#pragma once
#include <cstdint>

#include "half.hpp"

namespace steepest {

namespace fp8_detail {

// Rounds |f| (f32 bits `a`, NaN and inf already handled) to the E-exponent-bit, M-mantissa-bit
// format with bias B, returning its magnitude bits; values past the largest exponent come
// back as the bit pattern after it (the caller decides between saturation and inf).
template <int M, int B>
STEEPEST_HD inline uint32_t round_magnitude(uint32_t a) {
  // Below the smallest normal 2^(1-B): a subnormal, whose mantissa is |f| / 2^(1-B-M)
  // rounded to the nearest even integer (adding 2^23 lets the float unit round for us).
  // A result of 2^M is the smallest normal's encoding, so carrying into it is correct.
  if (a < uint32_t(128 - B) << 23) {
    float scaled = f32_from_bits(a) * f32_from_bits(uint32_t(127 + B - 1 + M) << 23);
    return f32_bits(scaled + 8388608.0f) - 0x4b000000u;
  }
  constexpr int kDrop = 23 - M;
  uint32_t rounded = a + ((1u << (kDrop - 1)) - 1u) + ((a >> kDrop) & 1u);  // ties to even
  return (rounded - (uint32_t(127 - B) << 23)) >> kDrop;
}

}  // namespace fp8_detail

struct float8_e4m3fn {
  uint8_t bits = 0;
  static constexpr float kMax = 448.0f;
  float8_e4m3fn() = default;
  STEEPEST_HD float8_e4m3fn(float f) : bits(round(f)) {}
  STEEPEST_HD operator float() const { return widen(bits); }
  STEEPEST_HD static float8_e4m3fn from_bits(uint8_t b) { float8_e4m3fn h; h.bits = b; return h; }

  STEEPEST_HD static float widen(uint8_t b) {
    uint32_t sign = uint32_t(b & 0x80u) << 24, exp = (b >> 3) & 0xfu, man = b & 0x7u;
    if (exp == 0xf && man == 0x7) return f32_from_bits(sign | 0x7fc00000u);  // the only NaN
    if (exp == 0) {                                                         // zero / subnormal
      float f = float(man) * (1.0f / 512.0f);                               // man * 2^-9
      return sign ? -f : f;
    }
    return f32_from_bits(sign | ((exp + 120) << 23) | (man << 20));
  }
  STEEPEST_HD static uint8_t round(float f) {
    uint32_t u = f32_bits(f);
    uint8_t sign = uint8_t((u >> 24) & 0x80u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return uint8_t(sign | 0x7fu);  // NaN
    if (a >= 0x43e00000u) return uint8_t(sign | 0x7eu);  // >= 448 (inf included): saturate
    return uint8_t(sign | fp8_detail::round_magnitude<3, 7>(a));
  }
};

struct float8_e5m2 {
  uint8_t bits = 0;
  static constexpr float kMax = 57344.0f;
  float8_e5m2() = default;
  STEEPEST_HD float8_e5m2(float f) : bits(round(f)) {}
  STEEPEST_HD operator float() const { return widen(bits); }
  STEEPEST_HD static float8_e5m2 from_bits(uint8_t b) { float8_e5m2 h; h.bits = b; return h; }

  STEEPEST_HD static float widen(uint8_t b) {
    uint32_t sign = uint32_t(b & 0x80u) << 24, exp = (b >> 2) & 0x1fu, man = b & 0x3u;
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (man << 21));  // inf / NaN
    if (exp == 0) {                                                           // zero / subnormal
      float f = float(man) * (1.0f / 65536.0f);                               // man * 2^-16
      return sign ? -f : f;
    }
    return f32_from_bits(sign | ((exp + 112) << 23) | (man << 21));
  }
  STEEPEST_HD static uint8_t round(float f) {
    uint32_t u = f32_bits(f);
    uint8_t sign = uint8_t((u >> 24) & 0x80u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return uint8_t(sign | 0x7fu);  // NaN
    uint32_t m = a == 0x7f800000u ? 0x7cu : fp8_detail::round_magnitude<2, 15>(a);
    return uint8_t(sign | (m > 0x7cu ? 0x7cu : m));      // past 57344 (rounded): inf
  }
};

// Clamps to the format's finite range before rounding (NaN stays NaN): the cast an FP8
// training recipe uses, so an outlier never becomes inf.
template <class F8>
STEEPEST_HD inline F8 saturate_to(float f) {
  if (f > F8::kMax) f = F8::kMax;
  else if (f < -F8::kMax) f = -F8::kMax;
  return F8(f);
}

}  // namespace steepest
