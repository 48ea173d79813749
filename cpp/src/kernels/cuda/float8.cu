// The CUDA kernels of the FP8 recipe (dispatch/float8.hpp). The cast is the CPU's saturate_to
// (steepest/float8.hpp, host-device), so every FP8 byte equals the CPU's. amax is a NaN-winning
// maximum: each block reduces its grid-stride slice, then one block reduces the per-block
// results; a maximum does not depend on the order, so it is the CPU's value too. The scaling
// update is the CPU's function (kernels/float8_scaling.hpp) run by one thread.
#include <cmath>

#include "dispatch/float8.hpp"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/float8_scaling.hpp"

namespace steepest::cuda {

namespace {

using kernels::fp8_nan_max;

struct NanMax {
  __device__ float operator()(float a, float b) const { return fp8_nan_max(a, b); }
};

// out[i] = saturate(x[i] * scale) (out may be null: amax only); part[block] = the block's max |x|.
template <class X, class F8>
__global__ void cast_kernel(F8* out, const X* x, const float* scale, int64_t n, float* part) {
  __shared__ float scratch[33];
  const float s = *scale;
  float m = 0.0f;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = float(x[i]);
    m = fp8_nan_max(m, fabsf(v));
    if (out) out[i] = saturate_to<F8>(v * s);
  }
  m = block_reduce(m, NanMax{}, scratch);
  if (threadIdx.x == 0 && part) part[blockIdx.x] = m;
}

__global__ void max_parts_kernel(const float* part, int64_t nparts, float* amax) {
  __shared__ float scratch[33];
  float m = 0.0f;
  for (int64_t i = threadIdx.x; i < nparts; i += blockDim.x) m = fp8_nan_max(m, part[i]);
  m = block_reduce(m, NanMax{}, scratch);
  if (threadIdx.x == 0) *amax = m;
}

template <class X, class F8>
void cast_typed(const Tensor& out, const Tensor& x, const Tensor& scale, const Tensor& amax) {
  const int64_t n = x.numel();
  cudaStream_t st = current_stream();
  const int64_t blocks = blocks_for(n);
  Tensor part;
  if (amax.defined()) part = Tensor::empty(Shape{blocks}, kFloat32, x.device());
  F8* o = out.defined() ? static_cast<F8*>(out.data_ptr()) : nullptr;
  cast_kernel<X, F8><<<unsigned(blocks), kThreadsPerBlock, 0, st>>>(
      o, static_cast<const X*>(x.data_ptr()), scale.data<float>(), n, part.defined() ? part.data<float>() : nullptr);
  STEEPEST_CUDA_LAUNCH_CHECK();
  if (!amax.defined()) return;
  max_parts_kernel<<<1, kRowThreads, 0, st>>>(part.data<float>(), blocks, amax.data<float>());
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class X>
void cast_from(const Tensor& out, const Tensor& x, const Tensor& scale, const Tensor& amax) {
  if (!out.defined() || out.dtype() == kFloat8E4M3FN) return cast_typed<X, float8_e4m3fn>(out, x, scale, amax);
  cast_typed<X, float8_e5m2>(out, x, scale, amax);
}

void float8_cast(const Tensor& out, const Tensor& x, const Tensor& scale, const Tensor& amax) {
  switch (x.dtype()) {
    case kFloat32: return cast_from<float>(out, x, scale, amax);
    case kBFloat16: return cast_from<bfloat16>(out, x, scale, amax);
    case kFloat16: return cast_from<float16>(out, x, scale, amax);
    default: throw TypeError(str("float8 cast: unexpected input dtype ", dtype_name(x.dtype())));
  }
}

__global__ void scaling_kernel(float* h, int64_t len, const float* amax, double fp8_max, double pow2_margin,
                               float* scale) {
  if (blockIdx.x == 0 && threadIdx.x == 0) kernels::fp8_update_scale(h, len, *amax, fp8_max, pow2_margin, scale);
}

void float8_scaling(const Tensor& history, const Tensor& scale, const Tensor& amax, double fp8_max, double margin) {
  scaling_kernel<<<1, 1, 0, current_stream()>>>(history.data<float>(), history.numel(), amax.data<float>(), fp8_max,
                                                std::exp2(margin), scale.data<float>());
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::float8_cast_stub, CUDA, float8_cast);
STEEPEST_REGISTER_KERNEL(dispatch::float8_scaling_stub, CUDA, float8_scaling);

}  // namespace steepest::cuda
