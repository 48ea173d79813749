// The optimizer part of the CPU kernel table: for every update kernel of optim/updates/all.hpp
// a chunk function per storage precision, and the multi-tensor norm pieces. The driver
// (optim/driver.cpp) splits tensors into chunks and calls these.
#pragma once
#include <cstdint>

#include "optim/updates/all.hpp"
#include "optim/updates/precision.hpp"

namespace steepest::kernels {

using optim::updates::KernelId;
using optim::updates::kNumKernels;

// Updates n elements: arrays[slot] points at the chunk's first element of that slot (param,
// grad, state...; null for slots the update doesn't use). `step` points at the kernel's Step.
using OptimUpdateFn = void (*)(const void* step, void* const* arrays, int64_t n);

using optim::updates::kMixedModes;
using optim::updates::kNumMixedModes;
using optim::updates::MixedMode;
using optim::updates::StoreKind;

// One chunk of a mixed-precision row: arrays by slot (null = unused) stored as the mode says;
// with master weights `out` is the low-precision param the master is rounded into.
struct MixedChunk {
  void* arrays[optim::updates::kMaxSlots] = {};
  void* out = nullptr;
  // Stochastic rounding of a bfloat16 param: the 16 random bits of element e (counted from
  // the param's first element) come from the Philox-4x32-10 block with key `seed` and counter
  // (lo32(e / 8), hi32(e / 8), sr_step, sr_param), word (e % 8) / 2, half e % 2 (low first).
  bool stochastic = false;
  uint64_t seed = 0;
  uint32_t sr_step = 0, sr_param = 0;
  int64_t first = 0;  // element index (in the param) of the chunk's first element
};
using OptimMixedFn = void (*)(const void* step, const MixedChunk& c, int64_t n);

template <class T>
struct OptimKernels {
  OptimUpdateFn update[kNumKernels] = {};
  // Norm pieces of n contiguous values. Sums accumulate in float32 leaves of at most 1024
  // values (per lane) and add the leaves in double; max_abs propagates NaN.
  double (*sum_sq)(const T* x, int64_t n) = nullptr;
  double (*sum_abs)(const T* x, int64_t n) = nullptr;
  T (*max_abs)(const T* x, int64_t n) = nullptr;
  // x[i] *= s (clipping grads by a norm)
  void (*scale)(T* x, int64_t n, T s) = nullptr;
  // Mixed precision (float table only; null for kernels without kLowPrecision).
  OptimMixedFn mixed[kNumKernels][kNumMixedModes] = {};
};

}  // namespace steepest::kernels
