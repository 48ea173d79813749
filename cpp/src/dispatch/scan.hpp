// Dispatch stubs of the scans (cumsum, cumprod). The op has made x contiguous in a dtype the
// kernels take (float32, float64, int64) and allocated out contiguous with x's shape and dtype.
#pragma once
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

enum class ScanOp : uint8_t { Sum, Prod };

// out = running sum (product) of x along dim, from the end when `reverse`.
using ScanKernel = void (*)(const Tensor& out, const Tensor& x, int64_t dim, ScanOp op, bool reverse);
// grad_x of cumprod along dim without dividing by x (exact where x has zeros):
// grad_x[k] = prod(x[<k]) * S[k], S[k] = g[k] + x[k+1] S[k+1]. All three contiguous, one dtype.
using CumprodBackwardKernel = void (*)(const Tensor& grad_x, const Tensor& x, const Tensor& g, int64_t dim);

STEEPEST_DECLARE_STUB(ScanKernel, scan_stub);
STEEPEST_DECLARE_STUB(CumprodBackwardKernel, cumprod_backward_stub);

}  // namespace steepest::dispatch
