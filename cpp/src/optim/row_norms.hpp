// Per-tensor sums of squares for the layer-wise rules (LAMB, LARS trust ratios, Adafactor's
// RMS): accumulated in a fixed order by plain C++ compiled once (not per ISA), so every ISA
// gives the same bits; float32 in float leaves of 1024 values added in double, float64 in
// double; chunks of all tensors in parallel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace steepest::optim::detail {
using std::size_t;

struct NormInput {
  const void* data;
  int64_t numel;
  bool f64;
};

// sum(x*x) of each input, in double.
std::vector<double> row_sum_sq(const std::vector<NormInput>& inputs);

}  // namespace steepest::optim::detail
