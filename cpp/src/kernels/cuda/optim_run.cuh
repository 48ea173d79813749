// The CUDA optimizer's multi-tensor update: one kernel template that runs an update functor of
// optim/updates (the same one the CPU runs) over a launch's chunk table, and the host launcher
// that packs rows into tables (optim_plan.hpp) and launches them on the current stream. Included
// by the .cu files that instantiate it (plain float32/float64, mixed precision), each compiled
// with -fmad=false so every product and sum rounds as the CPU's does.
#pragma once
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/optim_plan.hpp"
#include "kernels/cuda/optim_store.cuh"
#include "optim/driver.hpp"

namespace steepest::kernels::cuda_optim {

namespace up = optim::updates;
namespace plan = cuda::optim_plan;
using optim::detail::Row;

constexpr int kThreads = 256;
constexpr int kIlp = 4;  // elements per thread per iteration, loaded before any is computed

// A launch's kernel argument: the functors of its step slots (raw bytes: a functor has no
// default constructor), then per tensor its arrays (the functor's slots, plus the rounded
// low-precision param of a master mode), numel, stochastic-rounding key, first chunk, first
// block and step slot. Layout and size follow plan::table_bytes.
template <class F, int D>
struct Table {
  static constexpr size_t kFnBytes = (sizeof(F) + 15) / 16 * 16;
  static constexpr int kTensors = plan::capacity_for(D, sizeof(F)).tensors;
  static constexpr int kSteps = plan::capacity_for(D, sizeof(F)).steps;
  alignas(16) unsigned char fns[kSteps][kFnBytes];
  void* ptr[kTensors][D];
  int64_t numel[kTensors];
  uint32_t param[kTensors];
  int32_t first_chunk[kTensors];
  int32_t first_block[kTensors + 1];
  uint8_t step_slot[kTensors];
  uint64_t seed;
  uint32_t sr_step;
  int32_t tensors;
  int32_t stochastic;
};

// The slot-count of functor F plus the extra array of a master mode.
template <class F, class S> constexpr int depth_of() { return F::kArrays + (S::kMaster ? 1 : 0); }

// fn(IntC<k>) for k = 0 .. K-1, each k a compile-time constant.
template <int K, class Fn> __device__ inline void for_each_slot(Fn&& fn) {
  if constexpr (K > 0) {
    for_each_slot<K - 1>(fn);
    fn(up::IntC<K - 1>{});
  }
}

template <class F, class S, int D>
__global__ void __launch_bounds__(kThreads) update_kernel(const __grid_constant__ Table<F, D> tab) {
  using T = typename S::Compute;
  constexpr int K = F::kArrays;
  constexpr unsigned uses = up::UsesOf<F>::value, ro = up::ReadOnlyOf<F>::value;
  const int32_t b = int32_t(blockIdx.x);
  // The tensor of this block: the last t with first_block[t] <= b.
  int lo = 0, hi = tab.tensors - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) >> 1;
    if (tab.first_block[mid] <= b) lo = mid;
    else hi = mid - 1;
  }
  const int t = lo;
  const int64_t begin = (int64_t(tab.first_chunk[t]) + (b - tab.first_block[t])) * plan::kChunk;
  const int64_t rest = tab.numel[t] - begin;
  const int64_t n = rest < plan::kChunk ? rest : plan::kChunk;
  const F& f = *reinterpret_cast<const F*>(tab.fns[tab.step_slot[t]]);
  SrKey key{tab.seed, tab.sr_step, tab.param[t]};
  const SrKey* sr = tab.stochastic ? &key : nullptr;
  void* const* a = tab.ptr[t];
  for (int64_t base = 0; base < n; base += int64_t(kThreads) * kIlp) {
    T x[kIlp][K] = {};
#pragma unroll
    for (int j = 0; j < kIlp; ++j) {
      const int64_t i = base + j * kThreads + threadIdx.x;
      if (i < n) {
        const int64_t e = begin + i;
        for_each_slot<K>([&](auto kc) {
          constexpr int k = decltype(kc)::value;
          if constexpr ((uses >> k) & 1u) x[j][k] = S::template load<k>(a[k], e);
        });
      }
    }
#pragma unroll
    for (int j = 0; j < kIlp; ++j) {
      const int64_t i = base + j * kThreads + threadIdx.x;
      if (i < n) {
        const int64_t e = begin + i;
        f(x[j]);
        for_each_slot<K>([&](auto kc) {
          constexpr int k = decltype(kc)::value;
          if constexpr (((uses >> k) & 1u) && !((ro >> k) & 1u)) S::template store<k>(a[k], e, x[j][k], sr, e);
        });
        if constexpr (S::kMaster) S::store_out(a[K], e, x[j][up::kParam], sr, e);
      }
    }
  }
}

