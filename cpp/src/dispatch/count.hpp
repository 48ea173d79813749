// Dispatch stubs of counting and binning. The op has checked shapes, dtypes and index
// ranges, made the inputs contiguous and allocated the results (zeroed where they accumulate).
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// out[x[i]] += weights ? weights[i] : 1; x int64 1-D with values in [0, out.numel()),
// weights (if defined) float64 of x's size, out int64 or float64.
using BincountKernel = void (*)(const Tensor& out, const Tensor& x, const Tensor& weights);
// out (x's dtype, `bins` zeros) counts the elements of x in [lo, hi] (lo < hi).
using HistcKernel = void (*)(const Tensor& out, const Tensor& x, double lo, double hi);
// out (int64 or int32, values' shape) = insertion points of each row of values (rows of n)
// into the matching row of sorted (rows of m; one row shared when sorted has one), read in
// sorter's order when sorter is defined (int64, sorted's shape, each row a permutation).
// sorted and values share one dtype.
using SearchsortedKernel = void (*)(const Tensor& out, const Tensor& sorted, const Tensor& values,
                                    const Tensor& sorter, int64_t m, bool right);

STEEPEST_DECLARE_STUB(BincountKernel, bincount_stub);
STEEPEST_DECLARE_STUB(HistcKernel, histc_stub);
STEEPEST_DECLARE_STUB(SearchsortedKernel, searchsorted_stub);

}  // namespace steepest::dispatch
