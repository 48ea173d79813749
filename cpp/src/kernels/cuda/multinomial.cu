// The CUDA kernel of multinomial (dispatch/random.hpp), giving the CPU's samples for the same
// generator state: the uniforms are the CUDA random fill's float64 draws (the CPU's Philox bits
// and layout), and each sample is kernels/multinomial_math.hpp's pick, as on the CPU.
// - With replacement: one thread per row forms its running sums in the CPU's order, then one
//   thread per sample searches them. Exact.
// - Without: each category's race time becomes a radix key (kernels/sort_order.hpp) and a
//   stable sort per row (radix_sort.cuh) orders them by (time, index), the CPU's comparator; the
//   first n are kept. The times use CUDA's log1p, which may differ from the C library's in the
//   last bit, so a near-tie between two categories' times can order differently than the CPU.
#include "dispatch/random.hpp"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/radix_sort.cuh"
#include "kernels/multinomial_math.hpp"
#include "kernels/sort_order.hpp"

namespace steepest::cuda {

namespace {

#define STEEPEST_GRID_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void running_sums_kernel(double* acc, const double* p, int64_t rows, int64_t k) {
  STEEPEST_GRID_LOOP(r, rows) {
    double run = 0;
    for (int64_t j = 0; j < k; ++j) acc[r * k + j] = (run += p[r * k + j]);
  }
}

__global__ void pick_kernel(int64_t* out, const double* acc, const double* p, const double* u, int64_t rows,
                            int64_t k, int64_t n) {
  STEEPEST_GRID_LOOP(i, rows * n) {
    const int64_t r = i / n;
    const double* a = acc + r * k;
    out[i] = kernels::multinomial_pick(a, p + r * k, k, u[i] * a[k - 1]);
  }
}

__global__ void race_keys_kernel(uint64_t* keys, int64_t* idx, const double* p, const double* u, int64_t total,
                                 int64_t k) {
  STEEPEST_GRID_LOOP(i, total) {
    keys[i] = kernels::sort_key(kernels::multinomial_race_time(p[i], u[i]));
    idx[i] = i % k;
  }
}

__global__ void first_n_kernel(int64_t* out, const int64_t* order, int64_t rows, int64_t k, int64_t n) {
  STEEPEST_GRID_LOOP(i, rows * n) out[i] = order[(i / n) * k + i % n];
}

#undef STEEPEST_GRID_LOOP

void multinomial(const Tensor& out, const Tensor& probs, int64_t rows, bool replacement, Generator& g) {
  const int64_t k = probs.numel() / rows, n = out.numel() / rows;
  const Device dev = probs.device();
  const double* p = probs.data<double>();
  int64_t* o = out.data<int64_t>();
  Tensor u = Tensor::empty(Shape{rows * (replacement ? n : k)}, kFloat64, dev);
  dispatch::random_stub().get(dev, "multinomial")(dispatch::RandomDist::Uniform, u, 0.0, 1.0, g);
  cudaStream_t st = current_stream();
  if (replacement) {
    Tensor acc = Tensor::empty(Shape{rows * k}, kFloat64, dev);
    running_sums_kernel<<<unsigned(blocks_for(rows)), kThreadsPerBlock, 0, st>>>(acc.data<double>(), p, rows, k);
    STEEPEST_CUDA_LAUNCH_CHECK();
    pick_kernel<<<unsigned(blocks_for(rows * n)), kThreadsPerBlock, 0, st>>>(o, acc.data<double>(), p,
                                                                            u.data<double>(), rows, k, n);
    STEEPEST_CUDA_LAUNCH_CHECK();
    return;
  }
  const int64_t total = rows * k;
  Tensor keys = Tensor::empty(Shape{2 * total}, kInt64, dev), idx = Tensor::empty(Shape{2 * total}, kInt64, dev);
  auto* kp = reinterpret_cast<uint64_t*>(keys.data<int64_t>());
  int64_t* ip = idx.data<int64_t>();
  race_keys_kernel<<<unsigned(blocks_for(total)), kThreadsPerBlock, 0, st>>>(kp, ip, p, u.data<double>(), total, k);
  STEEPEST_CUDA_LAUNCH_CHECK();
  sort_pairs_rows(kp, ip, kp + total, ip + total, rows, k, 64, dev);
  first_n_kernel<<<unsigned(blocks_for(rows * n)), kThreadsPerBlock, 0, st>>>(o, ip + total, rows, k, n);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::multinomial_stub, CUDA, multinomial);

}  // namespace steepest::cuda
