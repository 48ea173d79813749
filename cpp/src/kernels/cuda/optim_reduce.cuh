// What the CUDA optimizer's reductions and list passes share: a kernel-argument table of
// contiguous arrays (one block per optim_plan::kChunk elements, the chunk -> array map as a
// prefix sum), a block-wide reduction in a fixed tree order, and the host loop that packs any
// number of arrays into such tables. Every partial result lands in its own slot of a device
// buffer and the host combines them in chunk order, so results never depend on timing.
#pragma once
#include <cstring>
#include <vector>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/optim_plan.hpp"
#include "steepest/tensor.hpp"

namespace steepest::kernels::cuda_optim {

namespace plan = cuda::optim_plan;

constexpr int kReduceThreads = 256;
constexpr int kListTensors = 150;  // arrays per table: 150 * 25 bytes stays under 4 KB

// Element kinds of a list entry.
enum class Elem : uint8_t { F32, F64, BF16, F16 };

struct ListTable {
  void* data[kListTensors];
  int64_t numel[kListTensors];
  int32_t first_block[kListTensors + 1];
  int32_t first_chunk[kListTensors];
  Elem elem[kListTensors];
  int32_t tensors;
  int32_t block_base;  // this table's first block among all tables of the pass (partials slot)
};
static_assert(sizeof(ListTable) <= 4096, "a list table must fit the kernel-parameter limit");

// The array of block b and the element range [begin, begin + n) of its chunk.
__device__ inline int list_locate(const ListTable& tab, int32_t b, int64_t* begin, int64_t* n) {
  int lo = 0, hi = tab.tensors - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) >> 1;
    if (tab.first_block[mid] <= b) lo = mid;
    else hi = mid - 1;
  }
  *begin = (int64_t(tab.first_chunk[lo]) + (b - tab.first_block[lo])) * plan::kChunk;
  const int64_t rest = tab.numel[lo] - *begin;
  *n = rest < plan::kChunk ? rest : plan::kChunk;
  return lo;
}

// Reduces v over the block in a fixed tree (op(a, b) with a the lower half); thread 0 gets it.
template <class Op>
__device__ inline double block_reduce(double v, Op op) {
  __shared__ double s[kReduceThreads];
  s[threadIdx.x] = v;
  __syncthreads();
  for (int w = kReduceThreads / 2; w > 0; w >>= 1) {
    if (int(threadIdx.x) < w) s[threadIdx.x] = op(s[threadIdx.x], s[threadIdx.x + w]);
    __syncthreads();
  }
  return s[0];
}

struct ListEntry {
  void* data;
  int64_t numel;
  Elem elem;
};

// Packs the entries into tables and calls launch(table, blocks) for each on the current
// stream; returns the total block count (one partial slot per block).
template <class Launch>
int64_t for_list_tables(const std::vector<ListEntry>& entries, Launch launch) {
  std::vector<plan::PlanRow> rows;
  rows.reserve(entries.size());
  for (const ListEntry& e : entries) rows.push_back({e.numel, 0});
  const auto launches = plan::plan_launches(rows, plan::Capacity{kListTensors, plan::kMaxChunksPerLaunch, 1});
  int64_t base = 0;
  for (const auto& l : launches) {
    ListTable tab;
    std::memset(&tab, 0, sizeof(tab));
    const auto blocks = l.blocks();
    for (size_t t = 0; t < l.rows.size(); ++t) {
      const ListEntry& e = entries[size_t(l.rows[t])];
      tab.data[t] = e.data;
      tab.numel[t] = e.numel;
      tab.elem[t] = e.elem;
      tab.first_block[t] = int32_t(blocks[t]);
      tab.first_chunk[t] = int32_t(l.first_chunk[t]);
    }
    tab.first_block[l.rows.size()] = int32_t(blocks.back());
    tab.tensors = int32_t(l.rows.size());
    STEEPEST_CHECK(base + blocks.back() < (int64_t(1) << 31), ValueError, "optimizer pass: too many elements");
    tab.block_base = int32_t(base);
    launch(tab, blocks.back());
    STEEPEST_CUDA_LAUNCH_CHECK();
    base += blocks.back();
  }
  return base;
}

// A device buffer of n doubles (at least one) on device d, and its values copied back
// (waits for the current stream).
inline Tensor device_doubles(int64_t n, Device d) { return Tensor::empty(Shape{n < 1 ? 1 : n}, kFloat64, d); }
inline std::vector<double> host_doubles(const Tensor& buf, int64_t n) {
  std::vector<double> out(size_t(n < 0 ? 0 : n));
  if (n > 0) {
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(out.data(), buf.data_ptr(), size_t(n) * sizeof(double), cudaMemcpyDeviceToHost,
                                        cuda::current_stream()));
  }
  STEEPEST_CUDA_CHECK(cudaStreamSynchronize(cuda::current_stream()));
  return out;
}

// Element i of an entry's array widened to double (half kinds through float, as the CPU).
__device__ inline double load_elem(const void* p, Elem k, int64_t i) {
  switch (k) {
    case Elem::F64: return static_cast<const double*>(p)[i];
    case Elem::F32: return double(static_cast<const float*>(p)[i]);
    case Elem::BF16: return double(__uint_as_float(uint32_t(static_cast<const uint16_t*>(p)[i]) << 16));
    default: {
      const uint16_t h = static_cast<const uint16_t*>(p)[i];
      const uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
      float f;
      if (exp == 0x1f) f = __uint_as_float(sign | 0x7f800000u | (man << 13));
      else if (exp == 0) f = (sign ? -1.0f : 1.0f) * __fmul_rn(float(man), 1.0f / 16777216.0f);
      else f = __uint_as_float(sign | ((exp + 112) << 23) | (man << 13));
      return double(f);
    }
  }
}

}  // namespace steepest::kernels::cuda_optim
