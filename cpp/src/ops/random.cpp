// Random tensors: Philox-4x32-10 blocks mapped to uniform/normal/integer values exactly as
// documented in ops/random.hpp. Blocks are independent, so large draws split across
// OpenMP threads without changing a single bit of the output.
#include "steepest/ops/random.hpp"

#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ops/cast.hpp"

namespace steepest {

namespace {

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

Generator& pick(Generator* g) { return g ? *g : default_generator(); }

// u in [0, 1) with as many bits as T's significand holds, so it is exact in T.
template <class T>
double unit(uint32_t x) {
  if constexpr (std::is_same_v<T, bfloat16>) return double(x >> 24) * (1.0 / 256.0);
  else if constexpr (std::is_same_v<T, float16>) return double(x >> 21) * (1.0 / 2048.0);
  else return philox::uniform24(x);
}

void check_floating(const Tensor& t, const char* op) {
  STEEPEST_CHECK(is_floating(t.dtype()), TypeError, op, ": expected a floating point dtype, got ",
                 dtype_name(t.dtype()));
  STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, op, " on ", t.device().str(), " tensors");
}

// Runs fill(T* out) on t's memory if it is dense, else on a dense buffer copied into t,
// so element i of the draw always lands at logical (row-major) position i.
template <class Fill>
Tensor& fill_logical(Tensor& t, const Fill& fill) {
  if (t.is_contiguous()) {
    fill(t.data_ptr());
    t.bump_version();
  } else {
    Tensor tmp = Tensor::empty(t.shape(), t.dtype(), t.device());
    fill(tmp.data_ptr());
    copy_(t, tmp);
  }
  return t;
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

void check_int_range(int64_t low, int64_t high, DType dt, const char* op) {
  STEEPEST_CHECK(low < high, ValueError, op, " expects 'low' to be less than 'high', but got low=", low,
                 " >= high=", high);
  if (dt == kInt32)
    STEEPEST_CHECK(low >= std::numeric_limits<int32_t>::min() && high - 1 <= std::numeric_limits<int32_t>::max(),
                   ValueError, op, ": range [", low, ", ", high, ") does not fit in int32");
  if (dt == kBool)
    STEEPEST_CHECK(low >= 0 && high <= 2, ValueError, op, ": range [", low, ", ", high, ") does not fit in bool");
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

}  // namespace

uint64_t Generator::nondeterministic_seed() {
  std::random_device rd;
  uint64_t s = ((uint64_t(rd()) << 32) | rd()) & 0x7fffffffffffffffull;
  manual_seed(s);
  return s;
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  check_floating(t, "uniform_");
  STEEPEST_CHECK(std::isfinite(low) && std::isfinite(high), ValueError, "uniform_: bounds must be finite, got from=",
                 low, ", to=", high);
  STEEPEST_CHECK(low <= high, ValueError, "uniform_ expects to return a [from, to) range, but found from=", low,
                 " > to=", high);
  Generator& g = pick(gen);
  return fill_logical(t, [&](void* p) {
    visit_dtype(t.dtype(), [&](auto z) {
      using T = decltype(z);
      if constexpr (!std::is_integral_v<T>) fill_uniform(static_cast<T*>(p), t.numel(), low, high, g);
    });
  });
}

Tensor& normal_(Tensor& t, double mean, double sd, Generator* gen) {
  check_floating(t, "normal_");
  STEEPEST_CHECK(sd >= 0, ValueError, "normal_ expects std >= 0.0, but found std ", sd);
  Generator& g = pick(gen);
  return fill_logical(t, [&](void* p) {
    visit_dtype(t.dtype(), [&](auto z) {
      using T = decltype(z);
      if constexpr (!std::is_integral_v<T>) fill_normal(static_cast<T*>(p), t.numel(), mean, sd, g);
    });
  });
}

Tensor& random_(Tensor& t, int64_t low, int64_t high, Generator* gen) {
  STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, "random_ on ", t.device().str(), " tensors");
  check_int_range(low, high, t.dtype(), "random_");
  Generator& g = pick(gen);
  return fill_logical(t, [&](void* p) {
    visit_dtype(t.dtype(), [&](auto z) { fill_randint(static_cast<decltype(z)*>(p), t.numel(), low, high, g); });
  });
}

Tensor& bernoulli_(Tensor& t, double prob, Generator* gen) {
  STEEPEST_CHECK(t.device().is_cpu(), NotImplementedError, "bernoulli_ on ", t.device().str(), " tensors");
  STEEPEST_CHECK(prob >= 0 && prob <= 1, ValueError, "bernoulli_ expects p to be in [0, 1], but got p=", prob);
  Generator& g = pick(gen);
  int64_t n = t.numel();
  return fill_logical(t, [&](void* p) {
    visit_dtype(t.dtype(), [&](auto z) {
      using T = decltype(z);
      T* out = static_cast<T*>(p);
      int64_t nb = blocks_for_words(n);
      for_blocks(g.reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
        for (int e = 0; e < 4; ++e) {
          int64_t i = 4 * j + e;
          if (i < n) out[i] = detail::cast_to<T>(philox::uniform24(x[e]) < prob ? 1 : 0);
        }
      });
    });
  });
}

