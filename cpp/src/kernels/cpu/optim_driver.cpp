// The CPU kernels of the optimizer driver (dispatch/optim.hpp): the chunked multi-tensor update
// loop (every row split into chunks, OpenMP-parallel over the whole chunk list, so thousands of
// small tensors parallelise as well as one large arena tensor; each chunk runs the kernel
// table's entry for its element type or mixed-precision mode), and the host-memory forms of
// the step's other reads and writes: the found_inf flag, step counters, NAdam's products,
// Muon's Frobenius norm and Adafactor's factored moments.
#include <omp.h>

#include <cmath>
#include <vector>

#include "dispatch/optim.hpp"
#include "kernels/cpu/kernel_table.hpp"
#include "optim/row_merge.hpp"
#include "optim/updates/adafactor.hpp"

namespace steepest::kernels {

namespace {
using optim::detail::Row;
using optim::updates::kMaxSlots;

// Elements per chunk: big enough that the per-chunk call is noise, small enough that a few
// large tensors still split evenly over the threads.
constexpr int64_t kChunk = 32768;
// Below this many elements in all a step runs on one thread (a parallel region costs µs).
constexpr int64_t kParallelMin = 65536;

struct Chunk {
  int32_t row;
  int64_t begin, len;
};

void run_rows(KernelId id, const std::vector<Row>& rows_in, const void* steps, size_t step_size,
              bool elementwise) {
  if (rows_in.empty()) return;
  std::vector<Row> merged;
  if (elementwise) merged = optim::detail::merge_adjacent_rows(rows_in);
  const std::vector<Row>& rows = elementwise ? merged : rows_in;
  const auto& table = cpu_kernels();
  const OptimUpdateFn fn32 = table.f32.optim.update[int(id)], fn64 = table.f64.optim.update[int(id)];
  const auto& mixed_fns = table.f32.optim.mixed[int(id)];
  for (const Row& r : rows)
    STEEPEST_CHECK(r.mixed < 0 || mixed_fns[r.mixed], TypeError, "optimizer kernel ", optim::updates::kernel_name(id),
                   " has no mixed-precision (bfloat16/float16) form");
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
    const void* step = step_bytes + size_t(row.step) * step_size;
    if (row.mixed >= 0) {
      MixedChunk m;
      for (int k = 0; k < kMaxSlots; ++k) {
        const int64_t bytes = int64_t(optim::detail::row_slot_bytes(row, k));
        m.arrays[k] = row.arrays[k] ? static_cast<char*>(row.arrays[k]) + c.begin * bytes : nullptr;
      }
      if (row.out) m.out = static_cast<char*>(row.out) + c.begin * int64_t(2);
      if (row.mp && row.mp->stochastic_rounding) {
        m.stochastic = true;
        m.seed = row.mp->seed;
        m.sr_step = row.mp->sr_step;
        m.sr_param = uint32_t(row.param);
      }
      m.first = c.begin;
      mixed_fns[row.mixed](step, m, c.len);
      return;
    }
    const int64_t offset = c.begin * (row.f64 ? 8 : 4);
    void* arrays[kMaxSlots];
    for (int k = 0; k < kMaxSlots; ++k)
      arrays[k] = row.arrays[k] ? static_cast<char*>(row.arrays[k]) + offset : nullptr;
    (row.f64 ? fn64 : fn32)(step, arrays, c.len);
  };
  const int64_t nc = int64_t(chunks.size());
  if (total < kParallelMin || omp_get_max_threads() == 1 || nc == 1) {
    for (const Chunk& c : chunks) run_chunk(c);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nc; ++i) run_chunk(chunks[size_t(i)]);
}


bool read_flag(const Tensor& flag) { return flag.item().to_double() != 0.0; }

void count_steps(const std::vector<Tensor>& counters, std::vector<double>& counts) {
  counts.resize(counters.size());
  for (size_t i = 0; i < counters.size(); ++i) {
    const Tensor& step = counters[i];
    if (step.dtype() == kFloat32) {
      float* s = step.data<float>();
      *s = *s + 1.0f;
      counts[i] = double(*s);
    } else {
      double* s = step.data<double>();
      *s = *s + 1.0;
      counts[i] = *s;
    }
  }
}

void multiply_scalars(const std::vector<Tensor>& scalars, const std::vector<double>& factors,
                      std::vector<double>& values) {
  values.resize(scalars.size());
  for (size_t i = 0; i < scalars.size(); ++i) {
    float* v = scalars[i].data<float>();
    *v = *v * float(factors[i]);  // a float32 tensor times a Python float: float32 arithmetic
    values[i] = double(*v);
  }
}

double frobenius_sq(const Tensor& x) {
  double s = 0;
  if (x.dtype() == kFloat64) {
    const double* d = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) s += d[i] * d[i];
  } else {
    const float* d = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) s += double(d[i]) * double(d[i]);
  }
  return s;
}

