// The CPU kernels of the random fills (dispatch/random.hpp): Philox-4x32-10 blocks mapped
// to uniform/normal/integer values exactly as documented in steepest/ops/random.hpp. Blocks
// are independent, so large draws split across OpenMP threads without changing a single
// bit of the output.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dispatch/random.hpp"
#include "kernels/multinomial_math.hpp"
#include "ops/cast.hpp"

namespace steepest::kernels::cpu {

namespace {

using dispatch::RandomDist;

// Blocks per thread below which a draw stays on one thread (4 words per block).
constexpr int64_t kParallelBlocks = 16384;

// Calls fn(j, x) for each block j of a draw: x is the 4-word output of block j.
template <class Fn>
void for_blocks(Generator::Draw d, int64_t nblocks, const Fn& fn) {
  const uint32_t key[2] = {uint32_t(d.seed), uint32_t(d.seed >> 32)};
  auto one = [&](int64_t j) {
    uint64_t c = d.offset + uint64_t(j);
    const uint32_t ctr[4] = {uint32_t(c), uint32_t(c >> 32), 0u, 0u};
    uint32_t x[4];
    philox::block(ctr, key, x);
    fn(j, x);
  };
  if (nblocks >= 2 * kParallelBlocks && omp_get_max_threads() > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < nblocks; ++j) one(j);
  } else {
    for (int64_t j = 0; j < nblocks; ++j) one(j);
  }
}

int64_t blocks_for_words(int64_t words) { return (words + 3) / 4; }

// u in [0, 1) with as many bits as T's significand holds, so it is exact in T.
template <class T>
double unit(uint32_t x) {
  if constexpr (std::is_same_v<T, bfloat16>) return double(x >> 24) * (1.0 / 256.0);
  else if constexpr (std::is_same_v<T, float16>) return double(x >> 21) * (1.0 / 2048.0);
  else return philox::uniform24(x);
}

template <class T>
void fill_uniform(T* out, int64_t n, double a, double b, Generator& g) {
  const double w = b - a;
  if constexpr (std::is_same_v<T, double>) {
    int64_t nb = blocks_for_words(2 * n);
    for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
      for (int e = 0; e < 2; ++e) {
        int64_t i = 2 * j + e;
        if (i < n) out[i] = a + w * philox::uniform53(x[2 * e], x[2 * e + 1]);
      }
    });
  } else {
    int64_t nb = blocks_for_words(n);
    for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
      for (int e = 0; e < 4; ++e) {
        int64_t i = 4 * j + e;
        if (i < n) out[i] = detail::cast_to<T>(a + w * unit<T>(x[e]));
      }
    });
  }
}

template <class T>
void fill_normal(T* out, int64_t n, double mean, double sd, Generator& g) {
  int64_t pairs = (n + 1) / 2;
  auto put = [&](int64_t pair, double z0, double z1) {
    int64_t i = 2 * pair;
    out[i] = detail::cast_to<T>(mean + sd * z0);
    if (i + 1 < n) out[i + 1] = detail::cast_to<T>(mean + sd * z1);
  };
  if constexpr (std::is_same_v<T, double>) {
    int64_t nb = pairs;  // 4 words per pair
    for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
      double z0, z1;
      philox::box_muller(philox::uniform53(x[0], x[1]) + 1.0 / 9007199254740992.0, philox::uniform53(x[2], x[3]), z0, z1);
      put(j, z0, z1);
    });
  } else {
    int64_t nb = blocks_for_words(2 * pairs);  // 2 words per pair
    for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
      for (int e = 0; e < 2; ++e) {
        int64_t pair = 2 * j + e;
        if (pair >= pairs) break;
        double z0, z1;
        double u1 = double((x[2 * e] >> 8) + 1) * (1.0 / 16777216.0);
        philox::box_muller(u1, philox::uniform24(x[2 * e + 1]), z0, z1);
        put(pair, z0, z1);
      }
    });
  }
}

