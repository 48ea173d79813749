// The CUDA kernels of counting and binning (dispatch/count.hpp), deterministic and equal to the
// CPU's results bit for bit:
// - bincount without weights and histc count with 64-bit integer atomics (exact, so the order
//   of the additions does not matter); histc's bin is the CPU's (kernels/count_math.hpp).
// - weighted bincount stably sorts (bin, index) pairs (radix_sort.cuh), then one thread per bin
//   adds its weights in index order: the CPU's order of additions, so the same float64 sums.
// - searchsorted: one thread per value runs the CPU's binary search (count_math.hpp).
#include <type_traits>

#include "dispatch/count.hpp"
#include "kernels/count_math.hpp"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/radix_sort.cuh"

namespace steepest::cuda {

namespace {

using ull = unsigned long long;

#define STEEPEST_GRID_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void count_kernel(ull* out, const int64_t* x, int64_t n) {
  STEEPEST_GRID_LOOP(i, n) atomicAdd(out + x[i], 1ull);
}

__global__ void bin_keys_kernel(uint64_t* keys, int64_t* idx, const int64_t* x, int64_t n) {
  STEEPEST_GRID_LOOP(i, n) {
    keys[i] = uint64_t(x[i]);
    idx[i] = i;
  }
}

// start[b] / end[b] = the run of bin b in the sorted keys (left 0/0 for an empty bin).
__global__ void runs_kernel(int64_t* start, int64_t* end, const uint64_t* keys, int64_t n) {
  STEEPEST_GRID_LOOP(i, n) {
    if (i == 0 || keys[i] != keys[i - 1]) start[keys[i]] = i;
    if (i == n - 1 || keys[i] != keys[i + 1]) end[keys[i]] = i + 1;
  }
}

__global__ void ordered_sums_kernel(double* out, const int64_t* start, const int64_t* end, const int64_t* idx,
                                    const double* w, int64_t bins) {
  STEEPEST_GRID_LOOP(b, bins) {
    double s = out[b];  // the zeros the op allocated, as the CPU's first addend
    for (int64_t j = start[b]; j < end[b]; ++j) s += w[idx[j]];
    out[b] = s;
  }
}

int end_bit_for(int64_t bins) {
  int b = 1;
  while (b < 63 && (int64_t(1) << b) < bins) ++b;
  return b;
}

void bincount(const Tensor& out, const Tensor& x, const Tensor& weights) {
  const int64_t n = x.numel(), bins = out.numel();
  if (n == 0) return;
  cudaStream_t st = current_stream();
  const unsigned grid = unsigned(blocks_for(n));
  if (out.dtype() == kInt64) {
    count_kernel<<<grid, kThreadsPerBlock, 0, st>>>(reinterpret_cast<ull*>(out.data<int64_t>()), x.data<int64_t>(), n);
    STEEPEST_CUDA_LAUNCH_CHECK();
    return;
  }
  const Device dev = x.device();
  Tensor keys = Tensor::empty(Shape{2 * n}, kInt64, dev), idx = Tensor::empty(Shape{2 * n}, kInt64, dev);
  auto* k = reinterpret_cast<uint64_t*>(keys.data<int64_t>());
  int64_t* ix = idx.data<int64_t>();
  bin_keys_kernel<<<grid, kThreadsPerBlock, 0, st>>>(k, ix, x.data<int64_t>(), n);
  STEEPEST_CUDA_LAUNCH_CHECK();
  sort_pairs_rows(k, ix, k + n, ix + n, 1, n, end_bit_for(bins), dev);
  Tensor runs = Tensor::empty(Shape{2 * bins}, kInt64, dev);
  int64_t* start = runs.data<int64_t>();
  STEEPEST_CUDA_CHECK(cudaMemsetAsync(start, 0, size_t(2 * bins) * sizeof(int64_t), st));
  runs_kernel<<<grid, kThreadsPerBlock, 0, st>>>(start, start + bins, k + n, n);
  STEEPEST_CUDA_LAUNCH_CHECK();
  ordered_sums_kernel<<<unsigned(blocks_for(bins)), kThreadsPerBlock, 0, st>>>(
      out.data<double>(), start, start + bins, ix + n, weights.data<double>(), bins);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

template <class T>
__global__ void histc_count_kernel(ull* counts, const T* x, int64_t n, double lo, double hi, int64_t bins) {
  STEEPEST_GRID_LOOP(i, n) {
    const int64_t b = kernels::histc_bin(double(x[i]), lo, hi, bins);
    if (b >= 0) atomicAdd(counts + b, 1ull);
  }
}

template <class T>
__global__ void histc_store_kernel(T* out, const ull* counts, int64_t bins) {
  STEEPEST_GRID_LOOP(b, bins) {
    if constexpr (detail::is_half_v<T>) out[b] = T(float(counts[b]));  // cast_to's path, on the device
    else out[b] = T(counts[b]);
  }
}

void histc(const Tensor& out, const Tensor& x, double lo, double hi) {
  const int64_t bins = out.numel(), n = x.numel();
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_floating_point_v<T> || detail::is_half_v<T>) {
      cudaStream_t st = current_stream();
      Tensor counts = Tensor::empty(Shape{bins}, kInt64, x.device());
      auto* c = reinterpret_cast<ull*>(counts.data<int64_t>());
      STEEPEST_CUDA_CHECK(cudaMemsetAsync(c, 0, size_t(bins) * sizeof(ull), st));
      histc_count_kernel<T><<<unsigned(blocks_for(n)), kThreadsPerBlock, 0, st>>>(
          c, static_cast<const T*>(x.data_ptr()), n, lo, hi, bins);
      STEEPEST_CUDA_LAUNCH_CHECK();
      histc_store_kernel<T><<<unsigned(blocks_for(bins)), kThreadsPerBlock, 0, st>>>(static_cast<T*>(out.data_ptr()),
                                                                                     c, bins);
      STEEPEST_CUDA_LAUNCH_CHECK();
    }
  });
}

