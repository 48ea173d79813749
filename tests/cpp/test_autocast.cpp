// autocast from C++: the policies apply at the ops' entry points (a C++ caller of matmul or
// cross_entropy is covered), the state is per thread, and the cache holds one cast per weight.
#include <doctest/doctest.h>

#include <thread>

#include "steepest/steepest.hpp"

using namespace steepest;
namespace F = steepest::nn::functional;

namespace {
// Turns CPU autocast on for a scope, as the Python context manager does.
struct Region {
  explicit Region(DType dt = kBFloat16) {
    autocast::set_dtype(DeviceType::CPU, dt);
    autocast::set_enabled(DeviceType::CPU, true);
    autocast::increment_nesting();
  }
  ~Region() {
    if (autocast::decrement_nesting() == 0) autocast::clear_cache();
    autocast::set_enabled(DeviceType::CPU, false);
    autocast::set_dtype(DeviceType::CPU, kBFloat16);
  }
};
}  // namespace

TEST_CASE("autocast: products in the autocast dtype, losses in float32, float64 untouched") {
  Generator gen(1);
  Tensor a = randn({4, 5}, {}, &gen), b = randn({5, 3}, {}, &gen);
  CHECK(matmul(a, b).dtype() == kFloat32);
  {
    Region r;
    CHECK(matmul(a, b).dtype() == kBFloat16);
    CHECK(mm(a, b).dtype() == kBFloat16);
    CHECK(F::linear(a, randn({2, 5}, {}, &gen), Tensor()).dtype() == kBFloat16);
    Tensor d = to_dtype(a, kFloat64);
    CHECK(matmul(d, to_dtype(b, kFloat64)).dtype() == kFloat64);
    Tensor logits = to_dtype(a, kBFloat16);
    Tensor target = zeros({4}, TensorOptions(kInt64));
    CHECK(F::cross_entropy(logits, target).dtype() == kFloat32);
    CHECK(exp(logits).dtype() == kBFloat16);  // not in a list: the input's dtype
    CHECK(cat({logits, a}, 0).dtype() == kFloat32);
  }
  {
    Region r(kFloat16);
    CHECK(matmul(a, b).dtype() == kFloat16);
  }
  CHECK(matmul(a, b).dtype() == kFloat32);
}

TEST_CASE("autocast: the state is per thread") {
  Region r;
  bool other = true;
  std::thread t([&] { other = autocast::is_enabled(DeviceType::CPU); });
  t.join();
  CHECK_FALSE(other);
  CHECK(autocast::is_enabled(DeviceType::CPU));
}

TEST_CASE("autocast: a weight is cast once per region, and again after an in-place update") {
  Generator gen(2);
  Tensor w = randn({4, 4}, {}, &gen);
  w.set_requires_grad(true);
  Tensor x = randn({2, 4}, {}, &gen);
  {
    Region r;
    Tensor y1 = matmul(x, w);
    Tensor y2 = matmul(x, w);
    CHECK(autocast::cache_size() == 1);
    CHECK(y1.grad_fn()->next_edges[1].fn == y2.grad_fn()->next_edges[1].fn);  // one cast node
    sum(to_dtype(add(y1, y2), kFloat32)).backward();
    CHECK(w.grad().dtype() == kFloat32);
  }
  CHECK(autocast::cache_size() == 0);
  CHECK_THROWS_AS(autocast::set_dtype(DeviceType::CPU, kFloat32), ValueError);
}
