// Random tensors from a counter-based generator (Philox-4x32-10): element i of a draw
// depends only on (seed, offset, i), so results are the same on every ISA and for any
// number of threads. The exact algorithm is written down below so it can be reimplemented
// bit for bit (tests/test_random.py does so in pure Python).
//
// ALGORITHM
// ---------
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011)
// maps a 128-bit counter c = (c0, c1, c2, c3) and a 64-bit key k = (k0, k1) to 4 words:
//     M0 = 0xD2511F53, M1 = 0xCD9E8D57   (multipliers)
//     W0 = 0x9E3779B9, W1 = 0xBB67AE85   (key schedule: golden ratio, sqrt(3) - 1)
//     one round:  (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2   (32x32 -> 64-bit products)
//                 c <- (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
//     10 rounds; between consecutive rounds k0 += W0, k1 += W1 (all mod 2^32).
// It reproduces Random123's published known-answer vectors.
//
// A Generator holds a 64-bit seed and a 64-bit offset (Philox blocks already used).
//     key   = (seed & 0xffffffff, seed >> 32)
//     block j of a draw uses counter (lo32(offset + j), hi32(offset + j), 0, 0)
// The words of a draw are x[4j + m] = output m of block j. A draw that needs W words uses
// B = ceil(W / 4) blocks and then advances offset by B: every draw starts on a fresh block.
// Elements are numbered in row-major (logical) order, whatever the output's strides.
//
// Mapping words to values (element i; every computation below is in IEEE double, no FMA,
// then rounded to the output dtype -- for bfloat16/float16 first to float32, then to it):
//   uniform, float32 output:   u = (x[i] >> 8) * 2^-24                           W = n
//            bfloat16 output:  u = (x[i] >> 24) * 2^-8  (exactly representable)
//            float16 output:   u = (x[i] >> 21) * 2^-11 (exactly representable)
//            float64 output:   u = ((x[2i] >> 5) * 2^26 + (x[2i+1] >> 6)) * 2^-53  W = 2n
//     u is in [0, 1); rand() returns u, uniform_(a, b) returns a + (b - a) * u (rounding to
//     the dtype can give b itself when b - a is large relative to the dtype's spacing).
//   normal (Box-Muller on pairs): pair p gives elements 2p and 2p + 1.
//     float64 output: words x[4p..4p+3], v1 = 53-bit value of (x[4p], x[4p+1]) as above,
//                     v2 = that of (x[4p+2], x[4p+3]), u1 = v1 + 2^-53.          W = 4*ceil(n/2)
//     other dtypes:   u1 = ((x[2p] >> 8) + 1) * 2^-24, v2 = (x[2p+1] >> 8) * 2^-24. W = 2*ceil(n/2)
//     r = sqrt(-2 ln u1) (u1 in (0, 1], so finite), t = 2 pi v2, z0 = r cos t, z1 = r sin t;
//     element = mean + std * z. An odd n drops the last z1. ln, cos and sin are not the C
//     library's (which differ between platforms) but philox::box_muller below, a fixed
//     sequence of IEEE double operations (accurate to a few 1e-16):
//       ln x:  x = m 2^e with m in [1, 2); if m > sqrt(2): m /= 2, e += 1. s = (m-1)/(m+1),
//              z = s*s, p = Horner over c_k = 1/(2k+1), k = 11 down to 1 (p = c_11;
//              p = c_k + z*p), l = 2s + 2s*(z*p), ln x = e*LN2_HI + (e*LN2_LO + l), with
//              fdlibm's split LN2_HI = 6.93147180369123816490e-01,
//                                 LN2_LO = 1.90821492927058770002e-10.
//       t8 = 8*v2 (exact), o = floor(t8) (the octant), f = t8 - o; for even o the angle in
//              the octant is a = f*(pi/4), for odd o it is b = (1-f)*(pi/4), measured back
//              from the octant's end (pi/4 is the double 0.7853981633974483; 1-f is exact
//              for these v2). On [0, pi/4], with x2 = a*a:
//              sin a = a + a*(x2*S), S = Horner over (-1)^k/(2k+1)!, k = 8 down to 1,
//              cos a = 1 + x2*C,     C = Horner over (-1)^k/(2k)!,   k = 9 down to 1.
//              (c, s) = (cos a, sin a) for even o, (sin b, cos b) for odd o; then it is
//              turned by k = o/2 quarter turns: k=1 (-s, c), k=2 (-c, -s), k=3 (s, -c).
//   randint(low, high): r = high - low (as uint64), v = x[2i] * 2^32 + x[2i+1],
//     element = low + floor(v * r / 2^64), then converted to the dtype (the high half of a
//     64x64 product: Lemire's multiply-shift without the rejection step; the bias is below
//     r / 2^64).                                                                  W = 2n
//   bernoulli_(p): element = 1 if (x[i] >> 8) * 2^-24 < p else 0.               W = n
//   exponential_/geometric_/cauchy_ use one float64 uniform u per element (W = 2n) and
//     log_normal_ one float64 normal; the transforms (in kernels/cpu/random.cpp) call the C
//     library's log1p/tan/exp, so only these four may differ in the last bit across C libraries.
//   multinomial: with replacement one float64 uniform per sample (inverse of the running
//     sums); without, one per category (an exponential race, the n earliest kept in order).
//   randperm(n): perm = [0, 1, ..., n-1]; with v_i = x[2i] * 2^32 + x[2i+1] (W = 2n),
//     for i = n-1 down to 1: j = floor(v_i * (i + 1) / 2^64), swap(perm[i], perm[j])
//     (Fisher-Yates).
//
// The default generator starts from seed 67280421310721 (torch's default), so a program
// that never calls manual_seed still gets the same numbers on every run; call
// Generator::nondeterministic_seed() (Python: st.seed()) for fresh entropy.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "creation.hpp"

