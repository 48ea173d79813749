// The kernel table's float32 <-> bfloat16 / float16 conversion runs (isa/convert.cpp): on every
// instruction set they give the bits of steepest/half.hpp's scalar rules, for every 16-bit
// pattern (widen) and for float32 patterns covering every exponent, sign, NaN payload and
// rounding case (ties at both formats' cut bits), at every alignment and tail length.
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu/kernel_table.hpp"
#include "steepest/half.hpp"
#include "steepest/steepest.hpp"

using namespace steepest;

namespace {
struct IsaRestore {
  std::string before = current_isa();
  ~IsaRestore() { set_isa(before); }
};

float widen_ref(uint16_t h, bool f16) { return f16 ? float16::widen(h) : float(bfloat16::from_bits(h)); }
uint16_t narrow_ref(float x, bool f16) { return f16 ? float16::round(x) : bfloat16::round(x); }

// Float32 bit patterns: every upper half with low halves at and around both cut points
// (bfloat16 keeps 16 bits, float16's mantissa ends at bit 13), plus a stride over all 2^32.
std::vector<float> narrow_inputs() {
  const uint32_t lows[] = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x2000, 0x2fff, 0x3000, 0x3001,
                           0x7fff, 0x8000, 0x8001, 0xc000, 0xffff};
  std::vector<float> v;
  for (uint32_t hi = 0; hi < 0x10000u; ++hi)
    for (uint32_t lo : lows) v.push_back(f32_from_bits(hi << 16 | lo));
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 40961) v.push_back(f32_from_bits(uint32_t(u)));
  return v;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }
}  // namespace

TEST_CASE("bfloat16 / float16 conversion runs give half.hpp's bits on every ISA") {
  IsaRestore restore;
  std::vector<uint16_t> all16(0x10000);
  for (uint32_t h = 0; h < 0x10000u; ++h) all16[h] = uint16_t(h);
  const std::vector<float> floats = narrow_inputs();
  for (const std::string& isa : supported_isas()) {
    set_isa(isa);
    for (bool f16 : {false, true}) {
      CAPTURE(isa);
      CAPTURE(f16);
      const kernels::Convert16& cv = f16 ? kernels::cpu_kernels().f16 : kernels::cpu_kernels().bf16;
      REQUIRE(bool(cv.widen));
      REQUIRE(bool(cv.narrow));

      std::vector<float> w(all16.size());
      cv.widen(int64_t(all16.size()), all16.data(), w.data());
      int64_t widen_bad = 0;
      for (size_t i = 0; i < all16.size(); ++i) widen_bad += !same_bits(w[i], widen_ref(all16[i], f16));
      CHECK(widen_bad == 0);

      std::vector<uint16_t> nb(floats.size());
      cv.narrow(int64_t(floats.size()), floats.data(), nb.data());
      int64_t narrow_bad = 0;
      for (size_t i = 0; i < floats.size(); ++i) narrow_bad += nb[i] != narrow_ref(floats[i], f16);
      CHECK(narrow_bad == 0);

      // Every start offset and short length: the vector body, the tail, and nothing past n.
      for (int64_t off = 0; off < 5; ++off)
        for (int64_t n = 0; n <= 70; ++n) {
          std::vector<uint16_t> h16(size_t(n + 8), uint16_t(0xbeef));
          std::vector<float> f32(size_t(n + 8), -3.5f);
          cv.narrow(n, floats.data() + 1000 * off, h16.data() + off);
          cv.widen(n, all16.data() + 0x3f00 + off, f32.data() + off);
          bool ok = true;
          for (int64_t i = 0; i < n + 8; ++i) {
            const bool inside = i >= off && i < off + n;
            ok = ok && h16[size_t(i)] == (inside ? narrow_ref(floats[size_t(1000 * off + i - off)], f16) : 0xbeef);
            ok = ok && same_bits(f32[size_t(i)], inside ? widen_ref(uint16_t(0x3f00 + i), f16) : -3.5f);
          }
          CAPTURE(off);
          CAPTURE(n);
          CHECK(ok);
        }
    }
  }
}
