// In the CUDA build: the elementwise, divmod, reduction, scan, index, random, FP8, special
// function, sort/selection, counting, multinomial and CTC loss stubs each have a CUDA kernel
// (copy and fill belong to the device-copy code).
// The CPU build has no CUDA kernels at all (test_dispatch.cpp checks that).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "dispatch/stub.hpp"

#ifdef STEEPEST_WITH_CUDA
TEST_CASE("cuda build: the op families' stubs have CUDA kernels") {
  using steepest::DeviceType;
  const std::set<std::string> want{
      "unary_stub", "binary_stub", "clamp_stub", "compare_stub", "bit_stub", "logical_not_stub",
      "bitwise_not_stub", "where_stub", "arange_stub", "linspace_stub", "stream_stub", "sum_stub",
      "extreme_stub", "arg_stub", "var_stub", "scan_stub", "cumprod_backward_stub", "find_bad_index_stub",
      "index_offsets_stub", "index_gather_stub", "index_put_stub", "accumulate_stub", "scatter_stub",
      "masked_fill_stub", "nonzero_stub", "random_stub", "randint_stub", "bernoulli_tensor_stub", "divmod_stub",
      "randperm_stub", "float8_cast_stub", "float8_scaling_stub", "special_stub", "sort_stub", "select_stub",
      "bincount_stub", "histc_stub", "searchsorted_stub", "multinomial_stub", "ctc_loss_stub",
      "ctc_loss_backward_stub"};
  std::set<std::string> seen;
  for (const steepest::dispatch::StubBase* s : steepest::dispatch::all_stubs()) {
    if (!want.count(s->name())) continue;
    seen.insert(s->name());
    INFO(s->name());
    CHECK(s->has(DeviceType::CUDA));
  }
  CHECK(seen == want);
}
#endif