namespace steepest {

namespace philox {
constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;

// One Philox-4x32-10 block. Header-inline so that device code can share it later.
STEEPEST_HD inline void block(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; ++r) {
    if (r) { k0 += kW0; k1 += kW1; }
    uint64_t p0 = uint64_t(kM0) * c0, p1 = uint64_t(kM1) * c2;
    uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c0 = n0; c1 = uint32_t(p1); c2 = n2; c3 = uint32_t(p0);
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

inline std::array<uint32_t, 4> block(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  std::array<uint32_t, 4> out;
  block(ctr.data(), key.data(), out.data());
  return out;
}

// The word-to-value maps documented above.
STEEPEST_HD inline double uniform24(uint32_t x) { return double(x >> 8) * (1.0 / 16777216.0); }
STEEPEST_HD inline double uniform53(uint32_t hi, uint32_t lo) {
  return (double(hi >> 5) * 67108864.0 + double(lo >> 6)) * (1.0 / 9007199254740992.0);
}
// Box-Muller with the portable ln/sincos described above. u1 in (0, 1], v2 in [0, 1).
STEEPEST_HD inline void box_muller(double u1, double v2, double& z0, double& z1) {
  constexpr double kSqrt2 = 1.4142135623730951, kLn2Hi = 6.93147180369123816490e-01,
                   kLn2Lo = 1.90821492927058770002e-10, kPiOver4 = 0.7853981633974483;
  // ln(u1)
  uint64_t bits;
  std::memcpy(&bits, &u1, 8);
  int e = int((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double m;
  std::memcpy(&m, &bits, 8);
  if (m > kSqrt2) { m *= 0.5; e += 1; }
  double s = (m - 1.0) / (m + 1.0), z = s * s, p = 1.0 / 23.0;
  for (int k = 10; k >= 1; --k) p = 1.0 / double(2 * k + 1) + z * p;
  double t = 2.0 * s, l = t + t * (z * p);
  double ln = double(e) * kLn2Hi + (double(e) * kLn2Lo + l);
  double r = std::sqrt(-2.0 * ln);
  // cos and sin of 2 pi v2
  double t8 = 8.0 * v2;
  int o = int(t8);
  double f = t8 - double(o);
  double a = (o & 1) ? (1.0 - f) * kPiOver4 : f * kPiOver4, x2 = a * a;
  // (-1)^k / n! coefficients: n! is exact in double up to 22!, so each is one rounding.
  double sp = 1.0 / 355687428096000.0;  // 1/17!
  const double sin_c[7] = {-1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0, 1.0 / 362880.0,
                           -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0};
  for (double c : sin_c) sp = c + x2 * sp;
  double cp = -1.0 / 6402373705728000.0;  // -1/18!
  const double cos_c[8] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
                           1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -0.5};
  for (double c : cos_c) cp = c + x2 * cp;
  double sn = a + a * (x2 * sp), cs = 1.0 + x2 * cp;
  double c0 = (o & 1) ? sn : cs, s0 = (o & 1) ? cs : sn, c1, s1;
  switch (o >> 1) {
    case 0: c1 = c0; s1 = s0; break;
    case 1: c1 = -s0; s1 = c0; break;
    case 2: c1 = -c0; s1 = -s0; break;
    default: c1 = s0; s1 = -c0; break;
  }
  z0 = r * c1;
  z1 = r * s1;
}

STEEPEST_HD inline uint64_t bounded64(uint32_t hi, uint32_t lo, uint64_t range) {
  unsigned __int128 v = (unsigned __int128)((uint64_t(hi) << 32) | lo) * range;
  return uint64_t(v >> 64);
}
}  // namespace philox

class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;

  explicit Generator(uint64_t seed = kDefaultSeed) : seed_(seed) {}
  Generator(const Generator& o) : seed_(o.seed()), offset_(o.offset()) {}
  Generator& operator=(const Generator& o) {
    if (this != &o) set_state(o.seed(), o.offset());
    return *this;
  }

  // Seeds and rewinds to the first counter.
  void manual_seed(uint64_t seed) { std::lock_guard<std::mutex> g(mu_); seed_ = seed; offset_ = 0; }
  // Seeds from std::random_device (fresh entropy) and returns the seed chosen.
  uint64_t nondeterministic_seed();
  uint64_t seed() const { std::lock_guard<std::mutex> g(mu_); return seed_; }
  uint64_t initial_seed() const { return seed(); }  // torch's name for the same thing
  uint64_t offset() const { std::lock_guard<std::mutex> g(mu_); return offset_; }
  // The whole state is (seed, offset): saving and restoring it replays the same numbers.
  void set_state(uint64_t seed, uint64_t offset) {
    std::lock_guard<std::mutex> g(mu_);
    seed_ = seed;
    offset_ = offset;
  }
  // Reserves `n` Philox blocks (4 words each) and returns the first block's counter.
  uint64_t advance(uint64_t n) {
    std::lock_guard<std::mutex> g(mu_);
    uint64_t o = offset_;
    offset_ += n;
    return o;
  }
  // The key and first counter of a draw of `nblocks` blocks, taken atomically.
  struct Draw { uint64_t seed, offset; };
  Draw reserve(uint64_t nblocks) {
    std::lock_guard<std::mutex> g(mu_);
    Draw d{seed_, offset_};
    offset_ += nblocks;
    return d;
  }

 private:
  mutable std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator used when none is passed.
Generator& default_generator();
void manual_seed(uint64_t seed);

// Fill functions write elements in logical row-major order, whatever t's strides.
// Floating outputs only for rand/randn/uniform_/normal_ (TypeError otherwise).
Tensor rand(const Shape& shape, TensorOptions opts = {}, Generator* gen = nullptr);   // U[0, 1)
Tensor randn(const Shape& shape, TensorOptions opts = {}, Generator* gen = nullptr);  // N(0, 1)
// Integers in [low, high) (ValueError if low >= high or the range doesn't fit the dtype).
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opts = TensorOptions(kInt64),
               Generator* gen = nullptr);
Tensor& uniform_(Tensor& t, double low = 0, double high = 1, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0, double std = 1, Generator* gen = nullptr);
Tensor& random_(Tensor& t, int64_t low, int64_t high, Generator* gen = nullptr);  // randint in place
Tensor& bernoulli_(Tensor& t, double p = 0.5, Generator* gen = nullptr);          // any dtype: 0/1
// A tensor shaped like `probs` (floating, values in [0, 1]) with element i = 1 with
// probability probs[i]: the same words as bernoulli_, compared to probs[i].
Tensor bernoulli(const Tensor& probs, Generator* gen = nullptr);
// In place, floating tensors (geometric_: any dtype): exponential with rate lambd > 0,
// geometric (trials to the first success, p in (0, 1)), Cauchy (median, scale > 0), and
// log-normal (exp of a normal with mean, std > 0).
Tensor& exponential_(Tensor& t, double lambd = 1, Generator* gen = nullptr);
Tensor& geometric_(Tensor& t, double p, Generator* gen = nullptr);
Tensor& cauchy_(Tensor& t, double median = 0, double sigma = 1, Generator* gen = nullptr);
Tensor& log_normal_(Tensor& t, double mean = 1, double std = 2, Generator* gen = nullptr);
// num_samples category indices (int64) per row of a 1-D or 2-D tensor of non-negative
// weights (not necessarily normalised), with or without replacement.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false, Generator* gen = nullptr);
Tensor randperm(int64_t n, Generator* gen = nullptr);  // int64 permutation of [0, n)
Tensor randperm(int64_t n, TensorOptions opts, Generator* gen = nullptr);

}  // namespace steepest
