// Dispatch stubs of the reductions. `flags[d]` is 1 for each reduced dim of x. The op has
// parsed the dims, allocated the result(s) on x's device with the kept shape, and handled
// the empty cases: the kernels see at least one output and at least one element per output.
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// out = sum (mean when `mean`) over the reduced dims; out's dtype is x's or int64 (integer sums).
using SumKernel = void (*)(const Tensor& out, const Tensor& x, const Shape& flags, bool mean);
// out = max (min) over the reduced dims; NaN propagates.
using ExtremeKernel = void (*)(const Tensor& out, const Tensor& x, const Shape& flags, bool is_max);
// indices (int64) of the first max (min) along the reduced dims (in logical order), and their
// values when `values` is defined; a NaN wins.
using ArgKernel = void (*)(const Tensor& values, const Tensor& indices, const Tensor& x, const Shape& flags,
                           bool is_max);
// out = variance (std when take_sqrt) with `correction` subtracted from the count.
using VarKernel = void (*)(const Tensor& out, const Tensor& x, const Shape& flags, double correction,
                           bool take_sqrt);

STEEPEST_DECLARE_STUB(SumKernel, sum_stub);
STEEPEST_DECLARE_STUB(ExtremeKernel, extreme_stub);
STEEPEST_DECLARE_STUB(ArgKernel, arg_stub);
STEEPEST_DECLARE_STUB(VarKernel, var_stub);

}  // namespace steepest::dispatch
