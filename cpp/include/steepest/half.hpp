// bfloat16 and float16 storage types. Math happens in float32; conversions round to
// nearest, ties to even, and keep NaN a NaN. Usable from host and (later) device code.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define STEEPEST_HD __host__ __device__
#else
#define STEEPEST_HD
#endif

namespace steepest {

STEEPEST_HD inline uint32_t f32_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
STEEPEST_HD inline float f32_from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

struct bfloat16 {
  uint16_t bits = 0;
  bfloat16() = default;
  STEEPEST_HD bfloat16(float f) : bits(round(f)) {}
  STEEPEST_HD operator float() const { return f32_from_bits(uint32_t(bits) << 16); }
  STEEPEST_HD static bfloat16 from_bits(uint16_t b) { bfloat16 h; h.bits = b; return h; }
  STEEPEST_HD static uint16_t round(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);                                         // ties to even
    return uint16_t(u >> 16);
  }
};

struct float16 {
  uint16_t bits = 0;
  float16() = default;
  STEEPEST_HD float16(float f) : bits(round(f)) {}
  STEEPEST_HD operator float() const { return widen(bits); }
  STEEPEST_HD static float16 from_bits(uint16_t b) { float16 h; h.bits = b; return h; }

  STEEPEST_HD static float widen(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (man << 13));  // inf / NaN
    if (exp == 0) {                                                           // zero / subnormal
      float f = float(man) * (1.0f / 16777216.0f);                            // man * 2^-24
      return sign ? -f : f;
    }
    return f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
  }
  STEEPEST_HD static uint16_t round(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = uint16_t((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return uint16_t(sign | 0x7e00u);       // NaN
    if (a >= 0x477ff000u) return uint16_t(sign | 0x7c00u);      // rounds to >= 65520: inf
    if (a < 0x38800000u) {                                      // below 2^-14: subnormal half
      // value / 2^-24 rounded to nearest even integer gives the subnormal mantissa.
      float scaled = f32_from_bits(a) * 16777216.0f;
      // Adding 2^23 makes the float unit's rounding do round-to-nearest-even for us.
      float r = scaled + 8388608.0f;
      return uint16_t(sign | (f32_bits(r) - 0x4b000000u));
    }
    uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u);           // ties to even at bit 13
    return uint16_t(sign | ((rounded - 0x38000000u) >> 13));
  }
};

}  // namespace steepest
