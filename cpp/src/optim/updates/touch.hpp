// The memory-traffic limit of an update: reads every array of the update and writes the
// same ones (everything but the grad) with one add each, so its time is what moving the
// bytes costs. Benchmarks compare each optimizer against it.
#pragma once
#include "optim/updates/common.hpp"

namespace steepest::optim::updates {

struct TouchStep {
  int arrays;  // 2..6: p, g, and up to four state arrays
};

inline namespace STEEPEST_UPDATES_ABI {

template <class T, int K>
struct Touch {
  static constexpr int kArrays = K;
  STEEPEST_HOST_DEVICE explicit Touch(const TouchStep&) {}
  template <class V> STEEPEST_HOST_DEVICE void operator()(V* x) const {
    for (int k = 0; k < K; ++k)
      if (k != 1) x[k] = x[k] + x[1];
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
