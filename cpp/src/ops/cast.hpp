// Converting one element between any two storage types, with torch's C-like rules: floats
// truncate toward zero into ints, anything nonzero is true, 16-bit floats go through float.
#pragma once
#include <type_traits>

#include "steepest/dtype.hpp"

namespace steepest::detail {

// The narrow floats (16- and 8-bit): stored types that convert through float32. A double
// goes to them through float32 as well (two roundings, as torch converts).
template <class T> constexpr bool is_half_v = std::is_same_v<T, bfloat16> || std::is_same_v<T, float16> ||
                                              std::is_same_v<T, float8_e4m3fn> || std::is_same_v<T, float8_e5m2>;

template <class D, class S>
inline D cast_to(S s) {
  if constexpr (std::is_same_v<D, S>) return s;
  else if constexpr (is_half_v<S>) return cast_to<D>(float(s));
  else if constexpr (std::is_same_v<D, bool>) return s != S(0);
  else if constexpr (is_half_v<D>) return D(float(s));
  else return static_cast<D>(s);
}

}  // namespace steepest::detail
