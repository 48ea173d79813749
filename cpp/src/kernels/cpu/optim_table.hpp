// The optimizer part of the CPU kernel table: one chunk kernel per update rule (each reads
// its per-step scalars from an updates::<Rule>Step) and the multi-tensor norm pieces.
// The multi-tensor driver in src/optim splits tensors into chunks and calls these.
#pragma once
#include <cstdint>

namespace steepest::kernels {

enum class OptimRule : uint8_t {
  SGD, Adam, Adagrad, RMSprop, NAdam, RAdam, Adamax, Lion, Touch,
  // SophiaG, Schedule-Free AdamW, LAMB, LARS, Muon's elementwise parts (optim2)
  Sophia, SophiaHessian, ScheduleFreeAdamW, LerpTo, LambMoments, ScaledAdd, Lars, MuonMomentum, TouchLastReadOnly,
  AdafactorVariance,
  Count
};
constexpr int kNumOptimRules = int(OptimRule::Count);

// Updates n elements: arrays[0] is the param, arrays[1] its grad, the rest the rule's state,
// each pointing at the chunk's first element. `step` points at the rule's Step struct.
using OptimUpdateFn = void (*)(const void* step, void* const* arrays, int64_t n);

template <class T>
struct OptimKernels {
  OptimUpdateFn update[kNumOptimRules] = {};
  // Norm pieces of n contiguous values. Sums accumulate in float32 leaves of at most 1024
  // values (per lane) and add the leaves in double; max_abs propagates NaN.
  double (*sum_sq)(const T* x, int64_t n) = nullptr;
  double (*sum_abs)(const T* x, int64_t n) = nullptr;
  T (*max_abs)(const T* x, int64_t n) = nullptr;
  // x[i] *= s (clipping grads by a norm)
  void (*scale)(T* x, int64_t n, T s) = nullptr;
};

}  // namespace steepest::kernels
