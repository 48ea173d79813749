// Dispatch stubs of sorting and order statistics. The op has moved the sorted dim last and
// made x contiguous, so x is `rows` rows of n = x.numel() / rows elements each (n >= 1), and
// has allocated contiguous results on x's device.
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// What a select kernel picks from each row (NaN orders after every number).
enum class SelectKind : uint8_t {
  Kth,        // the k-th smallest (k from 1)
  Median,     // the lower median; NaN at the first NaN's index if the row holds one
  NanMedian,  // the lower median of the non-NaN elements (NaN, index 0, when all are NaN)
  Mode,       // the smallest most frequent value, at the index of its last occurrence
};

// values/indices (x's shape; indices int64) = each row sorted, stable (equal elements keep
// their order), ascending or descending.
using SortKernel = void (*)(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t rows,
                            bool descending);
// values/indices (`rows` elements each) = the element each row's `kind` picks, and its index.
using SelectKernel = void (*)(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t rows,
                              SelectKind kind, int64_t k);

STEEPEST_DECLARE_STUB(SortKernel, sort_stub);
STEEPEST_DECLARE_STUB(SelectKernel, select_stub);

}  // namespace steepest::dispatch
