// The optimizer rule registry and kernel tables: every kernel of the kernel list has a table
// entry on every instruction set this CPU runs (and a mixed-precision entry per storage mode
// exactly when it declares low-precision support); the registry's rules are reachable by name
// and their generic step is the typed step, bit for bit.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <steepest/steepest.hpp>

#include "kernels/cpu/kernel_table.hpp"
#include "optim/updates/all.hpp"

using namespace steepest;

namespace {
namespace up = optim::updates;

template <class K>
void check_entries(const kernels::KernelTable& t) {
  const int id = int(up::kernel_id<K>::value);
  INFO(up::kernel_name(up::KernelId(id)), " on ", t.isa);
  const bool f32 = t.f32.optim.update[id] != nullptr, f64 = t.f64.optim.update[id] != nullptr;
  CHECK(f32);
  CHECK(f64);
  for (int m = 0; m < kernels::kNumMixedModes; ++m) {
    const bool mixed = t.f32.optim.mixed[id][m] != nullptr;
    CHECK(mixed == K::kLowPrecision);
  }
}
}  // namespace

TEST_CASE("every listed kernel has its table entries on every instruction set") {
  const std::string was = current_isa();
  for (const std::string& isa : supported_isas()) {
    set_isa(isa);
    const kernels::KernelTable& t = kernels::cpu_kernels();
#define STEEPEST_CHECK_KERNEL(N) check_entries<up::N##Kernel>(t);
    STEEPEST_OPTIM_KERNELS(STEEPEST_CHECK_KERNEL)
#undef STEEPEST_CHECK_KERNEL
  }
  set_isa(was);
}

TEST_CASE("the registry lists every rule with its description") {
  std::vector<std::string> names;
  for (const optim::RuleInfo* r : optim::rules()) names.push_back(r->name);
  for (const char* want : {"Adafactor", "Adagrad", "Adam", "Adamax", "Adan", "Lamb", "Lars", "Lion", "Muon", "NAdam",
                           "RAdam", "RMSprop", "SGD", "ScheduleFreeAdamW", "SophiaG"})
    CHECK(std::find(names.begin(), names.end(), want) != names.end());
  const optim::RuleInfo& adam = optim::rule("Adam");
  CHECK(adam.state == std::vector<std::string>{"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"});
  CHECK(adam.low_precision);
  CHECK(adam.hypers.at(0).name == "lr");
  CHECK(adam.hypers.at(0).default_value.nums.at(0) == optim::AdamOptions{}.lr);
  CHECK_THROWS_WITH_AS(optim::rule("Adum"), doctest::Contains("unknown optimizer rule 'Adum'"), ValueError);
}

TEST_CASE("a rule's generic step is its typed step") {
  auto make = [] {
    Tensor p = empty({1000}, TensorOptions(kFloat32));
    for (int i = 0; i < 1000; ++i) p.data<float>()[i] = float(i % 17) * 0.25f - 2.0f;
    p.set_grad(full({1000}, Scalar(0.5), TensorOptions(kFloat32)));
    return p;
  };
  Tensor a = make(), b = make();
  optim::TensorLists la{{a}, {Tensor()}, {Tensor()}, {Tensor()}, {Tensor()}};
  optim::TensorLists lb = {{b}, {Tensor()}, {Tensor()}, {Tensor()}, {Tensor()}};
  optim::AdamOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  o.decoupled_weight_decay = true;
  optim::HyperMap h;
  h["lr"].nums = {0.01};
  h["weight_decay"].nums = {0.1};
  h["decoupled_weight_decay"].nums = {1};
  for (int t = 0; t < 3; ++t) {
    optim::adam_step(la, o);
    optim::rule("Adam").step(lb, h, optim::StepControl{});
  }
  CHECK(std::memcmp(a.data<float>(), b.data<float>(), 1000 * sizeof(float)) == 0);
}
