// The shared multi-tensor driver (driver.hpp): list checks, lazy state, chunking and the
// OpenMP loop over chunks of all tensors of a group.
#include "optim/driver.hpp"

#include <omp.h>

#include "kernels/cpu/kernel_table.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest::optim::detail {

namespace {
// Elements per chunk: big enough that the per-chunk call is noise, small enough that a few
// large tensors still split evenly over the threads.
constexpr int64_t kChunk = 32768;
// Below this many elements in all a step runs on one thread (a parallel region costs µs).
constexpr int64_t kParallelMin = 65536;

struct Chunk {
  int32_t row;
  int64_t begin, len;
};

void check_tensor(const Tensor& t, const Tensor& param, const char* opt, const char* what, size_t i) {
  STEEPEST_CHECK(t.device() == param.device(), ValueError, opt, ": ", what, " of param ", i, " is on ",
                 t.device().str(), ", the param on ", param.device().str());
  STEEPEST_CHECK(t.dtype() == param.dtype(), TypeError, opt, ": ", what, " of param ", i, " is ",
                 dtype_name(t.dtype()), ", the param ", dtype_name(param.dtype()));
  STEEPEST_CHECK(t.numel() == param.numel(), ValueError, opt, ": ", what, " of param ", i, " has ", t.numel(),
                 " elements, the param ", param.numel());
  STEEPEST_CHECK(t.is_contiguous(), ValueError, opt, ": ", what, " of param ", i, " must be contiguous");
}
}  // namespace

bool skip_step(const StepControl& c) {
  if (!c.found_inf.defined()) return false;
  STEEPEST_CHECK(c.found_inf.numel() == 1, ValueError, "found_inf must have one element, got ",
                 c.found_inf.numel());
  return c.found_inf.item().to_double() != 0.0;
}

Gathered gather(TensorLists& lists, const GroupPlan& plan) {
  const char* opt = plan.name;
  STEEPEST_CHECK(!lists.empty(), ValueError, opt, ": no parameter list");
  const auto& params = lists[0];
  const size_t n = params.size();
  for (int k : plan.used_lists) {
    STEEPEST_CHECK(size_t(k) < lists.size(), ValueError, opt, ": expected at least ", k + 1, " tensor lists, got ",
                   lists.size());
    STEEPEST_CHECK(lists[k].size() == n, ValueError, opt, ": state list ", k, " has ", lists[k].size(),
                   " entries for ", n, " params");
  }
  Gathered out;
  out.rows.reserve(n);
  out.index.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    STEEPEST_CHECK(p.defined(), ValueError, opt, ": param ", i, " is None");
    Tensor g = p.grad();
    if (!g.defined()) continue;
    STEEPEST_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, TypeError, opt, ": param ", i, " is ",
                   dtype_name(p.dtype()), "; fused steps take float32 or float64 params");
    STEEPEST_CHECK(p.device().is_cpu(), NotImplementedError, opt, ": param ", i, " is on ", p.device().str(),
                   "; only CPU steps are built");
    STEEPEST_CHECK(p.is_contiguous(), ValueError, opt, ": param ", i, " must be contiguous");
    if (!g.is_contiguous()) {
      g = contiguous(g);
      out.keep.push_back(g);
    }
    check_tensor(g, p, opt, "grad", i);
    Row row;
    row.numel = p.numel();
    row.f64 = p.dtype() == kFloat64;
    row.arrays[0] = p.data_ptr();
    row.arrays[1] = g.data_ptr();
    int a = 2;
    uint8_t fresh = 0;
    for (int k : plan.used_lists) {
      Tensor& s = lists[k][i];
      if (!s.defined()) {
        s = plan.make_state(k, p, g);
        ++out.created;
        fresh = 1;
      }
    }
    for (int k : plan.array_lists) {
      const Tensor& s = lists[k][i];
      check_tensor(s, p, opt, "state", i);
      row.arrays[a++] = s.data_ptr();
    }
    out.rows.push_back(row);
    out.index.push_back(int64_t(i));
    out.fresh.push_back(fresh);
  }
  return out;
}

Tensor zeros_state(const Tensor& param) { return zeros(param.shape(), TensorOptions(param.dtype())); }
Tensor filled_state(const Tensor& param, double value) {
  return full(param.shape(), Scalar(value), TensorOptions(param.dtype()));
}
Tensor empty_state(const Tensor& param) { return Tensor::empty(param.shape(), param.dtype()); }
Tensor scalar_state(double value) { return full(Shape{}, Scalar(value), TensorOptions(kFloat32)); }

double increment_step(const Tensor& step) {
  STEEPEST_CHECK(step.numel() == 1 && step.is_contiguous(), ValueError,
                 "a step counter must be a one-element contiguous tensor, got shape ", step.shape());
  if (step.dtype() == kFloat32) {
    float* s = step.data<float>();
    *s = *s + 1.0f;
    return double(*s);
  }
  STEEPEST_CHECK(step.dtype() == kFloat64, TypeError, "a step counter must be float32 or float64, got ",
                 dtype_name(step.dtype()));
  double* s = step.data<double>();
  *s = *s + 1.0;
  return *s;
}

void run_rows(kernels::OptimRule rule, const std::vector<Row>& rows, const void* steps, size_t step_size) {
  if (rows.empty()) return;
  const auto& table = kernels::cpu_kernels();
  const kernels::OptimUpdateFn fn32 = table.f32.optim.update[int(rule)], fn64 = table.f64.optim.update[int(rule)];
  std::vector<Chunk> chunks;
  int64_t total = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int64_t b = 0; b < rows[r].numel; b += kChunk)
      chunks.push_back({int32_t(r), b, rows[r].numel - b < kChunk ? rows[r].numel - b : kChunk});
    total += rows[r].numel;
  }
  const char* step_bytes = static_cast<const char*>(steps);
  auto run_chunk = [&](const Chunk& c) {
    const Row& row = rows[c.row];
    const int64_t offset = c.begin * (row.f64 ? 8 : 4);
    void* arrays[kMaxArrays];
    for (int k = 0; k < kMaxArrays; ++k)
      arrays[k] = row.arrays[k] ? static_cast<char*>(row.arrays[k]) + offset : nullptr;
    (row.f64 ? fn64 : fn32)(step_bytes + size_t(row.step) * step_size, arrays, c.len);
  };
  const int64_t nc = int64_t(chunks.size());
  if (total < kParallelMin || omp_get_max_threads() == 1 || nc == 1) {
    for (const Chunk& c : chunks) run_chunk(c);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nc; ++i) run_chunk(chunks[size_t(i)]);
}

}  // namespace steepest::optim::detail