template <class T>
void fill_randint(T* out, int64_t n, int64_t low, int64_t high, Generator& g) {
  uint64_t range = uint64_t(high) - uint64_t(low);
  int64_t nb = blocks_for_words(2 * n);
  for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
    for (int e = 0; e < 2; ++e) {
      int64_t i = 2 * j + e;
      if (i < n) out[i] = detail::cast_to<T>(int64_t(uint64_t(low) + philox::bounded64(x[2 * e], x[2 * e + 1], range)));
    }
  });
}

template <class T>
void fill_bernoulli(T* out, int64_t n, double prob, Generator& g) {
  int64_t nb = blocks_for_words(n);
  for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
    for (int e = 0; e < 4; ++e) {
      int64_t i = 4 * j + e;
      if (i < n) out[i] = detail::cast_to<T>(philox::uniform24(x[e]) < prob ? 1 : 0);
    }
  });
}

// The distributions drawn by transforming one 53-bit uniform u in [0, 1) per element
// (2 words each, as float64 uniforms), with the C library's log/tan/exp (so their last bit
// may differ between C libraries, unlike uniform/normal):
//   exponential(rate)  -log1p(-u) / rate
//   geometric(p)       max(1, ceil(log1p(-u) / log1p(-p)))
//   cauchy(m, s)       m + s * tan(pi (u - 1/2))
//   log_normal(m, s)   exp(normal(m, s)) (the normal draw as normal_ with float64 output)
template <class T>
void fill_transformed(T* out, int64_t n, RandomDist dist, double a, double b, Generator& g) {
  std::vector<double> u(static_cast<size_t>(n));
  if (dist == RandomDist::LogNormal) fill_normal(u.data(), n, a, b, g);
  else fill_uniform(u.data(), n, 0.0, 1.0, g);
  constexpr double kPi = 3.14159265358979323846;
  for (int64_t i = 0; i < n; ++i) {
    double v = u[size_t(i)], r = 0;
    switch (dist) {
      case RandomDist::Exponential: r = -std::log1p(-v) / a; break;
      case RandomDist::Geometric: r = std::max(1.0, std::ceil(std::log1p(-v) / std::log1p(-a))); break;
      case RandomDist::Cauchy: r = a + b * std::tan(kPi * (v - 0.5)); break;
      case RandomDist::LogNormal: r = std::exp(v); break;
      default: break;
    }
    out[i] = detail::cast_to<T>(r);
  }
}

void fill_random(RandomDist dist, const Tensor& t, double a, double b, Generator& g) {
  const int64_t n = t.numel();
  visit_dtype(t.dtype(), [&](auto z) {
    using T = decltype(z);
    T* p = static_cast<T*>(t.data_ptr());
    switch (dist) {
      case RandomDist::Uniform:
        if constexpr (!std::is_integral_v<T>) fill_uniform(p, n, a, b, g);
        break;
      case RandomDist::Normal:
        if constexpr (!std::is_integral_v<T>) fill_normal(p, n, a, b, g);
        break;
      case RandomDist::Bernoulli: fill_bernoulli(p, n, a, g); break;
      case RandomDist::Geometric: fill_transformed(p, n, dist, a, b, g); break;
      case RandomDist::Exponential:
      case RandomDist::Cauchy:
      case RandomDist::LogNormal:
        if constexpr (!std::is_integral_v<T>) fill_transformed(p, n, dist, a, b, g);
        break;
    }
  });
}

void randint(const Tensor& t, int64_t low, int64_t high, Generator& g) {
  visit_dtype(t.dtype(), [&](auto z) { fill_randint(static_cast<decltype(z)*>(t.data_ptr()), t.numel(), low, high, g); });
}

void bernoulli_tensor(const Tensor& out, const Tensor& p, Generator& g) {
  const double* pv = p.data<double>();
  int64_t n = p.numel();
  for (int64_t i = 0; i < n; ++i)
    STEEPEST_CHECK(pv[i] >= 0 && pv[i] <= 1, ValueError,
                   "bernoulli expects all probabilities to be in [0, 1], but found ", pv[i], " at flat index ", i);
  visit_dtype(out.dtype(), [&](auto z) {
    using T = decltype(z);
    T* o = static_cast<T*>(out.data_ptr());
    int64_t nb = blocks_for_words(n);
    for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
      for (int e = 0; e < 4; ++e) {
        int64_t i = 4 * j + e;
        if (i < n) o[i] = detail::cast_to<T>(philox::uniform24(x[e]) < pv[i] ? 1 : 0);
      }
    });
  });
}

