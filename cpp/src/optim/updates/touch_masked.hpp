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
      if (k != 1) x[k] = x[k] + x[1];
    x[0] = x[0] + x[K - 1];  // the read-only array feeds a stored value, so its load stays
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
