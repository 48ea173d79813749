// The CUDA device's Allocator: for now every block is a cudaMalloc of its own, freed with
// cudaFree (no cache yet, so cached() is 0 and empty_cache() has nothing to release).
#include <atomic>

#include "kernels/cuda/check.cuh"
#include "tensor/allocator.hpp"

namespace steepest::detail {

namespace {

class CudaAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes, int index) override {
    STEEPEST_CHECK(cuda_is_available(), Error, "cannot allocate on cuda: no CUDA device is available");
    STEEPEST_CUDA_CHECK(cudaSetDevice(index < 0 ? 0 : index));
    void* p = nullptr;
    // A valid address even for 0 bytes, as on the CPU.
    STEEPEST_CUDA_CHECK(cudaMalloc(&p, nbytes == 0 ? 256 : nbytes));
    size_t now = allocated_.fetch_add(nbytes, std::memory_order_relaxed) + nbytes;
    size_t pk = peak_.load(std::memory_order_relaxed);
    while (now > pk && !peak_.compare_exchange_weak(pk, now, std::memory_order_relaxed)) {
    }
    return p;
  }
  void deallocate(void* p, size_t nbytes, int) noexcept override {
    cudaFree(p);  // errors ignored: called from destructors
    allocated_.fetch_sub(nbytes, std::memory_order_relaxed);
  }
  size_t allocated() const override { return allocated_.load(std::memory_order_relaxed); }
  size_t peak() const override { return peak_.load(std::memory_order_relaxed); }
  void reset_peak() override { peak_.store(allocated(), std::memory_order_relaxed); }
  size_t cached() const override { return 0; }
  void empty_cache() override {}

 private:
  std::atomic<size_t> allocated_{0}, peak_{0};
};

}  // namespace

STEEPEST_REGISTER_ALLOCATOR(CUDA, new CudaAllocator());

}  // namespace steepest::detail
