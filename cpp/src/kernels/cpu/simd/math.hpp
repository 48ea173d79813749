// Transcendental functions written once over a value type V (float or VecF, double or VecD),
// so the scalar reference and every SIMD path run the same algorithm and give the same bits.
// float: range reduction + polynomial, <= 2 ulp over the whole range, with inf/-inf/NaN/-0,
// denormal inputs and results, overflow and underflow handled as libm does. double: libm
// per lane (a double polynomial with Payne-Hanek reduction is not worth it here).
#pragma once
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {

template <class V> using elem_t = decltype(reduce_add(V{}));
template <class V> constexpr bool is_f64 = std::is_same_v<elem_t<V>, double>;
template <class V> STEEPEST_HD inline V vconst(elem_t<V> c) { return vbroadcast<V>(c); }

// f applied to each lane: libm calls for double lanes and the rare scalar fallbacks.
template <class V, class F>
STEEPEST_HD inline V map_lanes(V x, F f) {
  if constexpr (std::is_arithmetic_v<V>) {
    return f(x);
  } else {
    alignas(64) elem_t<V> b[lanes<V>()];
    vstore(b, x);
    for (int i = 0; i < lanes<V>(); ++i) b[i] = f(b[i]);
    return vload<V>(b);
  }
}
template <class V, class F>
STEEPEST_HD inline V map_lanes2(V x, V y, F f) {
  if constexpr (std::is_arithmetic_v<V>) {
    return f(x, y);
  } else {
    alignas(64) elem_t<V> a[lanes<V>()], b[lanes<V>()];
    vstore(a, x);
    vstore(b, y);
    for (int i = 0; i < lanes<V>(); ++i) a[i] = f(a[i], b[i]);
    return vload<V>(a);
  }
}

namespace mathc {
constexpr float kLog2e = 0x1.715476p+0f;
// ln 2 = kLn2Hi + kLn2Lo; with fma, n * kLn2Hi is exact inside the reduction.
constexpr float kLn2Hi = 0x1.62e430p-1f;
constexpr float kLn2Lo = -0x1.05c610p-29f;
// pi/2 = kPio2A + kPio2B + kPio2C (72 bits), for Cody-Waite reduction with fma.
constexpr float k2OverPi = 0x1.45f306p-1f;
constexpr float kPio2A = 0x1.921fb6p+0f;
constexpr float kPio2B = -0x1.777a5cp-25f;
constexpr float kPio2C = -0x1.ee59dap-50f;
// Above this |x| the 3-part reduction loses bits; such lanes are done in double by libm.
constexpr float kSinCosLimit = 65536.0f;
constexpr float kSqrt2 = 0x1.6a09e6p+0f;
constexpr float kMinNormal = 0x1p-126f;
constexpr float kInf = __builtin_inff();
}  // namespace mathc

// e^r - 1 for |r| <= ln2/2: r + r^2 (1/2! + r/3! + ... + r^6/8!), Taylor, truncation < 1e-9 relative.
template <class V>
STEEPEST_HD inline V expm1_kernel_f32(V r) {
  V p = vconst<V>(float(1.0 / 40320));
  p = fma(p, r, vconst<V>(float(1.0 / 5040)));
  p = fma(p, r, vconst<V>(float(1.0 / 720)));
  p = fma(p, r, vconst<V>(float(1.0 / 120)));
  p = fma(p, r, vconst<V>(float(1.0 / 24)));
  p = fma(p, r, vconst<V>(float(1.0 / 6)));
  p = fma(p, r, vconst<V>(0.5f));
  return fma(r * r, p, r);
}

// x = n ln2 + r with |r| <= ln2/2 (n integral).
template <class V>
STEEPEST_HD inline V reduce_ln2_f32(V x, V& n) {
  n = round_even(x * vconst<V>(mathc::kLog2e));
  V r = fma(n, vconst<V>(-mathc::kLn2Hi), x);
  return fma(n, vconst<V>(-mathc::kLn2Lo), r);
}

// p * 2^n for integral n in [-150, 128]: two exact-range scalings, so denormal results and
// overflow to inf come out of the multiplies (one rounding, in the last one).
template <class V>
STEEPEST_HD inline V scale2_f32(V p, V n) {
  V n1 = floor(n * vconst<V>(0.5f));
  return (p * pow2i(n1)) * pow2i(n - n1);
}

template <class V>
STEEPEST_HD inline V exp_f32(V x) {
  // Outside [-104, 89] the result is 0 or inf anyway; clamping keeps n in scale2's range.
  V xc = min_raw(max_raw(x, vconst<V>(-104.0f)), vconst<V>(89.0f));
  V n;
  V r = reduce_ln2_f32(xc, n);
  V p = expm1_kernel_f32(r) + vconst<V>(1.0f);
  V y = scale2_f32(p, n);
  return select(isnan(x), x, y);
}

template <class V>
STEEPEST_HD inline V expm1_f32(V x) {
  V xc = min_raw(max_raw(x, vconst<V>(-18.0f)), vconst<V>(89.0f));
  V n;
  V r = reduce_ln2_f32(xc, n);
  V q = expm1_kernel_f32(r);
  // n <= 24: 2^n q + (2^n - 1), where 2^n - 1 is exact, rounded once by the fma.
  V t = pow2i(min_raw(n, vconst<V>(24.0f)));
  V small = fma(t, q, t - vconst<V>(1.0f));
  // n > 24: the -1 is below half an ulp of e^x.
  V big = scale2_f32(q + vconst<V>(1.0f), n) - vconst<V>(1.0f);
  V y = select(cmp_gt(n, vconst<V>(24.0f)), big, small);
  return select(isnan(x) | cmp_eq(x, vconst<V>(0.0f)), x, y);  // keeps -0
}

template <class V>
STEEPEST_HD inline V log_f32(V x) {
  using namespace mathc;
  // Denormals: scale into the normal range first.
  auto tiny = cmp_lt(x, vconst<V>(kMinNormal));
  V xs = select(tiny, x * vconst<V>(8388608.0f), x);
  V e = exponent(xs) - select(tiny, vconst<V>(23.0f), vconst<V>(0.0f));
  V m = mantissa(xs);  // [1, 2)
  auto hi = cmp_gt(m, vconst<V>(kSqrt2));
  m = select(hi, m * vconst<V>(0.5f), m);  // [sqrt(1/2), sqrt(2)]
  e = select(hi, e + vconst<V>(1.0f), e);
  // log(1+f) = f - hfsq + s (hfsq + R), s = f / (2 + f), R ~ 2 s^2/3 + 2 s^4/5 + ... (atanh series).
  V f = m - vconst<V>(1.0f);
  V s = f / (f + vconst<V>(2.0f));
  V z = s * s;
  V R = fma(z, vconst<V>(2.0f / 9), vconst<V>(2.0f / 7));
  R = fma(z, R, vconst<V>(2.0f / 5));
  R = fma(z, R, vconst<V>(2.0f / 3));
  R = z * R;
  V hfsq = vconst<V>(0.5f) * f * f;
  V inner = fma(s, hfsq + R, e * vconst<V>(kLn2Lo));
  V y = fma(e, vconst<V>(kLn2Hi), f - (hfsq - inner));
  y = select(cmp_lt(x, vconst<V>(0.0f)), vconst<V>(__builtin_nanf("")), y);
  y = select(cmp_eq(x, vconst<V>(0.0f)), vconst<V>(-kInf), y);
  y = select(cmp_eq(x, vconst<V>(kInf)), x, y);
  return select(isnan(x), x, y);
}

// sin (kCos = false) or cos of x: x = j pi/2 + r, |r| <= pi/4, then the quadrant j mod 4
// picks +-sin(r) or +-cos(r).
template <bool kCos, class V>
STEEPEST_HD inline V sincos_f32(V x) {
  using namespace mathc;
  V j = round_even(x * vconst<V>(k2OverPi));
  V r = fma(j, vconst<V>(-kPio2A), x);
  r = fma(j, vconst<V>(-kPio2B), r);
  r = fma(j, vconst<V>(-kPio2C), r);
  V z = r * r;
  // sin r = r + r^3 (-1/3! + z/5! - z^2/7! + z^3/9!); cos r = 1 - z/2 + z^2 (1/4! - z/6! + ...).
  V ps = fma(z, vconst<V>(float(1.0 / 362880)), vconst<V>(float(-1.0 / 5040)));
  ps = fma(z, ps, vconst<V>(float(1.0 / 120)));
  ps = fma(z, ps, vconst<V>(float(-1.0 / 6)));
  V sn = fma(r * z, ps, r);
  V pc = fma(z, vconst<V>(float(-1.0 / 3628800)), vconst<V>(float(1.0 / 40320)));
  pc = fma(z, pc, vconst<V>(float(-1.0 / 720)));
  pc = fma(z, pc, vconst<V>(float(1.0 / 24)));
  V cs = fma(z * z, pc, fma(z, vconst<V>(-0.5f), vconst<V>(1.0f)));
  if constexpr (kCos) j = j + vconst<V>(1.0f);  // cos x = sin(x + pi/2)
  V h = j * vconst<V>(0.5f);
  auto odd = cmp_ne(h, floor(h));
  V q = j * vconst<V>(0.25f);
  auto neg = cmp_ge(q - floor(q), vconst<V>(0.5f));
  V y = select(odd, cs, sn);
  y = select(neg, -y, y);
  if constexpr (!kCos) y = select(cmp_eq(x, vconst<V>(0.0f)), x, y);  // sin(-0) = -0
  auto far = cmp_gt(abs(x), vconst<V>(kSinCosLimit)) | isnan(x);
  if (any_lane(far)) {
    V d = map_lanes(x, [](float v) {
      return float(kCos ? __builtin_cos(double(v)) : __builtin_sin(double(v)));
    });
    y = select(far, d, y);
  }
  return y;
}

// tanh x = sign(x) t / (t + 2), t = expm1(2|x|): no cancellation anywhere; |x| >= 10 gives 1.
template <class V>
STEEPEST_HD inline V tanh_f32(V x) {
  V a = min_raw(abs(x), vconst<V>(10.0f));
  V t = expm1_f32(a + a);
  V y = copysign(t / (t + vconst<V>(2.0f)), x);
  return select(isnan(x), x, y);
}

// The functions the kernels call, float or double.
template <class V>
STEEPEST_HD inline V exp(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_exp(v); });
  else return exp_f32(x);
}
template <class V>
STEEPEST_HD inline V expm1(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_expm1(v); });
  else return expm1_f32(x);
}
// log(1 + x): libm's log1p per lane in double for both widths (the float result is then
// correctly rounded almost always, and ISA-independent like pow below).
template <class V>
STEEPEST_HD inline V log1p(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_log1p(v); });
  else return map_lanes(x, [](float v) { return float(__builtin_log1p(double(v))); });
}
template <class V>
STEEPEST_HD inline V log(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_log(v); });
  else return log_f32(x);
}
template <class V>
STEEPEST_HD inline V sin(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_sin(v); });
  else return sincos_f32<false>(x);
}
template <class V>
STEEPEST_HD inline V cos(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_cos(v); });
  else return sincos_f32<true>(x);
}
template <class V>
STEEPEST_HD inline V tanh(V x) {
  if constexpr (is_f64<V>) return map_lanes(x, [](double v) { return __builtin_tanh(v); });
  else return tanh_f32(x);
}
// 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: e^-|x| never overflows, and tiny
// results for very negative x keep their precision (down to denormals).
template <class V>
STEEPEST_HD inline V sigmoid(V x) {
  V e = exp(-abs(x));
  V num = select(cmp_ge(x, vconst<V>(0)), vconst<V>(1), e);
  return num / (vconst<V>(1) + e);
}
// float pow goes through double pow: exact enough that the float result is correctly rounded
// almost always, with all of C's special cases.
template <class V>
STEEPEST_HD inline V pow(V x, V y) {
  if constexpr (is_f64<V>)
    return map_lanes2(x, y, [](double a, double b) { return __builtin_pow(a, b); });
  else
    return map_lanes2(x, y, [](float a, float b) { return float(__builtin_pow(double(a), double(b))); });
}

}  // namespace steepest::kernels::STEEPEST_ISA
