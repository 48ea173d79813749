// Which rows of an optimizer launch run as one, the same rule on every backend: an
// elementwise update gives the same bits on two rows whose arrays continue one another in
// memory as on their union, so such rows merge (fewer, longer rows; one row per arena).
// Stochastic rounding keys its bits on the param, so those rows never merge.
#pragma once
#include <cstdint>
#include <vector>

#include "optim/driver.hpp"
#include "optim/updates/precision.hpp"

namespace steepest::optim::detail {

// Bytes per element of slot k of a row (param, grad or a state array).
inline size_t row_slot_bytes(const Row& r, int k) {
  namespace up = optim::updates;
  auto size_of = [](up::StoreKind s) -> size_t { return s == up::StoreKind::F32 ? 4 : 2; };
  if (r.f64) return 8;
  if (r.mixed < 0) return 4;
  const up::MixedMode& m = up::kMixedModes[r.mixed];
  if (k == up::kParam) return m.master ? 4 : size_of(m.param);
  return size_of(k == up::kGrad ? m.param : m.state);
}

// Whether row b continues row a in memory for every array and can run as part of it.
inline bool rows_adjacent(const Row& a, const Row& b) {
  if (a.f64 != b.f64 || a.step != b.step || a.mixed != b.mixed) return false;
  if (a.mixed >= 0 && a.mp && a.mp->stochastic_rounding) return false;
  for (int k = 0; k < optim::updates::kMaxSlots; ++k) {
    if (bool(a.arrays[k]) != bool(b.arrays[k])) return false;
    if (a.arrays[k] && static_cast<char*>(a.arrays[k]) + a.numel * int64_t(row_slot_bytes(a, k)) != b.arrays[k])
      return false;
  }
  if (bool(a.out) != bool(b.out)) return false;
  return !a.out || static_cast<char*>(a.out) + a.numel * int64_t(2) == b.out;  // out is bfloat16/float16
}

// The rows with each run of adjacent ones merged into one.
inline std::vector<Row> merge_adjacent_rows(const std::vector<Row>& rows) {
  std::vector<Row> merged;
  merged.reserve(rows.size());
  for (const Row& r : rows) {
    if (!merged.empty() && rows_adjacent(merged.back(), r)) merged.back().numel += r.numel;
    else merged.push_back(r);
  }
  return merged;
}

}  // namespace steepest::optim::detail
