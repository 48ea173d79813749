// The CUDA kernels of sorting and order statistics (dispatch/sort.hpp). Each element becomes
// the radix key of kernels/sort_order.hpp (the CPU's order: NaN last, -0 equal to +0; for a
// descending sort the key's complement) paired with its index in its row; CUB's radix sort,
// which is stable, orders the pairs per row, so equal elements keep their index order and
// values and indices equal the CPU's stable sort. Selection sorts ascending the same way and
// then one thread per row runs the CPU's pick (sort_pick) on the sorted indices.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>

#include <climits>

#include "dispatch/sort.hpp"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/radix_sort.cuh"
#include "kernels/sort_order.hpp"

namespace steepest::cuda {

namespace {

__global__ void offsets_kernel(int* off, int64_t count, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i <= count; i += int64_t(gridDim.x) * blockDim.x)
    off[i] = int(i * n);
}

// Bytes of device scratch for CUB, from the caching allocator (stream-ordered like the rest).
struct Scratch {
  Tensor t;
  void* get(size_t bytes, Device d) {
    t = Tensor::empty(Shape{int64_t(bytes > 0 ? bytes : 1)}, kBool, d);
    return t.data_ptr();
  }
};

}  // namespace

// Rows are cut into chunks of at most INT_MAX elements (CUB's segmented sort counts items in
// int); one row, or a row longer than that, is sorted alone by the one-range radix sort, which
// counts in int64.
void sort_pairs_rows(const uint64_t* keys, const int64_t* idx, uint64_t* keys_out, int64_t* idx_out, int64_t rows,
                     int64_t n, int end_bit, Device dev) {
  cudaStream_t st = current_stream();
  if (rows == 1 || n > INT_MAX) {
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t o = r * n;
      size_t bytes = 0;
      STEEPEST_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys + o, keys_out + o, idx + o, idx_out + o,
                                                          n, 0, end_bit, st));
      Scratch s;
      void* tmp = s.get(bytes, dev);
      STEEPEST_CUDA_CHECK(
          cub::DeviceRadixSort::SortPairs(tmp, bytes, keys + o, keys_out + o, idx + o, idx_out + o, n, 0, end_bit, st));
    }
    return;
  }
  const int64_t chunk = INT_MAX / n < rows ? INT_MAX / n : rows;
  Tensor off_t = Tensor::empty(Shape{chunk + 1}, kInt32, dev);
  int* off = off_t.data<int32_t>();
  offsets_kernel<<<unsigned(blocks_for(chunk + 1)), kThreadsPerBlock, 0, st>>>(off, chunk, n);
  STEEPEST_CUDA_LAUNCH_CHECK();
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int segs = int(rows - r0 < chunk ? rows - r0 : chunk);
    const int items = int(int64_t(segs) * n);
    const int64_t o = r0 * n;
    size_t bytes = 0;
    STEEPEST_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(nullptr, bytes, keys + o, keys_out + o, idx + o,
                                                                 idx_out + o, items, segs, off, off + 1, 0, end_bit,
                                                                 st));
    Scratch s;
    void* tmp = s.get(bytes, dev);
    STEEPEST_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(tmp, bytes, keys + o, keys_out + o, idx + o,
                                                                 idx_out + o, items, segs, off, off + 1, 0, end_bit,
                                                                 st));
  }
}

namespace {

using dispatch::SelectKind;
using kernels::SortKey;

template <class T>
__global__ void keys_kernel(const T* x, int64_t total, int64_t n, bool descending, uint64_t* keys, int64_t* idx) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const uint64_t k = kernels::sort_key(SortKey<T>(x[i]));
    keys[i] = descending ? ~k : k;
    idx[i] = i % n;
  }
}

// order (int64, x's shape) = each row's indices in sorted order.
template <class T>
void order_rows(const Tensor& x, int64_t rows, bool descending, const Tensor& order) {
  const int64_t total = x.numel(), n = total / rows;
  const Device dev = x.device();
  Tensor keys = Tensor::empty(Shape{2 * total}, kInt64, dev), idx = Tensor::empty(Shape{total}, kInt64, dev);
  auto* k = reinterpret_cast<uint64_t*>(keys.data<int64_t>());
  cudaStream_t st = current_stream();
  keys_kernel<T><<<unsigned(blocks_for(total)), kThreadsPerBlock, 0, st>>>(static_cast<const T*>(x.data_ptr()), total,
                                                                          n, descending, k, idx.data<int64_t>());
  STEEPEST_CUDA_LAUNCH_CHECK();
  const int bits = kernels::sort_key_bits<SortKey<T>>();
  sort_pairs_rows(k, idx.data<int64_t>(), k + total, order.data<int64_t>(), rows, n, bits, dev);
}

template <class T>
__global__ void gather_sorted_kernel(T* values, const T* x, const int64_t* idx, int64_t total, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    values[i] = x[(i / n) * n + idx[i]];
}

void sort(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t rows, bool descending) {
  if (rows == 0 || x.numel() == 0) return;
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    order_rows<T>(x, rows, descending, indices);
    const int64_t total = x.numel();
    gather_sorted_kernel<T><<<unsigned(blocks_for(total)), kThreadsPerBlock, 0, current_stream()>>>(
        static_cast<T*>(values.data_ptr()), static_cast<const T*>(x.data_ptr()), indices.data<int64_t>(), total,
        total / rows);
    STEEPEST_CUDA_LAUNCH_CHECK();
  });
}

template <class T>
__global__ void pick_kernel(T* values, int64_t* indices, const T* x, const int64_t* order, int64_t rows, int64_t n,
                            SelectKind kind, int64_t k) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += int64_t(gridDim.x) * blockDim.x) {
    const T* row = x + r * n;
    const int64_t i = kernels::sort_pick(row, order + r * n, n, kind, k);
    values[r] = row[i];
    indices[r] = i;
  }
}

void select(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t rows, SelectKind kind, int64_t k) {
  if (rows == 0 || x.numel() == 0) return;
  visit_dtype(x.dtype(), [&](auto z) {
    using T = decltype(z);
    Tensor order = Tensor::empty(x.shape(), kInt64, x.device());
    order_rows<T>(x, rows, false, order);
    pick_kernel<T><<<unsigned(blocks_for(rows)), kThreadsPerBlock, 0, current_stream()>>>(
        static_cast<T*>(values.data_ptr()), indices.data<int64_t>(), static_cast<const T*>(x.data_ptr()),
        order.data<int64_t>(), rows, x.numel() / rows, kind, k);
    STEEPEST_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::sort_stub, CUDA, sort);
STEEPEST_REGISTER_KERNEL(dispatch::select_stub, CUDA, select);

}  // namespace steepest::cuda
