// Optimizer microbenchmarks: AdamW steps (float32; bfloat16 params with float32 master and
// bfloat16 moments) over ~16M params in 30 tensors and 3000 x 1000 params, against the
// memory-traffic limit kernel (optim::detail::touch_step: the same arrays read and written,
// one add each), plus the fused grad norm. Counters report bytes/s of the arrays moved.
#include <benchmark/benchmark.h>

#include <vector>

#include "steepest/ops.hpp"
#include "steepest/optim.hpp"

namespace {

using steepest::Shape;
using steepest::Tensor;
namespace optim = steepest::optim;

// ~16M params split unevenly over 30 tensors, or `count` tensors of `each`.
std::vector<int64_t> sizes_of(int64_t total, int count) {
  std::vector<int64_t> s;
  int64_t left = total;
  for (int i = 0; i < count; ++i) {
    int64_t n = i + 1 == count ? left : total / count + (i % 3 - 1) * (total / count / 4);
    s.push_back(n);
    left -= n;
  }
  return s;
}

std::vector<int64_t> sizes_for(const benchmark::State& st) {
  return st.range(0) == 0 ? sizes_of(16 << 20, 30) : std::vector<int64_t>(3000, 1000);
}

std::vector<Tensor> filled(const std::vector<int64_t>& sizes, float v, steepest::DType dt = steepest::kFloat32) {
  std::vector<Tensor> out;
  for (int64_t n : sizes) out.push_back(steepest::to_dtype(steepest::full(Shape{n}, v), dt));
  return out;
}

int64_t total_of(const std::vector<int64_t>& s) {
  int64_t t = 0;
  for (int64_t n : s) t += n;
  return t;
}

void set_label(benchmark::State& st, const std::vector<int64_t>& sizes, double bytes_per_param) {
  st.SetBytesProcessed(int64_t(double(st.iterations()) * double(total_of(sizes)) * bytes_per_param));
  st.SetLabel(st.range(0) == 0 ? "16M in 30" : "3000 x 1000");
}

void AdamW_f32(benchmark::State& st) {
  auto sizes = sizes_for(st);
  auto params = filled(sizes, 1.0f), grads = filled(sizes, 1e-3f);
  for (size_t i = 0; i < params.size(); ++i) params[i].set_grad(grads[i]);
  optim::TensorLists lists{params, std::vector<Tensor>(params.size()), std::vector<Tensor>(params.size()),
                           std::vector<Tensor>(params.size())};
  optim::AdamOptions o;
  o.weight_decay = 1e-2;
  o.decoupled_weight_decay = true;
  optim::adam_step(lists, o);  // creates the state outside the timed loop
  for (auto _ : st) optim::adam_step(lists, o);
  set_label(st, sizes, 28);  // reads p, g, m, v; writes p, m, v
}
BENCHMARK(AdamW_f32)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void AdamW_bf16_master(benchmark::State& st) {
  auto sizes = sizes_for(st);
  auto params = filled(sizes, 1.0f, steepest::kBFloat16), grads = filled(sizes, 1e-3f, steepest::kBFloat16);
  for (size_t i = 0; i < params.size(); ++i) params[i].set_grad(grads[i]);
  const size_t n = params.size();
  optim::TensorLists lists{params, std::vector<Tensor>(n), std::vector<Tensor>(n), std::vector<Tensor>(n),
                           std::vector<Tensor>(n), std::vector<Tensor>(n)};
  optim::AdamOptions o;
  o.weight_decay = 1e-2;
  o.decoupled_weight_decay = true;
  optim::StepControl c;
  c.mixed.master_list = 5;
  c.mixed.state_dtype = steepest::kBFloat16;
  optim::adam_step(lists, o, c);
  for (auto _ : st) optim::adam_step(lists, o, c);
  set_label(st, sizes, 20);  // reads master32, g16, m16, v16; writes master32, p16, m16, v16
}
BENCHMARK(AdamW_bf16_master)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void Limit_AdamW(benchmark::State& st) {
  auto sizes = sizes_for(st);
  optim::TensorLists lists{filled(sizes, 1.0f), filled(sizes, 0.0f), filled(sizes, 0.0f), filled(sizes, 0.0f)};
  for (auto _ : st) optim::detail::touch_step(lists);
  set_label(st, sizes, 28);
}
BENCHMARK(Limit_AdamW)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void GradNorm(benchmark::State& st) {
  auto sizes = sizes_for(st);
  auto grads = filled(sizes, 1e-3f);
  double s = 0;
  for (auto _ : st) benchmark::DoNotOptimize(s += optim::total_norm(grads, 2.0));
  set_label(st, sizes, 4);
}
BENCHMARK(GradNorm)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
