// The CUDA kernels of the random fills (dispatch/random.hpp): one thread per Philox block,
// with the CPU's block function and word-to-value maps (steepest/ops/random.hpp, host-device),
// compiled with -fmad=false, so rand, randn, randint, bernoulli and dropout masks give the
// CPU's bits for the same seed, offset and size. exponential_, geometric_, cauchy_ and
// log_normal_ transform those draws with CUDA's log1p/tan/exp (the CPU uses its C library's:
// the last bit may differ, as it may between C libraries). randperm draws its words in
// parallel and shuffles on one thread, in the CPU's order. multinomial is multinomial.cu.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/random_layout.hpp"

namespace steepest::cuda {

namespace {

using dispatch::RandomDist;

__global__ void random_kernel(Target t, Layout layout, RandomParams q, uint64_t seed, uint64_t offset, int64_t nb) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < nb; j += int64_t(gridDim.x) * blockDim.x) {
    uint32_t x[4];
    philox_block(seed, offset, j, x);
    draw_block(t, layout, q, x, j);
  }
}

void launch(const Tensor& t, Layout layout, const RandomParams& q, int64_t nb, Generator& g) {
  const Generator::Draw d = g.reserve(uint64_t(nb));
  if (nb == 0) return;
  const Target tg{static_cast<char*>(t.data_ptr()), t.dtype(), t.numel()};
  random_kernel<<<unsigned(blocks_for(nb)), kThreadsPerBlock, 0, current_stream()>>>(tg, layout, q, d.seed, d.offset,
                                                                                      nb);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

int64_t blocks_for_words(int64_t words) { return (words + 3) / 4; }

void fill_random(RandomDist dist, const Tensor& t, double a, double b, Generator& g) {
  STEEPEST_CHECK(t.is_contiguous(), ValueError, "random fill: the CUDA kernel fills a dense tensor");
  int64_t nb = 0;
  const Layout layout = layout_of(dist, t.dtype(), t.numel(), nb);
  launch(t, layout, RandomParams{dist, a, b, 0, 0}, nb, g);
}

void randint(const Tensor& t, int64_t low, int64_t high, Generator& g) {
  STEEPEST_CHECK(t.is_contiguous(), ValueError, "randint: the CUDA kernel fills a dense tensor");
  const RandomParams q{RandomDist::Uniform, 0, 0, low, uint64_t(high) - uint64_t(low)};
  launch(t, Layout::Randint, q, blocks_for_words(2 * t.numel()), g);
}

// The first flat index whose probability is outside [0, 1] (or NaN), by atomicMin.
__global__ void bad_prob_kernel(const double* p, int64_t n, unsigned long long* first) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    if (!(p[i] >= 0 && p[i] <= 1)) atomicMin(first, (unsigned long long)i);
}

__global__ void bernoulli_tensor_kernel(Target t, const double* p, uint64_t seed, uint64_t offset, int64_t nb) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < nb; j += int64_t(gridDim.x) * blockDim.x) {
    uint32_t x[4];
    philox_block(seed, offset, j, x);
    for (int e = 0; e < 4; ++e) {
      const int64_t i = 4 * j + e;
      if (i < t.n) t.put(i, philox::uniform24(x[e]) < p[i] ? 1.0 : 0.0);
    }
  }
}

