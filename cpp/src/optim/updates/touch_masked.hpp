// A memory-traffic limit for updates that leave some state unwritten (SophiaG reads its
// Hessian EMA but doesn't write it): Touch, but the last array is only read.
#pragma once
#include "optim/updates/touch.hpp"

namespace steepest::optim::updates {

inline namespace STEEPEST_UPDATES_ABI {

template <class T, int K>
struct TouchLastReadOnly : Touch<T, K> {
  static constexpr unsigned kReadOnly = 1u << (K - 1);
  STEEPEST_HOST_DEVICE explicit TouchLastReadOnly(const TouchStep& s) : Touch<T, K>(s) {}
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
