// The CUDA slot of optim_run_stub: rows merged where the CPU merges them (elementwise kernels,
// arrays adjacent in memory), grouped into runs of one storage (float32, float64 or one
// mixed-precision mode and rounding key), each run launched as multi-tensor tables
// (optim_run.cuh) on the current stream. Nothing here waits for the device.
#include "dispatch/optim.hpp"
#include "kernels/cuda/optim_run.cuh"

namespace steepest::kernels::cuda_optim {

namespace {

size_t kind_size(StoreKind k) { return k == StoreKind::F32 ? 4 : 2; }

// Bytes per element of slot k in a row.
size_t slot_bytes(const Row& r, int k) {
  if (r.f64) return 8;
  if (r.mixed < 0) return 4;
  const up::MixedMode& m = up::kMixedModes[r.mixed];
  if (k == up::kParam) return m.master ? 4 : kind_size(m.param);
  return kind_size(k == up::kGrad ? m.param : m.state);
}

bool same_rounding(const Row& a, const Row& b) {
  const bool sa = a.mp && a.mp->stochastic_rounding, sb = b.mp && b.mp->stochastic_rounding;
  if (sa != sb) return false;
  return !sa || (a.mp->seed == b.mp->seed && a.mp->sr_step == b.mp->sr_step);
}

// Whether row b continues row a in memory for every array and can run as part of it (the
// CPU backend's rule: the result is the same bits either way; stochastic rounding keys on the
// param, so such rows never merge).
bool adjacent(const Row& a, const Row& b) {
  if (a.f64 != b.f64 || a.step != b.step || a.mixed != b.mixed) return false;
  if (a.mixed >= 0 && a.mp && a.mp->stochastic_rounding) return false;
  for (int k = 0; k < up::kMaxSlots; ++k) {
    if (bool(a.arrays[k]) != bool(b.arrays[k])) return false;
    if (a.arrays[k] && static_cast<char*>(a.arrays[k]) + a.numel * int64_t(slot_bytes(a, k)) != b.arrays[k]) return false;
  }
  if (bool(a.out) != bool(b.out)) return false;
  return !a.out || static_cast<char*>(a.out) + a.numel * int64_t(2) == b.out;
}

const RunTable& run_table() {
  static const RunTable t = [] {
    RunTable r;
    fill_plain(r);
    fill_mixed(r);
    return r;
  }();
  return t;
}

void run_rows(up::KernelId id, const std::vector<Row>& rows_in, const void* steps, size_t step_size,
              bool elementwise) {
  if (rows_in.empty()) return;
  std::vector<Row> merged;
  if (elementwise) {
    merged.reserve(rows_in.size());
    for (const Row& r : rows_in) {
      if (!merged.empty() && adjacent(merged.back(), r)) merged.back().numel += r.numel;
      else merged.push_back(r);
    }
  }
  const std::vector<Row>& rows = elementwise ? merged : rows_in;
  const RunTable& table = run_table();
  const int k = int(id);
  STEEPEST_CHECK(k >= 0 && k < up::kNumKernels, ValueError, "optimizer kernel id ", k, " is out of range");
  for (const Row& r : rows) {
    STEEPEST_CHECK(r.mixed < up::kNumMixedModes, ValueError, "optimizer row: mixed mode ", r.mixed, " is out of range");
    STEEPEST_CHECK(r.mixed < 0 || table.mixed[k][r.mixed], TypeError, "optimizer kernel ", up::kernel_name(id),
                   " has no mixed-precision (bfloat16/float16) form");
    STEEPEST_CHECK(r.numel >= 0, ValueError, "optimizer row: negative element count ", r.numel);
  }
  const int dev = rows[0].device.index < 0 ? 0 : rows[0].device.index;
  STEEPEST_CUDA_CHECK(cudaSetDevice(dev));
  const char* step_bytes = static_cast<const char*>(steps);
  size_t r = 0;
  while (r < rows.size()) {
    size_t e = r + 1;
    while (e < rows.size() && rows[e].f64 == rows[r].f64 && rows[e].mixed == rows[r].mixed &&
           (rows[r].mixed < 0 || same_rounding(rows[r], rows[e])))
      ++e;
    const Row& first = rows[r];
    const GroupFn fn = first.mixed >= 0 ? table.mixed[k][first.mixed] : first.f64 ? table.f64[k] : table.f32[k];
    fn(rows, r, e, step_bytes, step_size);
    r = e;
  }
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::optim_run_stub, CUDA, run_rows);

}  // namespace steepest::kernels::cuda_optim
