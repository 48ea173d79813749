// C++ API tests for the Philox-4x32-10 generator: Random123 known answers, the documented
// word-to-value maps, seeding/state, and results that don't depend on the thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <steepest/runtime.hpp>
#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}
}  // namespace

TEST_CASE("Philox-4x32-10 reproduces Random123's known-answer vectors") {
  using A4 = std::array<uint32_t, 4>;
  CHECK(philox::block(A4{0, 0, 0, 0}, {0, 0}) == A4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox::block(A4{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        A4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox::block(A4{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        A4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("rand maps block words to floats as documented") {
  Generator g(0x0123456789abcdefull);
  Tensor t = rand({6}, TensorOptions(kFloat32), &g);
  // block 0 covers elements 0..3, block 1 elements 4..5, then the offset is 2 blocks
  auto b0 = philox::block({0, 0, 0, 0}, {0x89abcdefu, 0x01234567u});
  auto b1 = philox::block({1, 0, 0, 0}, {0x89abcdefu, 0x01234567u});
  std::vector<float> want;
  for (uint32_t w : b0) want.push_back(float((w >> 8) * (1.0 / 16777216.0)));
  want.push_back(float((b1[0] >> 8) * (1.0 / 16777216.0)));
  want.push_back(float((b1[1] >> 8) * (1.0 / 16777216.0)));
  CHECK(values<float>(t) == want);
  CHECK(g.offset() == 2);
}

TEST_CASE("manual_seed rewinds and set_state replays") {
  manual_seed(5);
  Tensor a = randn({100});
  manual_seed(5);
  Tensor b = randn({100});
  CHECK(values<float>(a) == values<float>(b));
  Generator& g = default_generator();
  uint64_t s = g.seed(), o = g.offset();
  Tensor c = rand({33}, TensorOptions(kFloat64));
  g.set_state(s, o);
  Tensor d = rand({33}, TensorOptions(kFloat64));
  CHECK(values<double>(c) == values<double>(d));
  Generator copy = g;  // a copied generator continues the same stream independently
  CHECK(values<double>(rand({4}, TensorOptions(kFloat64), &copy)) ==
        values<double>(rand({4}, TensorOptions(kFloat64), &g)));
  CHECK(Generator().initial_seed() == Generator::kDefaultSeed);
}

TEST_CASE("large draws are identical for 1 and 2 threads") {
  int before = get_num_threads();
  std::vector<float> u[2], n[2];
  std::vector<int64_t> r[2], p[2];
  for (int k = 0; k < 2; ++k) {
    set_num_threads(k + 1);
    Generator g(42);
    u[k] = values<float>(rand({200003}, TensorOptions(kFloat32), &g));
    n[k] = values<float>(randn({200003}, TensorOptions(kFloat32), &g));
    r[k] = values<int64_t>(randint(-9, 9, {200003}, TensorOptions(kInt64), &g));
    p[k] = values<int64_t>(randperm(70001, &g));
  }
  set_num_threads(before);
  CHECK(u[0] == u[1]);
  CHECK(n[0] == n[1]);
  CHECK(r[0] == r[1]);
  CHECK(p[0] == p[1]);
}

TEST_CASE("ranges, permutations and errors") {
  Generator g(1);
  auto r = values<int64_t>(randint(3, 8, {5000}, TensorOptions(kInt64), &g));
  CHECK(*std::min_element(r.begin(), r.end()) == 3);
  CHECK(*std::max_element(r.begin(), r.end()) == 7);
  auto u = values<double>(rand({5000}, TensorOptions(kFloat64), &g));
  CHECK(*std::min_element(u.begin(), u.end()) >= 0.0);
  CHECK(*std::max_element(u.begin(), u.end()) < 1.0);
  auto p = values<int64_t>(randperm(1000, &g));
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 1000; ++i) CHECK(p[size_t(i)] == i);
  CHECK_THROWS_AS(rand({2}, TensorOptions(kInt64)), TypeError);
  CHECK_THROWS_AS(randint(2, 2, {2}), ValueError);
  Tensor t = zeros({3});
  CHECK_THROWS_WITH_AS(normal_(t, 0, -1), "normal_ expects std >= 0.0, but found std -1", ValueError);
  CHECK_THROWS_AS(randperm(-1), ValueError);
}

TEST_CASE("half-precision uniforms are exact multiples of the type's spacing") {
  Generator g(3);
  Tensor h = rand({4096}, TensorOptions(kFloat16), &g);
  Tensor b = rand({4096}, TensorOptions(kBFloat16), &g);
  for (int64_t i = 0; i < 4096; ++i) {
    float hv = float(h.data<float16>()[i]), bv = float(b.data<bfloat16>()[i]);
    CHECK(hv >= 0.0f);
    CHECK(hv < 1.0f);
    CHECK(bv < 1.0f);
    CHECK(std::ldexp(hv, 11) == std::floor(std::ldexp(hv, 11)));
    CHECK(std::ldexp(bv, 8) == std::floor(std::ldexp(bv, 8)));
  }
}
