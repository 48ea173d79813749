// The CUDA kernels of the random fills (dispatch/random.hpp): one thread per Philox block,
// with the CPU's block function and word-to-value maps (steepest/ops/random.hpp, host-device),
// compiled with -fmad=false, so rand, randn, randint, bernoulli and dropout masks give the
// CPU's bits for the same seed, offset and size. exponential_, geometric_, cauchy_ and
// log_normal_ transform those draws with CUDA's log1p/tan/exp (the CPU uses its C library's:
// the last bit may differ, as it may between C libraries). randperm draws its words in
// parallel and shuffles on one thread, in the CPU's order. multinomial has no CUDA kernel yet
// (its op checks the probabilities on the host).
#include "dispatch/random.hpp"
#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/launch.cuh"

namespace steepest::cuda {

namespace {

using dispatch::RandomDist;

struct Target {
  char* p;
  DType d;
  int64_t n;
  __device__ void put(int64_t i, double v) const {
    if (i < n) store_as<double>(p + i * itemsize_of(d), d, DType::Float64, v);
  }
};

__device__ inline void philox_block(uint64_t seed, uint64_t offset, int64_t j, uint32_t x[4]) {
  const uint32_t key[2] = {uint32_t(seed), uint32_t(seed >> 32)};
  const uint64_t c = offset + uint64_t(j);
  const uint32_t ctr[4] = {uint32_t(c), uint32_t(c >> 32), 0u, 0u};
  philox::block(ctr, key, x);
}

// u in [0, 1) exact in the output dtype (the CPU's unit<T>).
__device__ inline double unit(uint32_t x, DType d) {
  if (d == DType::BFloat16) return double(x >> 24) * (1.0 / 256.0);
  if (d == DType::Float16) return double(x >> 21) * (1.0 / 2048.0);
  return philox::uniform24(x);
}

struct Params {
  RandomDist dist;
  double a, b;
  int64_t low;
  uint64_t range;
};

// One thread per block j of the draw; `kind` picks the word layout of the CPU kernel.
enum class Layout : uint8_t { Uniform53, Uniform, Normal53, Normal, Bernoulli, Randint };

__device__ double transform(const Params& q, double u) {
  constexpr double kPi = 3.14159265358979323846;
  switch (q.dist) {
    case RandomDist::Exponential: return -::log1p(-u) / q.a;
    case RandomDist::Geometric: {
      const double r = ::ceil(::log1p(-u) / ::log1p(-q.a));
      return r > 1.0 ? r : 1.0;
    }
    case RandomDist::Cauchy: return q.a + q.b * ::tan(kPi * (u - 0.5));
    case RandomDist::LogNormal: return ::exp(u);
    default: return u;
  }
}

__global__ void random_kernel(Target t, Layout layout, Params q, uint64_t seed, uint64_t offset, int64_t nb) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < nb; j += int64_t(gridDim.x) * blockDim.x) {
    uint32_t x[4];
    philox_block(seed, offset, j, x);
    switch (layout) {
      case Layout::Uniform53:  // float64 uniforms (2 words each), then the transforms
        for (int e = 0; e < 2; ++e) {
          const double u = philox::uniform53(x[2 * e], x[2 * e + 1]);
          const bool plain = q.dist == RandomDist::Uniform;
          t.put(2 * j + e, plain ? q.a + (q.b - q.a) * u : transform(q, 0.0 + 1.0 * u));
        }
        break;
      case Layout::Uniform:
        for (int e = 0; e < 4; ++e) t.put(4 * j + e, q.a + (q.b - q.a) * unit(x[e], t.d));
        break;
      case Layout::Normal53: {  // one pair per block (float64 output, and log_normal_)
        double z0, z1;
        philox::box_muller(philox::uniform53(x[0], x[1]) + 1.0 / 9007199254740992.0, philox::uniform53(x[2], x[3]),
                           z0, z1);
        const bool ln = q.dist == RandomDist::LogNormal;
        const double v0 = q.a + q.b * z0, v1 = q.a + q.b * z1;
        t.put(2 * j, ln ? transform(q, v0) : v0);
        t.put(2 * j + 1, ln ? transform(q, v1) : v1);
        break;
      }
      case Layout::Normal:  // two pairs per block
        for (int e = 0; e < 2; ++e) {
          const int64_t pair = 2 * j + e;
          if (2 * pair >= t.n) break;
          double z0, z1;
          const double u1 = double((x[2 * e] >> 8) + 1) * (1.0 / 16777216.0);
          philox::box_muller(u1, philox::uniform24(x[2 * e + 1]), z0, z1);
          t.put(2 * pair, q.a + q.b * z0);
          t.put(2 * pair + 1, q.a + q.b * z1);
        }
        break;
      case Layout::Bernoulli:
        for (int e = 0; e < 4; ++e) t.put(4 * j + e, philox::uniform24(x[e]) < q.a ? 1.0 : 0.0);
        break;
      case Layout::Randint:
        for (int e = 0; e < 2; ++e) {
          const int64_t i = 2 * j + e;
          if (i < t.n)
            store_as<int64_t>(t.p + i * itemsize_of(t.d), t.d, DType::Int64,
                              int64_t(uint64_t(q.low) + philox::bounded64(x[2 * e], x[2 * e + 1], q.range)));
        }
        break;
    }
  }
}

void launch(const Tensor& t, Layout layout, const Params& q, int64_t nb, Generator& g) {
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
  const int64_t n = t.numel();
  const bool f64 = t.dtype() == kFloat64;
  const Params q{dist, a, b, 0, 0};
  switch (dist) {
    case RandomDist::Uniform:
      return f64 ? launch(t, Layout::Uniform53, q, blocks_for_words(2 * n), g)
                 : launch(t, Layout::Uniform, q, blocks_for_words(n), g);
    case RandomDist::Normal:
      return f64 ? launch(t, Layout::Normal53, q, (n + 1) / 2, g)
                 : launch(t, Layout::Normal, q, blocks_for_words(2 * ((n + 1) / 2)), g);
    case RandomDist::Bernoulli: return launch(t, Layout::Bernoulli, q, blocks_for_words(n), g);
    case RandomDist::LogNormal: return launch(t, Layout::Normal53, q, (n + 1) / 2, g);
    case RandomDist::Exponential:
    case RandomDist::Geometric:
    case RandomDist::Cauchy: return launch(t, Layout::Uniform53, q, blocks_for_words(2 * n), g);
  }
}

void randint(const Tensor& t, int64_t low, int64_t high, Generator& g) {
  STEEPEST_CHECK(t.is_contiguous(), ValueError, "randint: the CUDA kernel fills a dense tensor");
  const Params q{RandomDist::Uniform, 0, 0, low, uint64_t(high) - uint64_t(low)};
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
