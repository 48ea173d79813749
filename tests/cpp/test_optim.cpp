// C++ API tests for the fused optimizer steps (steepest/optim.hpp): the spec's SGD-momentum
// and Adam vectors computed by hand in double, lazy state, skipped params, found_inf, and the
// multi-tensor norm.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
Tensor vec(std::vector<double> v) {
  Tensor t = empty({int64_t(v.size())}, TensorOptions(kFloat64));
  for (size_t i = 0; i < v.size(); ++i) t.data<double>()[i] = v[i];
  return t;
}
void set_spec_grad(Tensor& p, int t) { p.set_grad(vec({0.1 * t, -0.2, 0.3 * (t % 2 ? -1 : 1)})); }
}  // namespace

TEST_CASE("sgd_step: momentum, dampening and weight decay match the reference test vectors (torch 2.13 / reference code, float64)") {
  Tensor p = vec({1, -2, 3});
  optim::TensorLists lists{{p}, {Tensor()}};
  optim::SGDOptions o;
  o.lr = 0.1, o.momentum = 0.9, o.dampening = 0.1, o.weight_decay = 0.01;
  for (int t = 1; t <= 3; ++t) {
    set_spec_grad(p, t);
    CHECK(optim::sgd_step(lists, o) == (t == 1 ? 1 : 0));  // the buffer is created once
  }
  const double want[] = {0.90643462109, -1.88305304218, 3.04097441187};
  for (int i = 0; i < 3; ++i) CHECK(p.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-10));
}

TEST_CASE("adam_step: counts steps, skips params without grads, honours found_inf") {
  Tensor p = vec({1, -2, 3}), q = vec({5});
  optim::TensorLists lists{{p, q}, {Tensor(), Tensor()}, {Tensor(), Tensor()}, {Tensor(), Tensor()}, {}};
  optim::AdamOptions o;
  o.lr = 0.1;
  for (int t = 1; t <= 3; ++t) {
    set_spec_grad(p, t);
    optim::adam_step(lists, o);
  }
  const double want[] = {0.707681695545, -1.700000015, 3.12831617362};
  for (int i = 0; i < 3; ++i) CHECK(p.data<double>()[i] == doctest::Approx(want[i]).epsilon(1e-10));
  CHECK(lists[1][0].item<double>() == 3.0);
  CHECK_FALSE(lists[1][1].defined());  // q never had a grad
  CHECK(q.data<double>()[0] == 5.0);
  optim::StepControl c;
  c.found_inf = full(Shape{}, Scalar(1.0), TensorOptions(kFloat32));
  const double before = p.data<double>()[0];
  optim::adam_step(lists, o, c);
  CHECK(p.data<double>()[0] == before);
  CHECK(lists[1][0].item<double>() == 3.0);
}

TEST_CASE("total_norm: L2, L1 and inf over several tensors; mismatched state is an error") {
  std::vector<Tensor> ts{vec({3, 4}), vec({}), vec({-12})};
  CHECK(optim::total_norm(ts, 2.0) == doctest::Approx(13.0));
  CHECK(optim::total_norm(ts, 1.0) == doctest::Approx(19.0));
  CHECK(optim::total_norm(ts, INFINITY) == 12.0);
  Tensor p = vec({1, 2});
  p.set_grad(vec({1, 1}));
  optim::TensorLists lists{{p}, {vec({0, 0, 0})}};
  optim::LionOptions o;
  CHECK_THROWS_AS(optim::lion_step(lists, o), ValueError);
}

TEST_CASE("unscale_ and any_nonfinite: one pass checks and scales; flatten_ keeps identity") {
  Tensor a = vec({1, 2, 3}), b = vec({4, 5});
  CHECK_FALSE(optim::any_nonfinite({a, b}));
  CHECK_FALSE(optim::unscale_({a, b}, 0.5));
  CHECK(a.data<double>()[2] == 1.5);
  CHECK(b.data<double>()[0] == 2.0);
  Tensor c = vec({1, std::nan(""), 3});
  CHECK(optim::any_nonfinite({a, c}));
  CHECK(optim::unscale_({c}, 2.0));
  CHECK(c.data<double>()[2] == 6.0);  // scaled even when a NaN is found, as torch

  a.set_grad(vec({0.5, 0.5, 0.5}));
  Tensor same = a;  // another handle of the same tensor
  auto bufs = optim::flatten_({a, b});
  REQUIRE(bufs.size() == 2);
  CHECK(bufs[0].numel() == 5);
  CHECK(same.data_ptr() == bufs[0].data_ptr());  // the same TensorImpl now views the arena
  CHECK(b.data<double>()[1] == 2.5);
  CHECK(static_cast<double*>(bufs[0].data_ptr())[3] == 2.0);
  CHECK(a.grad().data_ptr() == bufs[1].data_ptr());
  CHECK(b.grad().defined());  // a zero grad in the grad arena
  CHECK(b.grad().data<double>()[0] == 0.0);
}

TEST_CASE("mixed precision: bfloat16 params step through a float32 master") {
  Tensor p = to_dtype(vec({1, -2, 3}), kBFloat16);
  p.set_grad(to_dtype(vec({0.5, 0.5, -0.5}), kBFloat16));
  optim::TensorLists lists{{p}, {Tensor()}};
  optim::SGDOptions o;
  o.lr = 0.01;
  optim::AdagradOptions ao;
  optim::TensorLists alists{{p}, {Tensor()}, {Tensor()}};
  CHECK_THROWS_AS(optim::adagrad_step(alists, ao), TypeError);  // no mixed-precision support
  optim::StepControl c;
  c.mixed.master_list = 1;
  CHECK(optim::sgd_step(lists, o, c) == 1);
  Tensor m = lists[1][0];
  REQUIRE(m.dtype() == kFloat32);
  CHECK(m.data<float>()[0] == 1.0f - 0.01f * 0.5f);
  CHECK(float(p.data<bfloat16>()[0]) == float(bfloat16(1.0f - 0.01f * 0.5f)));
}
