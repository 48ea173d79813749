// The CUDA slot of optim_run_stub: rows merged where the CPU merges them (elementwise kernels,
// arrays adjacent in memory), grouped into runs of one storage (float32, float64 or one
// mixed-precision mode and rounding key), each run launched as multi-tensor tables
// (optim_run.cuh) on the current stream. Nothing here waits for the device.
#include "dispatch/optim.hpp"
#include "kernels/cuda/optim_run.cuh"
#include "optim/row_merge.hpp"

namespace steepest::kernels::cuda_optim {

namespace {

bool same_rounding(const Row& a, const Row& b) {
  const bool sa = a.mp && a.mp->stochastic_rounding, sb = b.mp && b.mp->stochastic_rounding;
  if (sa != sb) return false;
  return !sa || (a.mp->seed == b.mp->seed && a.mp->sr_step == b.mp->sr_step);
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
  if (elementwise) merged = optim::detail::merge_adjacent_rows(rows_in);  // as the CPU merges them
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
