// Special functions with no SIMD polynomial: the complementary and the inverse error function
// (erf itself is nn::functional's fused activation). Differentiable; integer and bool inputs
// compute in the default float dtype.
#pragma once
#include "../tensor.hpp"

namespace steepest {

Tensor erfc(const Tensor& a);    // 1 - erf(a), with full relative accuracy where erf(a) is near 1
Tensor erfinv(const Tensor& a);  // the x with erf(x) = a: NaN outside [-1, 1], +-inf at +-1
Tensor& erfc_(Tensor& a);
Tensor& erfinv_(Tensor& a);

}  // namespace steepest
