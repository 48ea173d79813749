// Counting and binning: bincount, histc, searchsorted and bucketize. Not differentiable
// (their results are counts and positions).
#pragma once
#include <optional>

#include "creation.hpp"

namespace steepest {

// Occurrences of each value of a 1-D non-negative integer tensor (summed weights when given:
// float32 weights give float32, other weights float64); at least `minlength` bins.
Tensor bincount(const Tensor& x, const std::optional<Tensor>& weights = std::nullopt, int64_t minlength = 0);
// A `bins`-bin histogram of a floating tensor over [min, max] (both 0: the data's range);
// elements outside are ignored, max itself lands in the last bin.
Tensor histc(const Tensor& x, int64_t bins = 100, double min = 0, double max = 0);
// For each value, the index where it would be inserted into the innermost dim of `sorted`
// to keep it sorted (right: after equal elements). `sorted` is 1-D, or has values' leading
// dims; `sorter` (int64, sorted's shape) gives the order when `sorted` is not itself sorted.
Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32 = false, bool right = false,
                    const std::optional<Tensor>& sorter = std::nullopt);
// searchsorted(boundaries, x, right) for 1-D boundaries.
Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool out_int32 = false, bool right = false);

}  // namespace steepest