void randperm(const Tensor& out, Generator& g) {
  const int64_t n = out.numel();
  std::vector<uint64_t> v(static_cast<size_t>(n));  // v[i] = x[2i] * 2^32 + x[2i+1]
  int64_t nb = blocks_for_words(2 * n);
  for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
    for (int e = 0; e < 2; ++e) {
      int64_t i = 2 * j + e;
      if (i < n) v[size_t(i)] = (uint64_t(x[2 * e]) << 32) | x[2 * e + 1];
    }
  });
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[size_t(i)] = i;
  for (int64_t i = n - 1; i >= 1; --i) {
    uint64_t vi = v[size_t(i)];
    int64_t j = int64_t(philox::bounded64(uint32_t(vi >> 32), uint32_t(vi), uint64_t(i + 1)));
    std::swap(perm[size_t(i)], perm[size_t(j)]);
  }
  visit_dtype(out.dtype(), [&](auto z) {
    using T = decltype(z);
    T* o = static_cast<T*>(out.data_ptr());
    for (int64_t i = 0; i < n; ++i) o[i] = detail::cast_to<T>(perm[size_t(i)]);
  });
}

// With replacement: each sample is the first category whose running sum of the row exceeds
// u * total (u a 53-bit uniform, 2 words per sample). Without: an exponential race, each
// category k drawing E_k = -log1p(-u_k) / p_k (zero-probability categories never finish) and
// the n earliest finishers kept in order (2 words per category): the same law as drawing
// one at a time and removing it.
void multinomial(const Tensor& out, const Tensor& probs, int64_t rows, bool replacement, Generator& g) {
  const int64_t k = probs.numel() / rows, n = out.numel() / rows;
  const double* p = probs.data<double>();
  int64_t* o = out.data<int64_t>();
  const int64_t draws = rows * (replacement ? n : k);
  std::vector<double> u(static_cast<size_t>(draws));
  fill_uniform(u.data(), draws, 0.0, 1.0, g);
  std::vector<double> acc(static_cast<size_t>(k));
  std::vector<int64_t> idx(static_cast<size_t>(k));
  for (int64_t r = 0; r < rows; ++r) {
    const double* pr = p + r * k;
    if (replacement) {
      double run = 0;
      for (int64_t j = 0; j < k; ++j) acc[size_t(j)] = (run += pr[j]);
      for (int64_t s = 0; s < n; ++s) {
        o[r * n + s] = kernels::multinomial_pick(acc.data(), pr, k, u[size_t(r * n + s)] * run);
      }
    } else {
      for (int64_t j = 0; j < k; ++j) {
        acc[size_t(j)] = kernels::multinomial_race_time(pr[j], u[size_t(r * k + j)]);
        idx[size_t(j)] = j;
      }
      std::partial_sort(idx.begin(), idx.begin() + n, idx.end(),
                        [&](int64_t a, int64_t b) { return acc[size_t(a)] < acc[size_t(b)] || (acc[size_t(a)] == acc[size_t(b)] && a < b); });
      for (int64_t s = 0; s < n; ++s) o[r * n + s] = idx[size_t(s)];
    }
  }
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::multinomial_stub, CPU, multinomial);
STEEPEST_REGISTER_KERNEL(dispatch::random_stub, CPU, fill_random);
STEEPEST_REGISTER_KERNEL(dispatch::randint_stub, CPU, randint);
STEEPEST_REGISTER_KERNEL(dispatch::bernoulli_tensor_stub, CPU, bernoulli_tensor);
STEEPEST_REGISTER_KERNEL(dispatch::randperm_stub, CPU, randperm);

}  // namespace steepest::kernels::cpu
