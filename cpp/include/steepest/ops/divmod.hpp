// Rounded division and remainders, broadcasting with torch's promotion (integers stay
// integers): div with a rounding mode, floor_divide, remainder (the divisor's sign, as
// Python's %) and fmod (the dividend's sign, as C's fmod). Integer division by zero raises
// steepest::Error("ZeroDivisionError"), as torch; floating division by zero gives inf/NaN.
#pragma once
#include "elementwise.hpp"

namespace steepest {

enum class RoundingMode : uint8_t { None, Trunc, Floor };

Tensor div(const Tensor& a, const Tensor& b, RoundingMode mode);
Tensor div(const Tensor& a, Scalar b, RoundingMode mode);
Tensor div(Scalar a, const Tensor& b, RoundingMode mode);
Tensor& div_(Tensor& a, const Tensor& b, RoundingMode mode);
Tensor& div_(Tensor& a, Scalar b, RoundingMode mode);
Tensor floor_divide(const Tensor& a, const Tensor& b);  // div(a, b, Floor), not differentiable
Tensor floor_divide(const Tensor& a, Scalar b);
Tensor floor_divide(Scalar a, const Tensor& b);
Tensor& floor_divide_(Tensor& a, const Tensor& b);
Tensor& floor_divide_(Tensor& a, Scalar b);
Tensor remainder(const Tensor& a, const Tensor& b);  // a - b * floor(a / b)
Tensor remainder(const Tensor& a, Scalar b);
Tensor remainder(Scalar a, const Tensor& b);
Tensor& remainder_(Tensor& a, const Tensor& b);
Tensor& remainder_(Tensor& a, Scalar b);
Tensor fmod(const Tensor& a, const Tensor& b);  // a - b * trunc(a / b)
Tensor fmod(const Tensor& a, Scalar b);
Tensor& fmod_(Tensor& a, const Tensor& b);
Tensor& fmod_(Tensor& a, Scalar b);

}  // namespace steepest