// sum of x*x over n values with eight double accumulators (fixed order).
template <class T>
double sum_sq(const T* x, int64_t n, T gs) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const double v = double(x[i + j] * gs);
      acc[j] += v * v;
    }
  for (int j = 0; i < n; ++i, ++j) {
    const double v = double(x[i] * gs);
    acc[j] += v * v;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Row/column means of g^2 into row_var/col_var (lerp weight w), then U into u.
template <class T>
void factored_update(const Tensor& param, const T* g, T gs, T* rv, T* cv, T* u, double w, double eps1) {
  const auto& shape = param.shape();
  const int64_t n = shape[shape.size() - 2], m = shape[shape.size() - 1];
  if (n * m == 0) return;
  const int64_t batches = param.numel() / (n * m);
  const optim::updates::Lerp<T> lerp(w);
  const T eps1_t = T(eps1), eps1_sq = T(eps1 * eps1);
  std::vector<double> col(static_cast<size_t>(m));
  for (int64_t b = 0; b < batches; ++b) {
    const T* gb = g + b * n * m;
    T* r = rv + b * n;
    T* c = cv + b * m;
    T* ub = u + b * n * m;
    std::fill(col.begin(), col.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const T* gi = gb + i * m;
      for (int64_t k = 0; k < m; ++k) {
        const double x = double(gi[k] * gs);
        col[size_t(k)] += x * x;
      }
      r[i] = lerp(r[i], T(sum_sq(gi, m, gs) / double(m)));
    }
    for (int64_t k = 0; k < m; ++k) c[k] = lerp(c[k], T(col[size_t(k)] / double(n)));
    double rs = 0;
    for (int64_t i = 0; i < n; ++i) rs += double(r[i]);
    T rm = T(rs / double(n));
    rm = rm < eps1_t ? eps1_t : rm;  // clamp_(min=eps1), NaN kept
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < m; ++k)
        ub[i * m + k] = optim::updates::adafactor_update(T(gb[i * m + k] * gs), optim::updates::adafactor_factored_var(r[i], c[k], rm), eps1_sq);
  }
}

void adafactor_factored(const std::vector<dispatch::AdafactorFactoredRow>& rows, double gs) {
  const int64_t nf = int64_t(rows.size());
#pragma omp parallel for schedule(dynamic) if (nf > 1)
  for (int64_t q = 0; q < nf; ++q) {
    const dispatch::AdafactorFactoredRow& r = rows[size_t(q)];
    if (r.param.dtype() == kFloat64)
      factored_update<double>(r.param, static_cast<const double*>(r.grad), gs, r.row_var.data<double>(),
                              r.col_var.data<double>(), r.update.data<double>(), r.weight, r.eps1);
    else
      factored_update<float>(r.param, static_cast<const float*>(r.grad), float(gs), r.row_var.data<float>(),
                             r.col_var.data<float>(), r.update.data<float>(), r.weight, r.eps1);
  }
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::optim_run_stub, CPU, run_rows);
STEEPEST_REGISTER_KERNEL(dispatch::optim_flag_stub, CPU, read_flag);
STEEPEST_REGISTER_KERNEL(dispatch::optim_count_stub, CPU, count_steps);
STEEPEST_REGISTER_KERNEL(dispatch::optim_scalar_mul_stub, CPU, multiply_scalars);
STEEPEST_REGISTER_KERNEL(dispatch::optim_frobenius_sq_stub, CPU, frobenius_sq);
STEEPEST_REGISTER_KERNEL(dispatch::optim_adafactor_stub, CPU, adafactor_factored);

}  // namespace steepest::kernels
