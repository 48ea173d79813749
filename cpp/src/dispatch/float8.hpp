// Dispatch stubs of the FP8 recipe's per-element work. The op has checked dtypes, sizes and
// devices and made every tensor contiguous.
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

// out[i] = saturate_fp8(x[i] * scale[0]) (out FP8, x float32/bfloat16/float16, same numel;
// out may be undefined: no cast); amax[0] = max|x| (NaN if any x is NaN; 0 for no elements)
// when amax (float32, one element) is defined.
using Float8CastKernel = void (*)(const Tensor& out, const Tensor& x, const Tensor& scale, const Tensor& amax);
// history (float32, L >= 1) shifts by one, history[0] = amax[0]; then
// scale[0] = fp8_max / max(history) / 2^margin when that maximum is finite and positive.
using Float8ScalingKernel = void (*)(const Tensor& history, const Tensor& scale, const Tensor& amax, double fp8_max,
                                     double margin);

STEEPEST_DECLARE_STUB(Float8CastKernel, float8_cast_stub);
STEEPEST_DECLARE_STUB(Float8ScalingKernel, float8_scaling_stub);

}  // namespace steepest::dispatch
