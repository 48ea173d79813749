// Scalar special functions in double for the unary kernels that have no SIMD polynomial:
// erfc (the C library's) and erfinv (a starting guess refined by Newton steps on erf / erfc).
// Float lanes compute in double and round once, so they are correctly rounded up to the last
// bit of the double result; every ISA calls the same code, so every ISA gives the same bits.
// Host-device: the CUDA kernel runs the same steps over CUDA's libm (erf, erfc, exp, log1p
// may differ from the C library's in the last bit of a double).
#pragma once
#include <math.h>

#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::kernels::special {

STEEPEST_HD inline double erfc(double x) { return ::erfc(x); }

// erfinv(y): the x with erf(x) = y, for -1 <= y <= 1 (NaN outside, +-inf at +-1, -0 kept).
// The guess is Giles' single-precision approximation (w = -log((1-y)(1+y)), a polynomial in
// w on each side of 5), within ~1e-7 relative for |y| < 1 - 1e-7 and a few percent beyond.
// Newton steps refine it to double rounding: on erf(x) - |y| for |y| < 1/2, and on
// log erfc(x) - log(1 - |y|) above, where 1 - |y| is exact and the log makes the function
// nearly quadratic in x, so even the tail's rough guess converges in a few steps.
// tol: stop once a step is below tol |x|. Newton's error after a step s is about |x| s^2
// (erf'' / erf' = -2x): 1e-9 leaves nothing a double can hold; float lanes pass 1e-6, which
// leaves ~x^2 1e-12 relative, far below a float's half ulp, in one step from the guess.
STEEPEST_HD inline double erfinv(double y, double tol = 1e-9) {
  if (y != y || y < -1.0 || y > 1.0) return double(NAN);
  if (y == 1.0) return double(INFINITY);
  if (y == -1.0) return -double(INFINITY);
  if (y == 0.0) return y;  // keeps the sign of zero
  double a = ::fabs(y);
  double w = -(::log1p(-a) + ::log1p(a));  // -log(1 - a^2) without rounding a^2
  double p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = ::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * a;
  const double two_over_sqrt_pi = 1.1283791670955126;  // d erf / dx = this * exp(-x^2)
  const double log_rest = ::log1p(-a);
  for (int i = 0; i < 8; ++i) {
    double d = two_over_sqrt_pi * ::exp(-x * x);
    double step;
    if (a < 0.5) {
      step = (::erf(x) - a) / d;
    } else {
      double c = ::erfc(x);
      step = (::log(c) - log_rest) / (-d / c);
    }
    x -= step;
    if (!(::fabs(step) > tol * ::fabs(x))) break;  // converged (NaN stops too)
  }
  return ::copysign(x, y);
}

}  // namespace steepest::kernels::special
