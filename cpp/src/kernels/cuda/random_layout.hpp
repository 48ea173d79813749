// The Philox draws of the CUDA random kernels, host-device: which words of block j make which
// elements for each distribution (the CPU kernel's layout, steepest/ops/random.hpp), so the
// CPU test binary replays a whole draw on the host against the CPU kernel (test_cuda_random.cpp).
#pragma once
#include <cmath>

#include "dispatch/random.hpp"
#include "kernels/cuda/element_cast.hpp"

namespace steepest::cuda {

// A dense output: element i of dtype d at p + i * itemsize.
struct Target {
  char* p;
  DType d;
  int64_t n;
  STEEPEST_HD void put(int64_t i, double v) const {
    if (i < n) store_as<double>(p + i * itemsize_of(d), d, DType::Float64, v);
  }
};

STEEPEST_HD inline void philox_block(uint64_t seed, uint64_t offset, int64_t j, uint32_t x[4]) {
  const uint32_t key[2] = {uint32_t(seed), uint32_t(seed >> 32)};
  const uint64_t c = offset + uint64_t(j);
  const uint32_t ctr[4] = {uint32_t(c), uint32_t(c >> 32), 0u, 0u};
  philox::block(ctr, key, x);
}

// u in [0, 1) exact in the output dtype (the CPU's unit<T>).
STEEPEST_HD inline double unit(uint32_t x, DType d) {
  if (d == DType::BFloat16) return double(x >> 24) * (1.0 / 256.0);
  if (d == DType::Float16) return double(x >> 21) * (1.0 / 2048.0);
  return philox::uniform24(x);
}

struct RandomParams {
  dispatch::RandomDist dist;
  double a, b;
  int64_t low;
  uint64_t range;
};

// The word layout of a draw: 53-bit uniforms (2 words per element), 24-bit (or narrower)
// uniforms (1 word), Box-Muller pairs from 53-bit (4 words) or 24-bit (2 words) uniforms,
// Bernoulli (1 word), randint (2 words).
enum class Layout : uint8_t { Uniform53, Uniform, Normal53, Normal, Bernoulli, Randint };

// exponential, geometric, cauchy and log-normal from a float64 uniform (normal for log-normal),
// with this side's libm (the C library's on the host, CUDA's on the device).
STEEPEST_HD inline double transform(const RandomParams& q, double u) {
  constexpr double kPi = 3.14159265358979323846;
  switch (q.dist) {
    case dispatch::RandomDist::Exponential: return -::log1p(-u) / q.a;
    case dispatch::RandomDist::Geometric: {
      const double r = ::ceil(::log1p(-u) / ::log1p(-q.a));
      return r > 1.0 ? r : 1.0;
    }
    case dispatch::RandomDist::Cauchy: return q.a + q.b * ::tan(kPi * (u - 0.5));
    case dispatch::RandomDist::LogNormal: return ::exp(u);
    default: return u;
  }
}

// The elements that block j (words x) of a draw gives.
STEEPEST_HD inline void draw_block(const Target& t, Layout layout, const RandomParams& q, const uint32_t x[4],
                                   int64_t j) {
  using dispatch::RandomDist;
  switch (layout) {
    case Layout::Uniform53:  // float64 uniforms, then the transforms
      for (int e = 0; e < 2; ++e) {
        const double u = philox::uniform53(x[2 * e], x[2 * e + 1]);
        t.put(2 * j + e, q.dist == RandomDist::Uniform ? q.a + (q.b - q.a) * u : transform(q, u));
      }
      break;
    case Layout::Uniform:
      for (int e = 0; e < 4; ++e) t.put(4 * j + e, q.a + (q.b - q.a) * unit(x[e], t.d));
      break;
    case Layout::Normal53: {  // one pair per block (float64 output, and log_normal_)
      double z0, z1;
      philox::box_muller(philox::uniform53(x[0], x[1]) + 1.0 / 9007199254740992.0, philox::uniform53(x[2], x[3]), z0,
                         z1);
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

// The layout and block count of a fill_random draw of n elements of dtype d.
inline Layout layout_of(dispatch::RandomDist dist, DType d, int64_t n, int64_t& nblocks) {
  using dispatch::RandomDist;
  auto words = [](int64_t w) { return (w + 3) / 4; };
  const bool f64 = d == DType::Float64;
  switch (dist) {
    case RandomDist::Uniform:
      nblocks = f64 ? words(2 * n) : words(n);
      return f64 ? Layout::Uniform53 : Layout::Uniform;
    case RandomDist::Normal:
      nblocks = f64 ? (n + 1) / 2 : words(2 * ((n + 1) / 2));
      return f64 ? Layout::Normal53 : Layout::Normal;
    case RandomDist::Bernoulli: nblocks = words(n); return Layout::Bernoulli;
    case RandomDist::LogNormal: nblocks = (n + 1) / 2; return Layout::Normal53;
    default: nblocks = words(2 * n); return Layout::Uniform53;  // exponential, geometric, cauchy
  }
}

}  // namespace steepest::cuda
