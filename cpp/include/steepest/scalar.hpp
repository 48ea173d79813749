// A Python-number-like value (bool, int64 or double) for ops such as `t + 2` and fill_.
#pragma once
#include <cstdint>

#include "dtype.hpp"

namespace steepest {

class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };
  Scalar() : kind_(Kind::Int), i_(0) {}
  Scalar(bool b) : kind_(Kind::Bool), i_(b) {}
  Scalar(int v) : kind_(Kind::Int), i_(v) {}
  Scalar(int64_t v) : kind_(Kind::Int), i_(v) {}
  Scalar(float v) : kind_(Kind::Float), d_(v) {}
  Scalar(double v) : kind_(Kind::Float), d_(v) {}

  Kind kind() const { return kind_; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  double to_double() const { return kind_ == Kind::Float ? d_ : double(i_); }
  int64_t to_int() const { return kind_ == Kind::Float ? int64_t(d_) : i_; }
  template <class T> T to() const {
    if constexpr (std::is_same_v<T, bool>) return kind_ == Kind::Float ? d_ != 0 : i_ != 0;
    else if constexpr (std::is_integral_v<T>) return T(to_int());
    else return T(to_double());
  }
  // The dtype a Python number of this kind takes on its own: bool, int64, default float.
  DType natural_dtype() const {
    return kind_ == Kind::Bool ? kBool : kind_ == Kind::Int ? kInt64 : default_dtype();
  }

 private:
  Kind kind_;
  union { int64_t i_; double d_; };
};

// Raises steepest::Error "value cannot be converted to type int without overflow" (torch's
// words) when `value` has no representation in an integer `dtype`: out of its range, NaN or
// infinity. Writes of a Python number into a tensor (fill_, full, t[i] = v, masked_fill_)
// check with it instead of letting the conversion wrap. A float beyond a floating dtype's
// range is not refused: it rounds to infinity, as in torch.tensor and torch.full.
void check_scalar_fits(Scalar value, DType dtype);

}  // namespace steepest