template <class T, class O>
__global__ void search_kernel(O* out, const T* seq, const T* values, const int64_t* perm, int64_t total, int64_t n,
                              int64_t m, bool shared, bool right) {
  STEEPEST_GRID_LOOP(i, total) {
    const int64_t row = shared ? 0 : i / n;
    const int64_t at = kernels::search_row(seq + row * m, perm ? perm + row * m : nullptr, m,
                                           kernels::SearchKey<T>(values[i]), right);
    out[i] = O(at);
  }
}

void searchsorted(const Tensor& out, const Tensor& sorted, const Tensor& values, const Tensor& sorter, int64_t m,
                  bool right) {
  const int64_t total = values.numel();
  if (total == 0) return;
  const int64_t n = values.dim() == 0 ? 1 : values.shape().back();
  const bool shared = sorted.numel() == m;  // one row for every row of values
  const int64_t* ps = sorter.defined() ? sorter.data<int64_t>() : nullptr;
  visit_dtype(values.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* seq = static_cast<const T*>(sorted.data_ptr());
    const T* pv = static_cast<const T*>(values.data_ptr());
    const unsigned grid = unsigned(blocks_for(total));
    cudaStream_t st = current_stream();
    if (out.dtype() == kInt32)
      search_kernel<T, int32_t><<<grid, kThreadsPerBlock, 0, st>>>(out.data<int32_t>(), seq, pv, ps, total, n, m,
                                                                   shared, right);
    else
      search_kernel<T, int64_t><<<grid, kThreadsPerBlock, 0, st>>>(out.data<int64_t>(), seq, pv, ps, total, n, m,
                                                                   shared, right);
    STEEPEST_CUDA_LAUNCH_CHECK();
  });
}

#undef STEEPEST_GRID_LOOP

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::bincount_stub, CUDA, bincount);
STEEPEST_REGISTER_KERNEL(dispatch::histc_stub, CUDA, histc);
STEEPEST_REGISTER_KERNEL(dispatch::searchsorted_stub, CUDA, searchsorted);

}  // namespace steepest::cuda