void bernoulli_tensor(const Tensor& out, const Tensor& probs, Generator& g) {
  const int64_t n = probs.numel();
  const double* p = probs.data<double>();
  if (n > 0) {
    // The check comes first, as on the CPU: a refused call leaves the generator untouched.
    Tensor flag = Tensor::empty(Shape{1}, kInt64, probs.device());
    auto* f = static_cast<unsigned long long*>(flag.data_ptr());
    const unsigned long long none = ~0ull;
    cudaStream_t s = current_stream();
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(f, &none, sizeof(none), cudaMemcpyHostToDevice, s));
    bad_prob_kernel<<<unsigned(blocks_for(n)), kThreadsPerBlock, 0, s>>>(p, n, f);
    STEEPEST_CUDA_LAUNCH_CHECK();
    unsigned long long first = none;
    STEEPEST_CUDA_CHECK(cudaMemcpyAsync(&first, f, sizeof(first), cudaMemcpyDeviceToHost, s));
    STEEPEST_CUDA_CHECK(cudaStreamSynchronize(s));
    if (first != none) {
      double bad = 0;
      STEEPEST_CUDA_CHECK(cudaMemcpy(&bad, p + first, sizeof(bad), cudaMemcpyDeviceToHost));
      throw ValueError(str("bernoulli expects all probabilities to be in [0, 1], but found ", bad, " at flat index ",
                           int64_t(first)));
    }
  }
  const int64_t nb = blocks_for_words(n);
  const Generator::Draw d = g.reserve(uint64_t(nb));
  if (nb == 0) return;
  const Target tg{static_cast<char*>(out.data_ptr()), out.dtype(), out.numel()};
  bernoulli_tensor_kernel<<<unsigned(blocks_for(nb)), kThreadsPerBlock, 0, current_stream()>>>(tg, p, d.seed,
                                                                                                d.offset, nb);
  STEEPEST_CUDA_LAUNCH_CHECK();
}

// v[i] = x[2i] 2^32 + x[2i+1], block j giving v[2j] and v[2j+1].
__global__ void randperm_words_kernel(uint64_t* v, int64_t n, uint64_t seed, uint64_t offset, int64_t nb) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < nb; j += int64_t(gridDim.x) * blockDim.x) {
    uint32_t x[4];
    philox_block(seed, offset, j, x);
    for (int e = 0; e < 2; ++e)
      if (2 * j + e < n) v[2 * j + e] = (uint64_t(x[2 * e]) << 32) | x[2 * e + 1];
  }
}

// Fisher-Yates from the end, as the CPU (one thread: each swap depends on the previous ones).
__global__ void randperm_shuffle_kernel(int64_t* perm, const uint64_t* v, int64_t n, Target out) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int64_t i = n - 1; i >= 1; --i) {
    const int64_t j = int64_t(philox::bounded64(uint32_t(v[i] >> 32), uint32_t(v[i]), uint64_t(i + 1)));
    const int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (int64_t i = 0; i < n; ++i) store_as<int64_t>(out.p + i * itemsize_of(out.d), out.d, DType::Int64, perm[i]);
}

void randperm(const Tensor& out, Generator& g) {
  STEEPEST_CHECK(out.is_contiguous(), ValueError, "randperm: the CUDA kernel fills a dense tensor");
  const int64_t n = out.numel();
  const int64_t nb = blocks_for_words(2 * n);
  const Generator::Draw d = g.reserve(uint64_t(nb));
  if (n == 0) return;
  Tensor v = Tensor::empty(Shape{n}, kInt64, out.device()), perm = Tensor::empty(Shape{n}, kInt64, out.device());
  auto* vp = static_cast<uint64_t*>(v.data_ptr());
  randperm_words_kernel<<<unsigned(blocks_for(nb)), kThreadsPerBlock, 0, current_stream()>>>(vp, n, d.seed, d.offset,
                                                                                             nb);
  STEEPEST_CUDA_LAUNCH_CHECK();
  randperm_shuffle_kernel<<<1, 1, 0, current_stream()>>>(perm.data<int64_t>(), vp, n,
                                                         Target{static_cast<char*>(out.data_ptr()), out.dtype(), n});
  STEEPEST_CUDA_LAUNCH_CHECK();
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::randperm_stub, CUDA, randperm);
STEEPEST_REGISTER_KERNEL(dispatch::random_stub, CUDA, fill_random);
STEEPEST_REGISTER_KERNEL(dispatch::randint_stub, CUDA, randint);
STEEPEST_REGISTER_KERNEL(dispatch::bernoulli_tensor_stub, CUDA, bernoulli_tensor);

}  // namespace steepest::cuda
