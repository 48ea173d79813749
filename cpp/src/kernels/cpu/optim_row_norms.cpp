// The CPU kernel of the per-tensor sums of squares (optim/row_norms.hpp): chunks summed with
// accumulators in a fixed pattern, chunk results added per tensor in chunk order
// (thread-count independent).
#include <omp.h>

#include "dispatch/optim.hpp"
#include "optim/row_norms.hpp"

namespace steepest::kernels {
using optim::detail::NormInput;

namespace {
constexpr int64_t kChunk = 32768;
constexpr int64_t kParallelMin = 65536;

// float64: eight double accumulators.
double sum_sq(const double* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += x[i + j] * x[i + j];
  for (int j = 0; i < n; ++i, ++j) acc[j] += x[i] * x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// float32: sixteen float accumulators per leaf of 1024 values (64 terms per accumulator, the
// compiler keeps them in vector registers without reordering anything), leaves added in double.
double sum_sq(const float* x, int64_t n) {
  constexpr int64_t kLeaf = 1024;
  double total = 0;
  for (int64_t s = 0; s < n; s += kLeaf) {
    const int64_t e = s + kLeaf < n ? s + kLeaf : n;
    float acc[16] = {};
    int64_t i = s;
    for (; i + 16 <= e; i += 16)
      for (int j = 0; j < 16; ++j) acc[j] += x[i + j] * x[i + j];
    for (int w = 8; w >= 1; w /= 2)
      for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
    float t = acc[0];
    for (; i < e; ++i) t += x[i] * x[i];
    total += double(t);
  }
  return total;
}
}  // namespace

void row_sum_sq(const std::vector<NormInput>& inputs, std::vector<double>& out) {
  struct Piece {
    size_t row;
    int64_t begin, len;
  };
  std::vector<Piece> pieces;
  int64_t total = 0;
  for (size_t r = 0; r < inputs.size(); ++r) {
    for (int64_t b = 0; b < inputs[r].numel; b += kChunk)
      pieces.push_back({r, b, inputs[r].numel - b < kChunk ? inputs[r].numel - b : kChunk});
    total += inputs[r].numel;
  }
  std::vector<double> part(pieces.size());
  auto one = [&](int64_t i) {
    const Piece& p = pieces[size_t(i)];
    const NormInput& in = inputs[p.row];
    part[size_t(i)] = in.f64 ? sum_sq(static_cast<const double*>(in.data) + p.begin, p.len)
                             : sum_sq(static_cast<const float*>(in.data) + p.begin, p.len);
  };
  const int64_t np = int64_t(pieces.size());
  if (total >= kParallelMin && np > 1 && omp_get_max_threads() > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < np; ++i) one(i);
  } else {
    for (int64_t i = 0; i < np; ++i) one(i);
  }
  out.assign(inputs.size(), 0.0);
  for (size_t i = 0; i < pieces.size(); ++i) out[pieces[i].row] += part[i];
}

STEEPEST_REGISTER_KERNEL(dispatch::optim_row_sum_sq_stub, CPU, row_sum_sq);

}  // namespace steepest::kernels
