// The recurrent ops from C++: an LSTM and a GRU layer against the same recurrence written
// with elementwise ops and matmul (values and gradients), reverse direction, per-row lengths,
// and shape errors.
#include <doctest/doctest.h>

#include "steepest/steepest.hpp"

using namespace steepest;
namespace F = steepest::nn::functional;

namespace {
double max_diff(const Tensor& a, const Tensor& b) { return max(abs(sub(a, b))).item<double>(); }

// One step of the reference recurrences, from the projections xp (B, G) and hp (B, G).
std::vector<Tensor> ref_step(F::RnnMode mode, const Tensor& xp, const Tensor& hp, const Tensor& h, const Tensor& c) {
  if (mode == F::RnnMode::Lstm) {
    auto g = chunk(add(xp, hp), 4, 1);
    Tensor c1 = add(mul(sigmoid(g[1]), c), mul(sigmoid(g[0]), tanh(g[2])));
    return {mul(sigmoid(g[3]), tanh(c1)), c1};
  }
  auto x = chunk(xp, 3, 1), q = chunk(hp, 3, 1);
  Tensor r = sigmoid(add(x[0], q[0])), z = sigmoid(add(x[1], q[1]));
  Tensor n = tanh(add(x[2], mul(r, q[2])));
  return {add(mul(sub(ones_like(z), z), n), mul(z, h)), Tensor()};
}
}  // namespace

TEST_CASE("rnn_layer matches the recurrence composed of ops, values and gradients") {
  for (F::RnnMode mode : {F::RnnMode::Lstm, F::RnnMode::Gru}) {
    for (bool reverse : {false, true}) {
      Generator gen(7);
      const int64_t T = 4, B = 3, H = 5, G = F::rnn_gates(mode) * H;
      const TensorOptions o(kFloat64);
      Tensor xp = randn({T, B, G}, o, &gen).set_requires_grad(true);
      Tensor h0 = randn({B, H}, o, &gen).set_requires_grad(true);
      Tensor c0 = randn({B, H}, o, &gen);
      Tensor w = randn({G, H}, o, &gen).set_requires_grad(true);
      Tensor b = randn({G}, o, &gen).set_requires_grad(true);
      const bool lstm = mode == F::RnnMode::Lstm;
      auto got = F::rnn_layer(mode, xp, h0, lstm ? c0 : Tensor(), w, b, reverse);
      Tensor h = h0, c = c0;
      std::vector<Tensor> outs(static_cast<size_t>(T));
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = reverse ? T - 1 - s : s;
        auto r = ref_step(mode, select(xp, 0, t), add(matmul(h, steepest::t(w)), b), h, c);
        h = r[0];
        c = r[1];
        outs[size_t(t)] = h;
      }
      Tensor ref = stack(outs, 0);
      CHECK(max_diff(got[0], ref) < 1e-12);
      CHECK(max_diff(got[1], h) < 1e-12);
      if (lstm) CHECK(max_diff(got[2], c) < 1e-12);
      Tensor wo = randn({T, B, H}, o, &gen);
      autograd::backward({sum(mul(got[0], wo))});
      Tensor g_xp = xp.grad(), g_h0 = h0.grad(), g_w = w.grad(), g_b = b.grad();
      for (Tensor* p : {&xp, &h0, &w, &b}) p->set_grad(Tensor());
      autograd::backward({sum(mul(ref, wo))});
      CHECK(max_diff(g_xp, xp.grad()) < 1e-12);
      CHECK(max_diff(g_h0, h0.grad()) < 1e-12);
      CHECK(max_diff(g_w, w.grad()) < 1e-12);
      CHECK(max_diff(g_b, b.grad()) < 1e-12);
    }
  }
}

TEST_CASE("rnn_layer with lengths stops each row at its own last step") {
  Generator gen(9);
  const int64_t T = 5, B = 2, H = 3;
  Tensor xp = randn({T, B, 4 * H}, {}, &gen), h0 = randn({B, H}, {}, &gen), c0 = randn({B, H}, {}, &gen);
  Tensor w = randn({4 * H, H}, {}, &gen);
  Tensor lengths = empty({B}, TensorOptions(kInt64));
  lengths.data<int64_t>()[0] = 5;
  lengths.data<int64_t>()[1] = 2;
  auto full = F::rnn_layer(F::RnnMode::Lstm, xp, h0, c0, w, Tensor(), false, lengths);
  auto row1 = F::rnn_layer(F::RnnMode::Lstm, narrow(narrow(xp, 0, 0, 2), 1, 1, 1), narrow(h0, 0, 1, 1),
                           narrow(c0, 0, 1, 1), w, Tensor(), false);
  CHECK(max_diff(narrow(full[1], 0, 1, 1), row1[1]) < 1e-6);
  CHECK(max_diff(narrow(full[2], 0, 1, 1), row1[2]) < 1e-6);
  lengths.data<int64_t>()[1] = 6;
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Lstm, xp, h0, c0, w, Tensor(), false, lengths),
                       doctest::Contains("outside [1, 5]"), ValueError);
}

TEST_CASE("rnn_layer names bad shapes") {
  Tensor xp = zeros({4, 2, 12}), h0 = zeros({2, 3}), w = zeros({12, 3});
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Gru, xp, h0, Tensor(), w, Tensor(), false),
                       doctest::Contains("weight_hh"), ValueError);
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Lstm, xp, zeros({2, 4}), zeros({2, 3}), w, Tensor(), false),
                       doctest::Contains("h0 of shape"), ValueError);
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Lstm, xp, h0, Tensor(), w, Tensor(), false),
                       doctest::Contains("c0 of shape"), ValueError);
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Lstm, zeros({0, 2, 12}), h0, h0, w, Tensor(), false),
                       doctest::Contains("sequence length"), ValueError);
}

TEST_CASE("the recurrent ops refuse missing tensors from C++") {
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Tanh, Tensor(), zeros({2, 3}), Tensor(), zeros({3, 3}), Tensor(), false),
                       doctest::Contains("input projection"), ValueError);
  CHECK_THROWS_WITH_AS(F::rnn_layer(F::RnnMode::Tanh, zeros({1, 2, 3}), Tensor(), Tensor(), zeros({3, 3}), Tensor(),
                                    false),
                       doctest::Contains("h0 of shape"), ValueError);
  CHECK_THROWS_WITH_AS(F::rnn(F::RnnMode::Gru, zeros({2, 1, 3}), Tensor(), Tensor(), {Tensor(), Tensor()}, false, 1,
                              0.0, false, false, false),
                       doctest::Contains("every weight"), ValueError);
  CHECK_THROWS_WITH_AS(F::rnn_cell(F::RnnMode::Lstm, zeros({2, 3}), Tensor(), Tensor(), Tensor(), zeros({12, 3}),
                                   Tensor(), Tensor()),
                       doctest::Contains("weight_ih"), ValueError);
}
