// The CUDA device's Allocator behind Storage: one caching allocator per device
// (kernels/cuda/caching_allocator.hpp) over cudaMalloc/cudaFree, blocks tied to the stream
// current when they were allocated, plus the statistics and record_stream of st.cuda.
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/cuda/caching_allocator.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/launch.cuh"
#include "steepest/cuda.hpp"
#include "tensor/allocator.hpp"

namespace steepest::cuda {

namespace {

// Raw device memory and events for the caching allocator, on one device.
struct CudaBackend {
  using Stream = uintptr_t;
  using Event = cudaEvent_t;
  int device = 0;

  void* raw_alloc(size_t n) {
    void* p = nullptr;
    if (cudaMalloc(&p, n) != cudaSuccess) {
      (void)cudaGetLastError();  // out of memory is not sticky: clear it for the retry
      return nullptr;
    }
    return p;
  }
  void raw_free(void* p) { (void)cudaFree(p); }
  Event record(Stream s) {
    cudaEvent_t e = nullptr;
    STEEPEST_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    STEEPEST_CUDA_CHECK(cudaEventRecord(e, reinterpret_cast<cudaStream_t>(s)));
    return e;
  }
  bool done(Event e) {
    cudaError_t r = cudaEventQuery(e);
    if (r == cudaErrorNotReady) { (void)cudaGetLastError(); return false; }
    return true;  // finished, or failed: either way nothing will touch the block any more
  }
  void release(Event e) { (void)cudaEventDestroy(e); }
  void wait(Event e) { (void)cudaEventSynchronize(e); }
};

using DeviceCache = CachingAllocator<CudaBackend>;

MemoryStats public_stats(const AllocatorStats& a) {
  MemoryStats m;
  m.allocated = a.allocated;
  m.peak_allocated = a.peak_allocated;
  m.requested = a.requested;
  m.reserved = a.reserved;
  m.peak_reserved = a.peak_reserved;
  m.num_blocks = a.num_blocks;
  m.num_segments = a.num_segments;
  m.num_raw_allocs = a.num_raw_allocs;
  m.num_raw_frees = a.num_raw_frees;
  m.num_alloc_retries = a.num_alloc_retries;
  m.num_ooms = a.num_ooms;
  return m;
}

int count_devices() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

// The caches, created on first use of each device and never destroyed (tensors may be
// freed during static teardown).
DeviceCache& cache_for(int index) {
  static std::mutex mu;
  static std::vector<DeviceCache*>* caches = new std::vector<DeviceCache*>(size_t(count_devices()), nullptr);
  STEEPEST_CHECK(index >= 0 && size_t(index) < caches->size(), ValueError, "cuda:", index,
                 ": no such CUDA device (", caches->size(), " available)");
  std::lock_guard<std::mutex> lock(mu);
  DeviceCache*& c = (*caches)[size_t(index)];
  if (!c) c = new DeviceCache(CudaBackend{index});
  return *c;
}

// Switches to `index` for the scope (cudaMalloc and event records act on the current device).
struct DeviceGuard {
  int prev = -1;
  explicit DeviceGuard(int index) {
    STEEPEST_CUDA_CHECK(cudaGetDevice(&prev));
    if (prev != index) STEEPEST_CUDA_CHECK(cudaSetDevice(index));
  }
  ~DeviceGuard() {
    int now = -1;
    if (cudaGetDevice(&now) == cudaSuccess && now != prev) (void)cudaSetDevice(prev);
  }
};

class CudaAllocator final : public detail::Allocator {
 public:
  int device_index(int index) const override {
    if (index >= 0) return index;
    STEEPEST_CHECK(cuda_is_available(), Error, "no CUDA device is available (st.cuda.is_available() is False)");
    int d = 0;
    STEEPEST_CUDA_CHECK(cudaGetDevice(&d));
    return d;
  }
  void* allocate(size_t nbytes, int index) override {
    STEEPEST_CHECK(cuda_is_available(), Error, "cannot allocate on cuda: no CUDA device is available");
    index = device_index(index);
    DeviceCache& c = cache_for(index);
    DeviceGuard g(index);
    return c.allocate(nbytes, reinterpret_cast<uintptr_t>(current_stream()));
  }
  void deallocate(void* p, size_t, int index) noexcept override {
    try {
      cache_for(device_index(index)).deallocate(p);
    } catch (...) {
      // Called from destructors; a lookup failure here leaves the block cached.
    }
  }
  size_t allocated() const override { return sum([](const AllocatorStats& s) { return s.allocated; }); }
  size_t peak() const override { return sum([](const AllocatorStats& s) { return s.peak_allocated; }); }
  void reset_peak() override {
    for (int i = 0; i < count_devices(); ++i) cache_for(i).reset_peak();
  }
  size_t cached() const override {
    return sum([](const AllocatorStats& s) { return s.reserved - s.allocated; });
  }
  void empty_cache() override {
    for (int i = 0; i < count_devices(); ++i) {
      DeviceGuard g(i);
      cache_for(i).empty_cache();
    }
  }

 private:
  template <class F>
  static size_t sum(F f) {
    size_t t = 0;
    for (int i = 0; i < count_devices(); ++i) t += f(cache_for(i).stats());
    return t;
  }
};

}  // namespace

MemoryStats memory_stats(int index) {
  STEEPEST_CHECK(cuda_is_available(), Error, "memory_stats: no CUDA device is available");
  if (index < 0) STEEPEST_CUDA_CHECK(cudaGetDevice(&index));
  return public_stats(cache_for(index).stats());
}

void reset_peak_memory_stats(int index) {
  STEEPEST_CHECK(cuda_is_available(), Error, "reset_peak_memory_stats: no CUDA device is available");
  if (index < 0) STEEPEST_CUDA_CHECK(cudaGetDevice(&index));
  cache_for(index).reset_peak();
}

void empty_cache() {
  if (cuda_is_available()) detail::allocator(Device(DeviceType::CUDA)).empty_cache();
}

void record_stream(const Tensor& t, StreamHandle s) {
  STEEPEST_CHECK(t.device().is_cuda(), ValueError, "record_stream: expected a CUDA tensor, got a ",
                 t.device().str(), " tensor");
  const Storage& st = *t.storage();
  cache_for(t.device().index).record_stream(st.data(), s);
}

}  // namespace steepest::cuda

namespace steepest::detail {
STEEPEST_REGISTER_ALLOCATOR(CUDA, new ::steepest::cuda::CudaAllocator());
}  // namespace steepest::detail
