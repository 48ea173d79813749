// The CUDA random kernels' draw layout (kernels/cuda/random_layout.hpp), replayed on the host
// block by block, against the CPU kernels: the same bytes for every distribution, dtype and
// awkward size, and the generator advanced by the same number of blocks.
#include <doctest/doctest.h>

#include <cstring>
#include <initializer_list>

#include "dispatch/random.hpp"
#include "kernels/cuda/random_layout.hpp"

using namespace steepest;
using dispatch::RandomDist;

namespace {

// Runs blocks [0, nb) of a draw from g into t, as the CUDA kernel's threads do.
void replay(const Tensor& t, cuda::Layout layout, const cuda::RandomParams& q, int64_t nb, Generator& g) {
  const Generator::Draw d = g.reserve(uint64_t(nb));
  const cuda::Target tg{static_cast<char*>(t.data_ptr()), t.dtype(), t.numel()};
  for (int64_t j = 0; j < nb; ++j) {
    uint32_t x[4];
    cuda::philox_block(d.seed, d.offset, j, x);
    cuda::draw_block(tg, layout, q, x, j);
  }
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.numel()) * a.itemsize()) == 0;
}

}  // namespace

TEST_CASE("cuda random layout: each distribution's draw equals the CPU kernel's bytes") {
  struct Case { RandomDist dist; double a, b; };
  const Case cases[] = {{RandomDist::Uniform, -2.0, 5.0},     {RandomDist::Normal, 1.5, 0.25},
                        {RandomDist::Bernoulli, 0.3, 0.0},    {RandomDist::Exponential, 2.0, 0.0},
                        {RandomDist::Geometric, 0.3, 0.0},    {RandomDist::Cauchy, 0.5, 2.0},
                        {RandomDist::LogNormal, 0.1, 0.7}};
  for (const Case& c : cases)
    for (DType d : {kFloat32, kFloat64, kBFloat16, kFloat16})
      for (int64_t n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 1001}) {
        CAPTURE(int(c.dist));
        CAPTURE(dtype_name(d));
        CAPTURE(n);
        Generator g1(77), g2(77);
        g1.advance(3);
        g2.advance(3);
        Tensor want = Tensor::empty(Shape{n}, d), got = Tensor::empty(Shape{n}, d);
        dispatch::random_stub().get(kCPU)(c.dist, want, c.a, c.b, g1);
        int64_t nb = 0;
        const cuda::Layout layout = cuda::layout_of(c.dist, d, n, nb);
        replay(got, layout, cuda::RandomParams{c.dist, c.a, c.b, 0, 0}, nb, g2);
        CHECK(same_bytes(want, got));
        CHECK(g1.offset() == g2.offset());
      }
}

TEST_CASE("cuda random layout: randint and integer bernoulli equal the CPU kernel's bytes") {
  for (DType d : {kInt64, kInt32, kFloat32})
    for (int64_t n : {0, 1, 3, 5, 1001}) {
      Generator g1(5), g2(5);
      Tensor want = Tensor::empty(Shape{n}, d), got = Tensor::empty(Shape{n}, d);
      dispatch::randint_stub().get(kCPU)(want, -7, 1000, g1);
      replay(got, cuda::Layout::Randint,
             cuda::RandomParams{RandomDist::Uniform, 0, 0, -7, uint64_t(1000) - uint64_t(-7)}, (2 * n + 3) / 4, g2);
      CHECK(same_bytes(want, got));
      CHECK(g1.offset() == g2.offset());
    }
  for (DType d : {kBool, kInt64}) {
    Generator g1(9), g2(9);
    Tensor want = Tensor::empty(Shape{13}, d), got = Tensor::empty(Shape{13}, d);
    dispatch::random_stub().get(kCPU)(RandomDist::Bernoulli, want, 0.6, 0.0, g1);
    int64_t nb = 0;
    const cuda::Layout layout = cuda::layout_of(RandomDist::Bernoulli, d, 13, nb);
    replay(got, layout, cuda::RandomParams{RandomDist::Bernoulli, 0.6, 0.0, 0, 0}, nb, g2);
    CHECK(same_bytes(want, got));
  }
}