// A group of consecutive rows of one storage: the functor each row's step selects (the rows of a
// call nearly always share one), launched in runs of rows that select the same one.
using GroupFn = void (*)(const std::vector<Row>& rows, size_t r0, size_t r1, const char* steps, size_t step_size);

// Launches functor F (kernel K's instantiation for the rows' step flags) over rows[r0, r1),
// storage S, in as many launches as the tables need.
template <class K, class F, class S>
void launch_rows(const std::vector<Row>& rows, size_t r0, size_t r1, const char* steps, size_t step_size) {
  constexpr int D = depth_of<F, S>();
  using Tab = Table<F, D>;
  static_assert(sizeof(Tab) <= 4096, "a launch's table must fit the kernel-parameter limit");
  static_assert(sizeof(Tab) <= plan::table_bytes(Tab::kTensors, Tab::kSteps, D, sizeof(F)),
                "the table's layout is the planner's");
  std::vector<plan::PlanRow> prow;
  prow.reserve(r1 - r0);
  for (size_t r = r0; r < r1; ++r) prow.push_back({rows[r].numel, rows[r].step});
  const auto launches = plan::plan_launches(prow, plan::Capacity{Tab::kTensors, plan::kMaxChunksPerLaunch, Tab::kSteps});
  for (const auto& l : launches) {
    Tab tab;
    std::memset(&tab, 0, sizeof(tab));
    for (size_t s = 0; s < l.steps.size(); ++s) {
      const F f(*reinterpret_cast<const typename K::Step*>(steps + size_t(l.steps[s]) * step_size));
      std::memcpy(tab.fns[s], &f, sizeof(F));
    }
    const auto blocks = l.blocks();
    for (size_t t = 0; t < l.rows.size(); ++t) {
      const Row& row = rows[r0 + size_t(l.rows[t])];
      for (int k = 0; k < F::kArrays; ++k) tab.ptr[t][k] = row.arrays[k];
      if constexpr (S::kMaster) tab.ptr[t][F::kArrays] = row.out;
      tab.numel[t] = row.numel;
      tab.param[t] = uint32_t(row.param);
      STEEPEST_CHECK(l.first_chunk[t] < (int64_t(1) << 31), ValueError, "optimizer step: a tensor of ", row.numel,
                     " elements is too large for the CUDA update");
      tab.first_chunk[t] = int32_t(l.first_chunk[t]);
      tab.first_block[t] = int32_t(blocks[t]);
      tab.step_slot[t] = l.step_slot[t];
    }
    tab.first_block[l.rows.size()] = int32_t(blocks.back());
    tab.tensors = int32_t(l.rows.size());
    const Row& first = rows[r0 + size_t(l.rows[0])];
    if (S::kMode >= 0 && first.mp && first.mp->stochastic_rounding) {
      tab.stochastic = 1;
      tab.seed = first.mp->seed;
      tab.sr_step = first.mp->sr_step;
    }
    update_kernel<F, S, D><<<unsigned(blocks.back()), kThreads, 0, cuda::current_stream()>>>(tab);
    STEEPEST_CUDA_LAUNCH_CHECK();
  }
}

// Records which launcher a row's step selects (visit() hands it the functor). Marked host and
// device so visit's host-device lambdas may call it, with the execution-space check off: it only
// ever runs on the host, and naming launch_rows here in every compilation pass is what makes
// nvcc generate the kernel it launches.
template <class K, class S>
struct PickLauncher {
  GroupFn* out;
#pragma nv_exec_check_disable
  template <class F> __host__ __device__ void operator()(const F&) const { *out = &launch_rows<K, F, S>; }
};

template <class K, class S>
void run_group(const std::vector<Row>& rows, size_t r0, size_t r1, const char* steps, size_t step_size) {
  using T = typename S::Compute;
  auto pick = [&](size_t q) {
    GroupFn fn = nullptr;
    K::template visit<T>(*reinterpret_cast<const typename K::Step*>(steps + size_t(rows[q].step) * step_size),
                         PickLauncher<K, S>{&fn});
    return fn;
  };
  size_t r = r0;
  while (r < r1) {
    const GroupFn fn = pick(r);
    size_t e = r + 1;
    while (e < r1 && pick(e) == fn) ++e;
    fn(rows, r, e, steps, step_size);
    r = e;
  }
}

// The launchers of every kernel: plain float32/float64, and each mixed mode of the kernels
// with kLowPrecision (null elsewhere). Filled by optim_run_plain.cu and optim_run_mixed*.cu.
struct RunTable {
  GroupFn f32[up::kNumKernels] = {};
  GroupFn f64[up::kNumKernels] = {};
  GroupFn mixed[up::kNumKernels][up::kNumMixedModes] = {};
};
void fill_plain(RunTable& t);
void fill_mixed(RunTable& t);

}  // namespace steepest::kernels::cuda_optim
