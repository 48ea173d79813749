// Dispatch stubs: every stub of every kernel family has a CPU kernel, and a device without a
// kernel (CUDA in a CPU-only build) gets NotImplementedError naming the op and the device.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "dispatch/elementwise.hpp"
#include "dispatch/index.hpp"
#include "dispatch/linalg.hpp"
#include "dispatch/nn.hpp"
#include "dispatch/random.hpp"
#include "dispatch/reduce.hpp"
#include "steepest/steepest.hpp"

using namespace steepest;

TEST_CASE("every dispatch stub has a CPU kernel") {
  const auto& stubs = dispatch::all_stubs();
  REQUIRE(stubs.size() > 0);
  std::set<std::string> names;
  for (const dispatch::StubBase* s : stubs) {
    CAPTURE(s->name());
    CHECK(s->has(DeviceType::CPU));
    CHECK(names.insert(s->name()).second);  // each stub defined once
  }
  // One stub of each family (a family whose stubs are defined in a file that is not linked
  // would be missing here).
  for (const char* n : {"unary_stub", "binary_stub", "copy_stub", "where_stub", "sum_stub", "var_stub",
                        "index_gather_stub", "scatter_stub", "nonzero_stub", "matmul_stub", "linear_stub",
                        "softmax_stub", "cross_entropy_stub", "random_stub", "randperm_stub"})
    CHECK(names.count(n) == 1);
}

TEST_CASE("a stub without a CUDA kernel names the op and the device") {
#ifndef STEEPEST_WITH_CUDA
  const Device cuda{DeviceType::CUDA, 0};
  for (const dispatch::StubBase* s : dispatch::all_stubs()) CHECK_FALSE(s->has(DeviceType::CUDA));
  try {
    dispatch::binary_stub().get(cuda, "add");
    FAIL("expected NotImplementedError");
  } catch (const NotImplementedError& e) {
    std::string msg = e.what();
    CHECK(msg.find("add") != std::string::npos);
    CHECK(msg.find("cuda:0") != std::string::npos);
  }
  // Without an op name the stub names itself.
  CHECK_THROWS_WITH_AS(dispatch::sum_stub().get(cuda), doctest::Contains("sum_stub"), NotImplementedError);
#endif
}

TEST_CASE("an op's device is its tensors' one device") {
  Tensor a = zeros({2});
  CHECK(dispatch::common_device(a, a) == kCPU);
  CHECK(dispatch::common_device({&a, nullptr}) == kCPU);  // absent operands (numbers) don't count
}

// A tensor that claims to live on cuda:0 without memory there (borrowed, never read), so a
// CPU-only build can check what ops do with one.
static Tensor fake_cuda_tensor(float* host) {
  auto storage = Storage::borrow(host, 2 * sizeof(float), Device(DeviceType::CUDA, 0), [] {});
  return Tensor::make(storage, Shape{2}, Strides{1}, 0, kFloat32);
}

TEST_CASE("mixing devices in one op is torch's error") {
  float mem[2] = {0, 0};
  Tensor c = fake_cuda_tensor(mem), a = zeros({2});
  CHECK_THROWS_WITH_AS(add(a, c), "Expected all tensors to be on the same device, but found at least two devices, "
                       "cpu and cuda:0!", Error);
  CHECK_THROWS_WITH_AS(matmul(c, a), doctest::Contains("cuda:0 and cpu"), Error);
}

#ifndef STEEPEST_WITH_CUDA
TEST_CASE("an op on a device without kernels names the op and the device") {
  float mem[2] = {0, 0}, mem2[2] = {0, 0};
  Tensor c = fake_cuda_tensor(mem), d = fake_cuda_tensor(mem2);
  CHECK_THROWS_WITH_AS(add_(c, d), doctest::Contains("add: not implemented for cuda:0"), NotImplementedError);
  CHECK_THROWS_WITH_AS(fill_(c, 1.0), doctest::Contains("fill_: not implemented for cuda:0"), NotImplementedError);
  // Results are allocated first: without a CUDA allocator that is the error.
  CHECK_THROWS_WITH_AS(exp(c), doctest::Contains("cannot allocate on cuda:0"), NotImplementedError);
}
#endif
