// The CUDA kernels of copy_ (dtype conversion, broadcast, any strides up to 8 merged dims)
// and fill_: one grid-stride loop each, indexing through kernels/cuda/copy_geometry.hpp.
// Conversions follow the CPU's rules (ops/cast.hpp): 16- and 8-bit floats go through float,
// the FP8 types included (as the CPU's copy, with float8.hpp's rounding), so FP8 tensors
// convert on the device (_scaled_mm widens its operands this way).
#include <type_traits>
#include <vector>

#include "dispatch/elementwise.hpp"
#include "ops/cast.hpp"
#include "kernels/cuda/copy_geometry.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::kernels::cuda {

namespace {

using steepest::cuda::CopyGeometry;

using steepest::detail::is_half_v;  // bfloat16, float16 and the two FP8 types

template <class D, class S>
__device__ D cast_to(S s) {
  if constexpr (std::is_same_v<D, S>) return s;
  else if constexpr (is_half_v<S>) return cast_to<D>(float(s));
  else if constexpr (std::is_same_v<D, bool>) return s != S(0);
  else if constexpr (is_half_v<D>) return D(float(s));
  else return static_cast<D>(s);
}

// Element offsets of linear index i in dst and src.
__device__ inline void offsets(const CopyGeometry& g, int64_t i, int64_t& od, int64_t& os) {
  od = 0;
  os = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const int64_t c = i % g.size[d];
    i /= g.size[d];
    od += c * g.dst_stride[d];
    os += c * g.src_stride[d];
  }
}

template <class D, class S>
__global__ void copy_kernel(D* dst, const S* src, CopyGeometry g, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t od, os;
    offsets(g, i, od, os);
    dst[od] = cast_to<D>(src[os]);
  }
}

template <class T>
__global__ void fill_kernel(T* dst, T v, CopyGeometry g, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t od, os;
    offsets(g, i, od, os);
    dst[od] = v;
  }
}

std::vector<int64_t> vec(const Shape& s) { return std::vector<int64_t>(s.begin(), s.end()); }

// Sets the tensor's device for the scope of a launch.
struct OnDevice {
  int prev = 0;
  explicit OnDevice(const Tensor& t) {
    STEEPEST_CUDA_CHECK(cudaGetDevice(&prev));
    if (prev != t.device().index) STEEPEST_CUDA_CHECK(cudaSetDevice(t.device().index));
  }
  ~OnDevice() { (void)cudaSetDevice(prev); }
};

// dst.numel() > 0 (copy_ returns early otherwise); both on one CUDA device.
void copy(const Tensor& dst, const Tensor& src) {
  OnDevice on(dst);
  cudaStream_t s = steepest::cuda::current_stream();
  const int64_t n = dst.numel();
  if (dst.dtype() == src.dtype() && dst.shape() == src.shape() && dst.is_contiguous() && src.is_contiguous()) {
    if (dst.data_ptr() != src.data_ptr())
      STEEPEST_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), size_t(n) * dst.itemsize(),
                                          cudaMemcpyDeviceToDevice, s));
    return;
  }
  const CopyGeometry g =
      steepest::cuda::copy_geometry(vec(dst.shape()), vec(dst.strides()), vec(src.shape()), vec(src.strides()));
  visit_dtype_float8(dst.dtype(), [&](auto d0) {
    using D = decltype(d0);
    visit_dtype_float8(src.dtype(), [&](auto s0) {
      using S = decltype(s0);
      copy_kernel<D, S><<<unsigned(steepest::cuda::blocks_for(n)), steepest::cuda::kThreadsPerBlock, 0, s>>>(
          static_cast<D*>(dst.data_ptr()), static_cast<const S*>(src.data_ptr()), g, n);
      STEEPEST_CUDA_LAUNCH_CHECK();
    });
  });
}

void fill(const Tensor& t, Scalar value) {
  const int64_t n = t.numel();
  if (n == 0) return;
  OnDevice on(t);
  cudaStream_t s = steepest::cuda::current_stream();
  const CopyGeometry g = steepest::cuda::copy_geometry(vec(t.shape()), vec(t.strides()), {}, {});
  visit_dtype_float8(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T v;
    if constexpr (is_half_v<T>) v = T(value.to<float>());
    else v = value.to<T>();
    fill_kernel<T><<<unsigned(steepest::cuda::blocks_for(n)), steepest::cuda::kThreadsPerBlock, 0, s>>>(
        static_cast<T*>(t.data_ptr()), v, g, n);
    STEEPEST_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::copy_stub, CUDA, copy);
STEEPEST_REGISTER_KERNEL(dispatch::fill_stub, CUDA, fill);

}  // namespace steepest::kernels::cuda
