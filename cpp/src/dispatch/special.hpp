// Dispatch stub of the special functions without a SIMD polynomial (erfc, erfinv): the op has
// chosen the floating compute dtype ct (integer and bool inputs compute in the default float
// dtype) and allocated out (or checked the in-place target).
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

enum class SpecialOp : uint8_t { Erfc, Erfinv };

using SpecialKernel = void (*)(SpecialOp op, const Tensor& out, const Tensor& x, DType ct);

STEEPEST_DECLARE_STUB(SpecialKernel, special_stub);

}  // namespace steepest::dispatch