Tensor bernoulli(const Tensor& probs, Generator* gen) {
  check_floating(probs, "bernoulli");
  Tensor p = to_dtype(contiguous(probs), kFloat64);
  const double* pv = p.data<double>();
  int64_t n = p.numel();
  for (int64_t i = 0; i < n; ++i)
    STEEPEST_CHECK(pv[i] >= 0 && pv[i] <= 1, ValueError,
                   "bernoulli expects all probabilities to be in [0, 1], but found ", pv[i], " at flat index ", i);
  Tensor out = Tensor::empty(probs.shape(), probs.dtype(), probs.device());
  Generator& g = pick(gen);
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
  return out;
}

Tensor rand(const Shape& shape, TensorOptions opts, Generator* gen) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  check_floating(t, "rand");
  uniform_(t, 0.0, 1.0, gen);
  if (opts.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor randn(const Shape& shape, TensorOptions opts, Generator* gen) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  check_floating(t, "randn");
  normal_(t, 0.0, 1.0, gen);
  if (opts.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opts, Generator* gen) {
  check_int_range(low, high, opts.dtype, "randint");
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  random_(t, low, high, gen);
  if (opts.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor randperm(int64_t n, Generator* gen) { return randperm(n, TensorOptions(kInt64), gen); }

Tensor randperm(int64_t n, TensorOptions opts, Generator* gen) {
  STEEPEST_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  STEEPEST_CHECK(opts.dtype != kBool, TypeError, "randperm: bool is not a valid dtype for a permutation");
  // The largest n whose values the dtype holds exactly.
  int64_t limit = opts.dtype == kInt32     ? (int64_t(1) << 31)
                  : opts.dtype == kBFloat16 ? 257
                  : opts.dtype == kFloat16  ? 2049
                  : opts.dtype == kFloat32  ? (int64_t(1) << 24) + 1
                  : opts.dtype == kFloat64  ? (int64_t(1) << 53) + 1
                                            : std::numeric_limits<int64_t>::max();
  STEEPEST_CHECK(n <= limit, ValueError, "randperm: n=", n, " is too large for dtype ", dtype_name(opts.dtype));
  Tensor out = Tensor::empty(Shape{n}, opts.dtype, opts.device);
  STEEPEST_CHECK(out.device().is_cpu(), NotImplementedError, "randperm on ", out.device().str());
  std::vector<uint64_t> v(static_cast<size_t>(n));  // v[i] = x[2i] * 2^32 + x[2i+1]
  int64_t nb = blocks_for_words(2 * n);
  for_blocks(pick(gen).reserve(uint64_t(nb)), nb, [&](int64_t j, const uint32_t* x) {
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
  visit_dtype(opts.dtype, [&](auto z) {
    using T = decltype(z);
    T* o = static_cast<T*>(out.data_ptr());
    for (int64_t i = 0; i < n; ++i) o[i] = detail::cast_to<T>(perm[size_t(i)]);
  });
  if (opts.requires_grad) out.set_requires_grad(true);
  return out;
}

}  // namespace steepest
