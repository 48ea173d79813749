// Dispatch stub of rounded division and remainders (elementwise family). The op has checked
// dtypes (no bool), chosen the compute dtype ct, allocated out (or checked the in-place
// target) and, for integer ct, checked that no divisor is zero.
#pragma once
#include "dispatch/stub.hpp"
#include "ops/operand.hpp"

namespace steepest::dispatch {

enum class DivModOp : uint8_t {
  DivTrunc,   // a / b rounded toward zero
  DivFloor,   // a / b rounded down (floats: Python's float floor division)
  Remainder,  // a - b * floor(a / b): the divisor's sign
  Fmod,       // a - b * trunc(a / b): the dividend's sign
};

using DivModKernel = void (*)(DivModOp op, const Tensor& out, const detail::Operand& a, const detail::Operand& b,
                              DType ct);

STEEPEST_DECLARE_STUB(DivModKernel, divmod_stub);

}  // namespace steepest::dispatch
