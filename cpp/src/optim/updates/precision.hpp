// Storage precision of an optimizer update, shared by every backend: how the param, its grad
// and the state are stored when some are bfloat16/float16. The update always computes in
// float32; each mode is its own instantiation of a backend's run loop (the kinds are
// template arguments there), chosen per row by the driver.
#pragma once
#include <cstdint>

namespace steepest::optim::updates {

// How an array is stored. The update itself always runs on float32 values for low-precision
// storage: loads widen, stores round (to nearest even, or stochastically for a bfloat16 param).
enum class StoreKind : uint8_t { F32 = 0, BF16 = 1, F16 = 2 };

// A mixed-precision configuration: the param (and its grad) stored as `param`, the state
// slots as `state`, and with `master` a float32 master copy in the param's slot that is
// rounded into the low-precision param (MixedChunk::out) after the update. Each mode is a
// separate instantiation of the run loop (the kinds are template arguments).
struct MixedMode {
  StoreKind param, state;
  bool master;
};
constexpr MixedMode kMixedModes[] = {
    {StoreKind::F32, StoreKind::BF16, false},  {StoreKind::BF16, StoreKind::F32, false},
    {StoreKind::BF16, StoreKind::F32, true},   {StoreKind::BF16, StoreKind::BF16, false},
    {StoreKind::BF16, StoreKind::BF16, true},  {StoreKind::F16, StoreKind::F32, false},
    {StoreKind::F16, StoreKind::F32, true},    {StoreKind::F16, StoreKind::BF16, false},
    {StoreKind::F16, StoreKind::BF16, true},
};
constexpr int kNumMixedModes = int(sizeof(kMixedModes) / sizeof(kMixedModes[0]));
// The mode's index in kMixedModes, or -1 (all float32: not a mixed configuration).
constexpr int mixed_mode_index(StoreKind param, StoreKind state, bool master) {
  for (int i = 0; i < kNumMixedModes; ++i)
    if (kMixedModes[i].param == param && kMixedModes[i].state == state && kMixedModes[i].master == master) return i;
  return -1;
}

}  // namespace steepest::optim::updates
