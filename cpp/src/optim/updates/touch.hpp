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
      if (k != kGrad) x[k] = x[k] + x[kGrad];
  }
};

// Touch over 2..6 slots (Step::arrays of them).
template <template <class, int> class F, class T, class Fn>
STEEPEST_HOST_DEVICE void visit_touch(int arrays, const TouchStep& s, Fn&& fn) {
  switch (arrays) {
    case 2: return fn(F<T, 2>(s));
    case 3: return fn(F<T, 3>(s));
    case 4: return fn(F<T, 4>(s));
    case 5: return fn(F<T, 5>(s));
    default: return fn(F<T, 6>(s));
  }
}
struct TouchKernel {
  using Step = TouchStep;
  static constexpr bool kLowPrecision = false;
  template <class T, class Fn> STEEPEST_HOST_DEVICE static void visit(const Step& s, Fn&& fn) {
    visit_touch<Touch, T>(s.arrays, s, fn);
  }
};

}  // namespace STEEPEST_UPDATES_ABI
}  // namespace steepest::optim::updates
