// A memory-traffic limit for updates that leave some state unwritten (SophiaG reads its
// Hessian EMA but doesn't write it): Touch, but the last array is only read.
#pragma once
#include "optim/updates/touch.hpp"

namespace steepest::optim::updates {

inline namespace STEEPEST_UPDATES_ABI {

template <class T, int K>
struct TouchLastReadOnly {
  static constexpr int kArrays = K;
  static constexpr unsigned kReadOnly = 1u << (K - 1);
  STEEPEST_HOST_DEVICE explicit TouchLastReadOnly(const TouchStep&) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    for (int k = 0; k < K - 1; ++k)
      if (k != kGrad) x[k] = x[k] + x[kGrad];
    x[kParam] = x[kParam] + x[K - 1];  // the read-only array feeds a stored value, so its load stays
  }
};

// Needs at least 3 slots (a read-only state after param and grad).
struct TouchLastReadOnlyKernel {
  using Step = TouchStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    visit_touch<TouchLastReadOnly, T>(s.arrays < 3 ? 3 : s.arrays, s, fn);
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
