// The packed-operand product of the kernel table (gemm_pack, gemm_packed; the recurrent
// layers' step products): on every instruction set, each element is the fma chain over k
// written here, for both layouts of B, row counts around the register tile, a part-filled last
// panel, beta 0 and 1, and a product started at a later panel (how threads share the columns).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/kernel_table.hpp"
#include "steepest/steepest.hpp"

using namespace steepest;

namespace {
struct IsaRestore {
  std::string before = current_isa();
  ~IsaRestore() { set_isa(before); }
};

template <class T>
const kernels::TypedKernels<T>& table() {
  if constexpr (sizeof(T) == 4) return kernels::cpu_kernels().f32;
  else return kernels::cpu_kernels().f64;
}

template <class T>
void check_packed(int64_t m, int64_t n, int64_t k, bool cols_contiguous, T beta) {
  std::vector<T> a(size_t(m * k)), b(size_t(k * n)), c0(size_t(m * n));
  for (size_t i = 0; i < a.size(); ++i) a[i] = T(std::sin(0.37 * double(i) + 0.1));
  for (size_t i = 0; i < b.size(); ++i) b[i] = T(std::cos(0.91 * double(i)));
  for (size_t i = 0; i < c0.size(); ++i) c0[i] = T(0.25 * double(i % 7) - 0.5);
  // B (k, n): row-major, or stored as its transpose (each column contiguous).
  const int64_t rs = cols_contiguous ? 1 : n, cs = cols_contiguous ? k : 1;
  std::vector<T> want(c0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T acc = T(0);
      for (int64_t p = 0; p < k; ++p) acc = std::fma(a[size_t(i * k + p)], b[size_t(p * rs + j * cs)], acc);
      want[size_t(i * n + j)] = beta == T(0) ? acc : acc + want[size_t(i * n + j)];
    }
  const kernels::TypedKernels<T>& kt = table<T>();
  const int64_t nr = kt.gemm_panel, panels = (n + nr - 1) / nr;
  REQUIRE(nr > 0);
  std::vector<T> packed(size_t(panels * nr * k), T(-7));
  kt.gemm_pack(k, n, b.data(), rs, cs, packed.data());
  std::vector<T> got(c0);
  kt.gemm_packed(m, n, k, a.data(), k, packed.data(), beta, got.data(), n);
  CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(T)) == 0);
  if (panels > 1) {  // columns from the second panel on, as a second thread computes them
    std::vector<T> part(c0);
    kt.gemm_packed(m, n - nr, k, a.data(), k, packed.data() + nr * k, beta, part.data() + nr, n);
    bool same = true;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const T w = j < nr ? c0[size_t(i * n + j)] : want[size_t(i * n + j)];
        same = same && std::memcmp(&part[size_t(i * n + j)], &w, sizeof(T)) == 0;
      }
    CHECK(same);
  }
}
}  // namespace

TEST_CASE("gemm_packed is the fma chain over k on every ISA") {
  IsaRestore restore;
  for (const std::string& isa : supported_isas()) {
    set_isa(isa);
    for (int64_t m : {1, 2, 5, 7, 8, 13, 32, 33})
      for (int64_t n : {1, 17, 45})
        for (int64_t k : {1, 64})
          for (bool cols : {false, true}) {
            CAPTURE(isa);
            CAPTURE(m);
            CAPTURE(n);
            CAPTURE(k);
            CAPTURE(cols);
            check_packed<float>(m, n, k, cols, 0.0f);
            check_packed<float>(m, n, k, cols, 1.0f);
            check_packed<double>(m, n, k, cols, 1.0);
          }
  }
}
