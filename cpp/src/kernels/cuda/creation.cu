// The CUDA kernels of arange and linspace (dispatch/elementwise.hpp): element i computed
// from i alone with the CPU's formulas (int64 or double, then converted), so both devices
// give the same values.
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/launch.cuh"
#include "dispatch/elementwise.hpp"

namespace steepest::cuda {

namespace {

__global__ void arange_kernel(char* out, DType d, int64_t n, double s, double st, int64_t is, int64_t ist,
                              bool integral) {
  const int64_t sz = int64_t(itemsize_of(d));
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if (integral) store_as<int64_t>(out + i * sz, d, DType::Int64, int64_t(uint64_t(is) + uint64_t(i) * uint64_t(ist)));
    else store_as<double>(out + i * sz, d, DType::Float64, s + double(i) * st);
  }
}

void arange(const Tensor& t, Scalar start, Scalar step, bool integral) {
  const int64_t n = t.numel();
  if (n == 0) return;
  arange_kernel<<<unsigned(blocks_for(n)), kThreadsPerBlock, 0, current_stream()>>>(
      static_cast<char*>(t.data_ptr()), t.dtype(), n, start.to_double(), step.to_double(),
      integral ? start.to_int() : 0, integral ? step.to_int() : 0, integral);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

__global__ void linspace_kernel(char* out, DType d, int64_t steps, double start, double end, double step) {
  const int64_t sz = int64_t(itemsize_of(d)), half = steps / 2;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < steps; i += int64_t(gridDim.x) * blockDim.x) {
    // The first half counts up from start, the second down from end (steps == 1: start).
    const double v = i < half || steps == 1 ? start + step * double(i) : end - step * double(steps - 1 - i);
    store_as<double>(out + i * sz, d, DType::Float64, v);
  }
}

void linspace(const Tensor& t, double start, double end) {
  const int64_t steps = t.numel();
  if (steps == 0) return;
  const double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
  linspace_kernel<<<unsigned(blocks_for(steps)), kThreadsPerBlock, 0, current_stream()>>>(
      static_cast<char*>(t.data_ptr()), t.dtype(), steps, start, end, step);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::arange_stub, CUDA, arange);
STEEPEST_REGISTER_KERNEL(dispatch::linspace_stub, CUDA, linspace);

}  // namespace steepest::cuda
