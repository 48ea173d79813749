// Host-side strided indexing of the CUDA kernels (kernels/cuda/offset_pack.hpp) and their
// element conversions (element_cast.hpp): the packed offsets against a reference loop over
// every index of broadcast, transposed, sliced and size-1 layouts, and conversions against
// the CPU engine's cast_to.
#include <doctest/doctest.h>

#include <cstdint>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cuda/element_cast.hpp"
#include "kernels/cuda/offset_pack.hpp"
#include "kernels/cuda/reduce_plan.hpp"
#include "ops/cast.hpp"

using steepest::cuda::broadcast_byte_strides;
using steepest::cuda::OffsetPack;
using steepest::cuda::pack_offsets;

namespace {

using V = std::vector<int64_t>;

// Reference: walk the C-order index with a counter per dim, offset = sum idx[d] * stride[d].
void check_against_loop(const V& shape, const std::vector<V>& strides) {
  const OffsetPack<3> pk = pack_offsets<3>(shape, strides);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  V idx(shape.size(), 0);
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t got[3];
    pk.offsets(lin, got);
    for (size_t k = 0; k < 3; ++k) {
      int64_t want = 0;
      for (size_t d = 0; d < shape.size(); ++d) want += idx[d] * strides[k][d];
      REQUIRE(got[k] == want);
    }
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace

TEST_CASE("cuda offsets: contiguous operands merge into one dim") {
  const V shape{3, 4, 5};
  const std::vector<V> st{{80, 20, 4}, {160, 40, 8}, {20, 5, 1}};
  const auto pk = pack_offsets<3>(shape, st);
  CHECK(pk.ndim == 1);
  CHECK(pk.sizes[0] == 60);
  check_against_loop(shape, st);
}

TEST_CASE("cuda offsets: broadcast, transposed, sliced and size-1 dims against a reference loop") {
  check_against_loop({2, 3, 4}, {{48, 16, 4}, {0, 4, 0}, {4, 8, 24}});                // broadcast, transpose
  check_against_loop({5, 1, 7}, {{28, 28, 4}, {56, 999, 8}, {0, 0, 0}});              // size-1 dim, scalar
  check_against_loop({0, 3}, {{12, 4}, {12, 4}, {0, 4}});                             // empty
  check_against_loop({}, {{}, {}, {}});                                              // 0-d
  check_against_loop({3, 2, 2, 3, 2, 2, 3, 2}, {{1152, 0, 96, 0, 24, 0, 4, 0},
                                                {8, 4, 2, 1, 0, 0, 0, 0},
                                                {-4, 100, 7, 3, 1000, 11, 2, 5}});     // 8 dims, negative stride
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t nd = size_t(rng() % 6);
    V shape(nd);
    for (auto& s : shape) s = int64_t(rng() % 4);
    std::vector<V> st(3, V(nd));
    for (auto& v : st)
      for (auto& s : v) s = int64_t(rng() % 9) - 2;
    check_against_loop(shape, st);
  }
}

TEST_CASE("cuda offsets: more than 8 dims after merging is a ValueError") {
  V shape(9, 2), a(9), b(9, 0);
  for (size_t d = 0; d < 9; ++d) a[d] = int64_t(3) << (2 * d);  // never contiguous
  CHECK_THROWS_AS(pack_offsets<2>(shape, {a, b}), steepest::ValueError);
  V c(9);
  int64_t s = 4;
  for (size_t d = 9; d-- > 0;) { c[d] = s; s *= 2; }
  CHECK(pack_offsets<2>(shape, {c, c}).ndim == 1);  // contiguous 9-d merges to 1
}

TEST_CASE("cuda offsets: broadcast byte strides") {
  CHECK(broadcast_byte_strides(V{3, 1}, V{1, 1}, 4, V{2, 3, 5}) == V{0, 4, 0});
  CHECK(broadcast_byte_strides(V{}, V{}, 8, V{4}) == V{0});
  CHECK(broadcast_byte_strides(V{2, 3}, V{3, 1}, 2, V{2, 3}) == V{6, 2});
  CHECK_THROWS_AS(broadcast_byte_strides(V{3}, V{1}, 4, V{4}), steepest::ValueError);
  CHECK_THROWS_AS(broadcast_byte_strides(V{2, 3}, V{3, 1}, 4, V{3}), steepest::ValueError);
}

TEST_CASE("cuda element conversions match the CPU engine's") {
  using namespace steepest;
  const double vals[] = {0.0, -0.0, 1.5, -2.75, 3.0e38, 1.0e-40, 65504.0, 70000.0, 123456789.0, -7.0};
  for (double v : vals) {
    char buf[8];
    cuda::store_as<double>(buf, kFloat32, kFloat64, v);
    float f;
    std::memcpy(&f, buf, 4);
    CHECK(f == detail::cast_to<float>(v));
    cuda::store_as<double>(buf, kBFloat16, kFloat64, v);
    CHECK(float(*reinterpret_cast<bfloat16*>(buf)) == float(detail::cast_to<bfloat16>(v)));
    // A float32 operand of a bfloat16 op rounds to bfloat16 first (as the CPU's load_run).
    std::memcpy(buf, &f, 4);
    CHECK(cuda::load_as<float>(buf, kFloat32, kBFloat16) == float(bfloat16(f)));
    CHECK(cuda::load_as<float>(buf, kFloat32, kFloat16) == float(float16(f)));
    CHECK(cuda::load_as<bool>(buf, kFloat32, kBool) == (f != 0));
  }
  CHECK(cuda::itemsize_of(kBFloat16) == 2);
  CHECK(cuda::itemsize_of(kBool) == 1);
  CHECK(cuda::itemsize_of(kInt64) == 8);
  CHECK(cuda::itemsize_of(kFloat32) == 4);
}

TEST_CASE("cuda reduce plan: kept and reduced offsets cover x in logical order") {
  // x of shape (3, 4, 5) transposed to strides (1, 15, 3) elements; reduce dims 0 and 2.
  const V shape{3, 4, 5}, strides{1, 15, 3}, flags{1, 0, 1};
  const auto p = steepest::cuda::plan_reduce(shape, strides, 4, flags);
  CHECK(p.nout == 4);
  CHECK(p.n == 15);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t j = 0; j < 15; ++j) {
      int64_t a, b;
      p.kept.offsets(r, &a);
      p.red.offsets(j, &b);
      const int64_t i0 = j / 5, i2 = j % 5;  // reduced index (i0, i2) in C order
      CHECK(a + b == 4 * (i0 * 1 + r * 15 + i2 * 3));
    }
  CHECK_THROWS_AS(steepest::cuda::plan_reduce(shape, strides, 4, V{1, 0}), steepest::ValueError);
}

