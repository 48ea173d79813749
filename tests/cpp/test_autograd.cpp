// C++ API tests for the autograd engine: gradients of small graphs against hand-derived
// values, grad modes, a 100 000-deep chain, retain_graph, autograd::grad, hooks, in-place
// errors and custom nodes via record_function -- what an embedding program relies on.
#include <doctest/doctest.h>

#include <cmath>
#include <thread>
#include <vector>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
Tensor vec(std::vector<double> v, bool requires_grad = true) {
  Tensor t = empty({int64_t(v.size())}, TensorOptions(kFloat64));
  for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i];
  if (requires_grad) t.set_requires_grad(true);
  return t;
}
std::vector<double> values(const Tensor& t) {
  Tensor c = contiguous(to_dtype(t, kFloat64));
  return std::vector<double>(c.data<double>(), c.data<double>() + c.numel());
}
}  // namespace

TEST_CASE("gradients of a small graph: d/dx sum(x*w + exp(x)), d/dw") {
  Tensor x = vec({0.5, -1.0}), w = vec({2.0, 3.0});
  Tensor y = sum(add(mul(x, w), exp(x)));
  CHECK(!y.is_leaf());
  CHECK(std::string(y.grad_fn()->name()) == "SumBackward0");
  y.backward();
  auto gx = values(x.grad()), gw = values(w.grad());
  CHECK(gx[0] == doctest::Approx(2.0 + std::exp(0.5)));
  CHECK(gx[1] == doctest::Approx(3.0 + std::exp(-1.0)));
  CHECK(gw == std::vector<double>{0.5, -1.0});
}

TEST_CASE("broadcast gradients are summed to each input's shape") {
  Tensor a = zeros({3, 1}, TensorOptions(kFloat64)), b = zeros({4}, TensorOptions(kFloat64));
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  sum(mul(add(a, 1.0), add(b, 2.0))).backward();
  CHECK(a.grad().shape() == Shape{3, 1});
  CHECK(b.grad().shape() == Shape{4});
  CHECK(values(a.grad()) == std::vector<double>(3, 8.0));  // sum over 4 of (b + 2)
  CHECK(values(b.grad()) == std::vector<double>(4, 3.0));  // sum over 3 of (a + 1)
}

TEST_CASE("matmul gradients: dA = G B^T, dB = A^T G") {
  Tensor A = empty({2, 3}, TensorOptions(kFloat64)), B = empty({3, 2}, TensorOptions(kFloat64));
  for (int i = 0; i < 6; ++i) A.data<double>()[i] = i + 1, B.data<double>()[i] = 0.5 * i - 1;
  A.set_requires_grad(true);
  B.set_requires_grad(true);
  sum(matmul(A, B)).backward();
  // dA[i][k] = sum_j B[k][j]; dB[k][j] = sum_i A[i][k]
  auto gA = values(A.grad()), gB = values(B.grad());
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 3; ++k) CHECK(gA[i * 3 + k] == doctest::Approx((0.5 * 2 * k - 1) + (0.5 * (2 * k + 1) - 1)));
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 2; ++j) CHECK(gB[k * 2 + j] == doctest::Approx((k + 1) + (k + 4)));
}

TEST_CASE("integer tensors can't require grad; results of int ops record nothing") {
  Tensor i = arange(Scalar(0), Scalar(3));
  CHECK_THROWS_AS(i.set_requires_grad(true), TypeError);
  Tensor x = vec({1.0, 2.0, 3.0});
  Tensor k = mul(i, 2);
  CHECK(!k.requires_grad());
  Tensor m = gt(x, 1.0);
  CHECK(!m.requires_grad());
  CHECK(m.grad_fn() == nullptr);
}

TEST_CASE("grad mode guards and thread-locality") {
  Tensor x = vec({1.0});
  {
    autograd::NoGradGuard g;
    CHECK(!autograd::is_grad_enabled());
    CHECK(!mul(x, 2.0).requires_grad());
    {
      autograd::EnableGradGuard e;
      CHECK(mul(x, 2.0).requires_grad());
    }
    bool other = false;
    std::thread t([&] { other = autograd::is_grad_enabled(); });
    t.join();
    CHECK(other);  // a fresh thread isn't affected
  }
  CHECK(autograd::is_grad_enabled());
}

TEST_CASE("a 100 000-op chain runs backward without recursion") {
  Tensor x = vec({1.0});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = add(y, 1.0);
  y.backward();
  CHECK(values(x.grad()) == std::vector<double>{1.0});
  y = Tensor();  // releasing the chain mustn't recurse either
}

