// Argument checks shared by the schedule functions: each failure names the function and the
// argument, so `schedule::cosine(..., T_max=0)` says "cosine: T_max must be >= 1, got 0".
#pragma once
#include <cmath>
#include <cstdint>

#include "steepest/error.hpp"

namespace steepest::schedule::detail {

inline void check_step(const char* fn, int64_t step) {
  STEEPEST_CHECK(step >= 0, ValueError, fn, ": step must be >= 0, got ", step);
}
inline void check_finite(const char* fn, const char* arg, double v) {
  STEEPEST_CHECK(std::isfinite(v), ValueError, fn, ": ", arg, " must be a finite number, got ", v);
}
inline void check_at_least(const char* fn, const char* arg, int64_t v, int64_t lo) {
  STEEPEST_CHECK(v >= lo, ValueError, fn, ": ", arg, " must be >= ", lo, ", got ", v);
}
inline void check_nonnegative(const char* fn, const char* arg, double v) {
  STEEPEST_CHECK(std::isfinite(v) && v >= 0, ValueError, fn, ": ", arg, " must be a finite number >= 0, got ", v);
}
inline void check_unit(const char* fn, const char* arg, double v) {
  STEEPEST_CHECK(v >= 0 && v <= 1, ValueError, fn, ": ", arg, " must be in [0, 1], got ", v);
}

}  // namespace steepest::schedule::detail
