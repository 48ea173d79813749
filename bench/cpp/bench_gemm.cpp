// GEMM microbenchmark: steepest::matmul of two square float32 matrices; counter = FLOP/s.
#include <benchmark/benchmark.h>

#include "steepest/ops.hpp"

namespace {

void Matmul_f32(benchmark::State& st) {
  const int64_t n = st.range(0);
  steepest::Tensor a = steepest::full(steepest::Shape{n, n}, 0.5f), b = steepest::full(steepest::Shape{n, n}, 0.25f);
  for (auto _ : st) benchmark::DoNotOptimize(steepest::matmul(a, b));
  st.counters["FLOP/s"] = benchmark::Counter(2.0 * double(n) * double(n) * double(n) * double(st.iterations()),
                                             benchmark::Counter::kIsRate);
}
BENCHMARK(Matmul_f32)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