namespace {

// The CUDA reduction's order on the host: thread t of 256 folds j = t, t + 256, ..., then a
// halving tree combines the partials (reduce.cu's block_tree).
template <class Acc, class Fold, class Comb>
Acc emulate_block(int64_t n, Acc empty, Fold fold, Comb comb) {
  std::vector<Acc> part(256, empty);
  for (int64_t t = 0; t < 256; ++t)
    for (int64_t j = t; j < n; j += 256) part[size_t(t)] = fold(part[size_t(t)], j);
  for (int s = 128; s > 0; s >>= 1)
    for (int t = 0; t < s; ++t) part[size_t(t)] = comb(part[size_t(t)], part[size_t(t + s)]);
  return part[0];
}

}  // namespace

TEST_CASE("cuda argmax/argmin partials: the first index of the max, a NaN winning") {
  using steepest::cuda::better;
  using VI = steepest::cuda::ValIdx<double>;
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t n = 1 + int64_t(rng() % 900);
    std::vector<double> x(static_cast<size_t>(n));
    for (auto& v : x) v = double(rng() % 7);  // many ties
    if (trial % 3 == 0) x[size_t(rng() % n)] = NAN;
    if (trial % 6 == 0) x[size_t(rng() % n)] = NAN;
    for (bool is_max : {true, false}) {
      // Reference: one pass in index order, strict improvement only; the first NaN wins.
      int64_t want = 0;
      for (int64_t j = 1; j < n; ++j) {
        const double a = x[size_t(want)], b = x[size_t(j)];
        if (a != a) break;
        if (b != b || (is_max ? b > a : b < a)) want = j;
      }
      const VI got = emulate_block<VI>(
          n, VI{0, -1}, [&](VI acc, int64_t j) { return better(acc, VI{x[size_t(j)], j}, is_max); },
          [&](VI a, VI b) { return better(a, b, is_max); });
      REQUIRE(got.i == want);
      const double m = emulate_block<double>(
          n, x[0], [&](double acc, int64_t j) { return is_max ? steepest::cuda::nan_max(acc, x[size_t(j)])
                                                              : steepest::cuda::nan_min(acc, x[size_t(j)]); },
          [&](double a, double b) { return is_max ? steepest::cuda::nan_max(a, b) : steepest::cuda::nan_min(a, b); });
      const double w = x[size_t(want)];
      CHECK(((m != m && w != w) || m == w));
    }
  }
}
