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

// Mixed precision: how each array of an update is stored. The update itself always runs on
// float32 values (the rule's float kernel); loads widen, stores round (to nearest even, or
// stochastically for a bfloat16 param).
enum class StoreKind : uint8_t { F32 = 0, BF16 = 1, F16 = 2 };

// One chunk of a mixed-precision row: arrays as in OptimUpdateFn (null = unused), each stored
// as kinds[k]. With master weights arrays[0] is the float32 master and `out` the low-precision
// param it is rounded into after the update.
struct MixedChunk {
  void* arrays[6] = {};
  StoreKind kinds[6] = {};
  void* out = nullptr;
  StoreKind out_kind = StoreKind::F32;
  // Stochastic rounding of the bfloat16 param: the 16 random bits of element e (counted from
  // the param's first element) come from the Philox-4x32-10 block with key `seed` and counter
  // (lo32(e / 8), hi32(e / 8), sr_step, sr_param), word (e % 8) / 2, half e % 2 (low first).
  bool stochastic = false;
  uint64_t seed = 0;
  uint32_t sr_step = 0, sr_param = 0;
  int64_t first = 0;  // element index (in the param) of the chunk's first element
};
// Runs the float32 update `f32` over n elements of a mixed chunk, converting in blocks.
using OptimMixedFn = void (*)(OptimUpdateFn f32, const void* step, const MixedChunk& c, int64_t n);

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
  // Mixed-precision runner (set in the float table only).
  OptimMixedFn update_mixed = nullptr;
};

}  // namespace steepest::kernels
