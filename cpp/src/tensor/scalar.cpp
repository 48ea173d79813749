// check_scalar_fits: whether a Python number has a value in a dtype, so writing it into a
// tensor can't wrap (an int32 filled with 2**40 would silently hold 0).
#include "steepest/error.hpp"
#include "steepest/scalar.hpp"

namespace steepest {

namespace {
// The C++ type names torch's message uses for each integer dtype.
const char* cpp_type_name(DType d) { return d == DType::Int32 ? "int" : "int64_t"; }
}  // namespace

void check_scalar_fits(Scalar value, DType dtype) {
  if ((dtype != kInt32 && dtype != kInt64) || value.is_bool()) return;
  bool fits = true;
  double lo = dtype == kInt32 ? -2147483648.0 : -9223372036854775808.0;  // -2^31, -2^63
  if (value.is_int()) {
    fits = dtype == kInt64 || (value.to_int() >= int64_t(lo) && value.to_int() <= -int64_t(lo) - 1);
  } else {
    double v = value.to_double();  // NaN fails both comparisons; 2^63 itself is out of range
    fits = v >= lo && v < -lo;
  }
  STEEPEST_CHECK(fits, Error, "value cannot be converted to type ", cpp_type_name(dtype), " without overflow");
}

}  // namespace steepest
