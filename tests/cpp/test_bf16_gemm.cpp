// The bfloat16 GEMM through the public API (gemm_, matmul): both kernels against a float64
// product of the same bfloat16 values, within the float32-accumulation bound, and the path
// switch's errors.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "steepest/steepest.hpp"

using namespace steepest;

namespace {

// m x k values exactly representable in bfloat16 (small integers over 8).
Tensor bf16_matrix(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(-16, 16);
  Tensor t = Tensor::empty({rows, cols}, kBFloat16);
  bfloat16* p = t.data<bfloat16>();
  for (int64_t i = 0; i < rows * cols; ++i) p[i] = bfloat16(float(d(gen)) / 8.0f);
  return t;
}

double at(const Tensor& t, int64_t i, int64_t j) {
  const Tensor f = to_dtype(t, kFloat64);
  return contiguous(f).data<double>()[i * t.shape()[1] + j];
}

}  // namespace

TEST_CASE("bfloat16 GEMM: every path within the float32 accumulation bound of float64") {
  const std::string before = bf16_gemm_path();
  std::vector<std::string> paths = {"f32"};
  try {
    set_bf16_gemm_path("avx512_bf16");
    paths.push_back("avx512_bf16");
  } catch (const ValueError&) {  // no AVX512_BF16 here, or a lower instruction set forced
  }
  for (const auto& path : paths) {
    CAPTURE(path);
    set_bf16_gemm_path(path);
    for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {13, 33, 37}, {50, 601, 45}}) {
      CAPTURE(m);
      CAPTURE(k);
      CAPTURE(n);
      Tensor a = bf16_matrix(m, k, 1), b = bf16_matrix(k, n, 2);
      Tensor c = zeros({m, n}), cb = matmul(a, b);
      gemm_(c, a, b, 1.0, 0.0);
      CHECK(cb.dtype() == kBFloat16);
      const Tensor a64 = contiguous(to_dtype(a, kFloat64)), b64 = contiguous(to_dtype(b, kFloat64));
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double ref = 0, s = 0;
          for (int64_t q = 0; q < k; ++q) {
            const double x = a64.data<double>()[i * k + q], y = b64.data<double>()[q * n + j];
            ref += x * y;
            s += std::abs(x * y);
          }
          const double bound = double(k + 4) * std::ldexp(s, -24);
          CHECK(std::abs(at(c, i, j) - ref) <= bound);
          CHECK(std::abs(at(cb, i, j) - ref) <= std::ldexp(std::abs(ref), -8) + bound * 1.01);
        }
    }
  }
  set_bf16_gemm_path(before);
  CHECK_THROWS_AS(set_bf16_gemm_path("amx"), ValueError);
}
