// Per-tensor sums of squares for the layer-wise rules (LAMB, LARS trust ratios, Adafactor's
// RMS), through the driver's stub. The CPU kernel (kernels/cpu/optim_row_norms.cpp) sums in a
// fixed order with plain C++ compiled once (not per ISA), so every ISA gives the same bits:
// float32 in float leaves of 1024 values added in double, float64 in double; chunks of all
// tensors in parallel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "steepest/device.hpp"

namespace steepest::optim::detail {
using std::size_t;

struct NormInput {
  const void* data;
  int64_t numel;
  bool f64;
};

// sum(x*x) of each input, in double, on device d (the inputs' memory).
std::vector<double> row_sum_sq(Device d, const std::vector<NormInput>& inputs);

}  // namespace steepest::optim::detail
