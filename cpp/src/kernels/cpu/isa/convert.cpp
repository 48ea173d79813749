// Runs of bfloat16 / float16 <-> float32 conversions for one ISA (KernelTable::bf16 / f16):
// full vectors through simd/convert16.hpp, then the same rules one value at a time.
#include "kernels/cpu/kernel_table.hpp"
#include "kernels/cpu/simd/convert16.hpp"
#include "kernels/cpu/simd/vec.hpp"

namespace steepest::kernels::STEEPEST_ISA {
namespace {

template <Half16 K>
void widen_run(int64_t n, const uint16_t* x, float* y) {
  using V = Vec<float>;
  constexpr int W = lanes<V>();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const V a = widen16<K, V>(x + i), b = widen16<K, V>(x + i + W);
    vstore(y + i, a);
    vstore(y + i + W, b);
  }
  for (; i < n; ++i) y[i] = widen16<K, float>(x + i);
}

template <Half16 K>
void narrow_run(int64_t n, const float* x, uint16_t* y) {
  using V = Vec<float>;
  constexpr int W = lanes<V>();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    narrow16<K, V>(y + i, vload<V>(x + i));
    narrow16<K, V>(y + i + W, vload<V>(x + i + W));
  }
  for (; i < n; ++i) narrow16<K, float>(y + i, x[i]);
}

}  // namespace

void register_convert(KernelTable& t) {
  t.bf16 = {widen_run<Half16::BF16>, narrow_run<Half16::BF16>};
  t.f16 = {widen_run<Half16::F16>, narrow_run<Half16::F16>};
}

}  // namespace steepest::kernels::STEEPEST_ISA
