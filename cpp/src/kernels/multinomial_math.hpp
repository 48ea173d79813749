// The per-sample math of multinomial that both backends run (host-device) on the same Philox
// uniforms: with replacement, the category a uniform picks from a row's running sums; without,
// each category's finishing time in the exponential race.
#pragma once
#include <math.h>

#include <cstdint>

#include "steepest/half.hpp"  // STEEPEST_HD

namespace steepest::kernels {

// The first category whose running sum acc exceeds target (the last when none does), moved
// down past zero-probability categories (pr) that rounding at the top could land on.
STEEPEST_HD inline int64_t multinomial_pick(const double* acc, const double* pr, int64_t k, double target) {
  int64_t lo = 0, hi = k;  // upper bound: the first acc > target
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (!(target < acc[mid])) lo = mid + 1;
    else hi = mid;
  }
  int64_t c = lo < k - 1 ? lo : k - 1;
  while (c > 0 && pr[c] == 0) --c;
  return c;
}

// E = -log1p(-u) / p: a category's time in the race (never finishing when p is 0).
STEEPEST_HD inline double multinomial_race_time(double p, double u) {
  return p > 0 ? -::log1p(-u) / p : double(INFINITY);
}

}  // namespace steepest::kernels
