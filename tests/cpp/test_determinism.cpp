// The deterministic switch from C++: with set_deterministic(true) a matrix product is the
// plain fma chain over k (checked against std::fma written here) on every instruction set
// and thread count; a sum gives the same bits on every instruction set either way.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <steepest/steepest.hpp>

using namespace steepest;

namespace {
struct DeterministicScope {
  DeterministicScope() { set_deterministic(true); }
  ~DeterministicScope() { set_deterministic(false); }
};
struct IsaScope {
  std::string before = current_isa();
  int threads = get_num_threads();
  ~IsaScope() {
    set_isa(before);
    set_num_threads(threads);
  }
};
bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.numel()) * a.itemsize()) == 0;
}
}  // namespace

TEST_CASE("deterministic matmul is the fma chain on every ISA and thread count") {
  Generator gen(42);
  const int64_t m = 37, k = 129, n = 45;
  Tensor a = randn({m, k}, {}, &gen), b = randn({k, n}, {}, &gen);
  Tensor ref = empty({m, n});
  const float *pa = a.data<float>(), *pb = b.data<float>();
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p) acc = std::fma(pa[i * k + p], pb[p * n + j], acc);
      ref.data<float>()[i * n + j] = acc;
    }
  DeterministicScope det;
  CHECK(deterministic());
  IsaScope restore;
  for (const std::string& isa : supported_isas())
    for (int threads : {1, 2}) {
      CAPTURE(isa);
      CAPTURE(threads);
      set_isa(isa);
      set_num_threads(threads);
      CHECK(same_bytes(matmul(a, b), ref));
      // Operands stored transposed: packed differently, the same chain.
      Tensor at = transpose(contiguous(transpose(a, 0, 1)), 0, 1), bt = transpose(contiguous(transpose(b, 0, 1)), 0, 1);
      CHECK(same_bytes(matmul(at, bt), ref));
    }
}

TEST_CASE("a sum has the same bits on every ISA") {
  Generator gen(7);
  Tensor x = randn({100003}, {}, &gen);
  IsaScope restore;
  Tensor ref;
  for (const std::string& isa : supported_isas()) {
    set_isa(isa);
    Tensor s = sum(x);
    if (!ref.defined()) ref = s;
    CAPTURE(isa);
    CHECK(same_bytes(s, ref));
  }
}