TEST_CASE("retain_graph, accumulation and the freed-graph error") {
  Tensor x = vec({2.0});
  Tensor y = sum(mul(x, x));
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  CHECK(values(x.grad()) == std::vector<double>{8.0});
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("retain_graph=True"), Error);
}

TEST_CASE("autograd::grad leaves .grad alone; allow_unused") {
  Tensor x = vec({1.0, 2.0}), u = vec({1.0});
  Tensor y = sum(mul(x, 3.0));
  auto g = autograd::grad({y}, {x}, {}, /*retain_graph=*/true);
  CHECK(values(g[0]) == std::vector<double>{3.0, 3.0});
  CHECK(!x.grad().defined());
  CHECK_THROWS_AS(autograd::grad({y}, {x, u}, {}, true), Error);
  auto g2 = autograd::grad({y}, {x, u}, {}, false, /*allow_unused=*/true);
  CHECK(!g2[1].defined());
}

TEST_CASE("hooks: a leaf hook replaces the gradient; remove_hook; post-accumulate") {
  Tensor x = vec({1.0, 1.0});
  int id = autograd::register_hook(x, [](const Tensor& g) { return mul(g, 10.0); });
  std::vector<double> seen;  // the accumulated .grad as the post-accumulate hook sees it
  autograd::register_post_accumulate_grad_hook(x, [&](const Tensor& v) { seen.push_back(values(v.grad())[0]); });
  sum(mul(x, 2.0)).backward();
  CHECK(values(x.grad()) == std::vector<double>{20.0, 20.0});
  CHECK(seen == std::vector<double>{20.0});
  autograd::remove_hook(x, id);
  x.set_grad(Tensor());
  sum(mul(x, 2.0)).backward();
  CHECK(values(x.grad()) == std::vector<double>{2.0, 2.0});
  CHECK(seen == std::vector<double>{20.0, 2.0});
}

TEST_CASE("in-place change of a saved tensor is reported at backward") {
  Tensor x = vec({1.0, 2.0});
  Tensor y = mul(x, 2.0);
  Tensor z = sum(mul(y, y));
  {
    autograd::NoGradGuard g;
    add_(y, 1.0);
  }
  CHECK_THROWS_WITH_AS(z.backward(), doctest::Contains("modified by an inplace operation"), Error);
  CHECK_THROWS_WITH_AS(add_(x, 1.0), doctest::Contains("leaf Variable"), Error);
}

TEST_CASE("in-place ops on a non-leaf that read their input back (log_)") {
  Tensor x = vec({1.0, 2.0});
  Tensor y = mul(x, 2.0);
  log_(y);
  sum(y).backward();  // d/dx log(2x) = 1/x
  auto g = values(x.grad());
  CHECK(g[0] == doctest::Approx(1.0));
  CHECK(g[1] == doctest::Approx(0.5));
}

TEST_CASE("record_function: a custom node with saved tensors") {
  Tensor x = vec({3.0});
  Tensor out;
  {
    autograd::NoGradGuard g;
    out = mul(mul(x, x), x);  // x^3 computed without a graph
  }
  autograd::record_function(
      "CubeBackward", {x}, {out},
      [](Node& n, std::vector<Tensor>& g) -> std::vector<Tensor> {
        Tensor s = n.saved(0);
        return {mul(g[0], mul(mul(s, s), 3.0))};
      },
      {x});
  CHECK(std::string(out.grad_fn()->name()) == "CubeBackward");
  out.backward();
  CHECK(values(x.grad()) == std::vector<double>{27.0});
}

TEST_CASE("sum_to reduces broadcast gradients") {
  Tensor g = ones({2, 3, 4}, TensorOptions(kFloat64));
  Tensor r = autograd::sum_to(g, {3, 1});
  CHECK(r.shape() == Shape{3, 1});
  CHECK(values(r) == std::vector<double>(3, 8.0));
  CHECK(autograd::sum_to(g, {}).item<double>() == 24.0);
  CHECK_THROWS(autograd::sum_to(g, {5, 4}));
}

TEST_CASE("memory counters follow live tensors") {
  size_t base = memory_allocated();
  reset_peak_memory_stats();
  {
    Tensor t = empty({1 << 16}, TensorOptions(kFloat64));  // 512 KiB
    CHECK(memory_allocated() >= base + (size_t(1) << 19));
  }
  CHECK(memory_allocated() == base);
  CHECK(max_memory_allocated() >= base + (size_t(1) << 19));
}
