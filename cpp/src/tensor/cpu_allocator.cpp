// Size-class caching allocator for CPU tensors (see cpu_allocator.hpp). The cache is capped;
// past the cap, released blocks go straight back to the system.
#include "tensor/cpu_allocator.hpp"

#include "tensor/allocator.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace steepest::detail {

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugeAlign = size_t(2) << 20;  // 2 MiB: a transparent huge page
constexpr size_t kCacheCap = size_t(1) << 30;   // hold at most 1 GiB for reuse

// Rounds a request up to its size class: multiples of 64 B below 4 KiB, then eight classes
// per power of two (at most 12.5 % slack), so similar sizes share cached blocks.
size_t size_class(size_t n) {
  if (n == 0) return kAlign;
  if (n <= 4096) return (n + kAlign - 1) / kAlign * kAlign;
  size_t top = size_t(1) << (63 - __builtin_clzll(n - 1));  // highest power of two below n
  size_t step = top / 8;
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t cached = 0;
};

// Live bytes and their high-water mark (atomics: tensors are freed from any thread).
std::atomic<size_t> allocated{0}, peak{0};

void count_alloc(size_t cls) {
  size_t now = allocated.fetch_add(cls, std::memory_order_relaxed) + cls;
  size_t p = peak.load(std::memory_order_relaxed);
  while (now > p && !peak.compare_exchange_weak(p, now, std::memory_order_relaxed)) {
  }
}

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: tensors may die during static teardown
  return *c;
}

void* system_alloc(size_t cls) {
  bool huge = cls >= kHugeAlign;
  void* p = std::aligned_alloc(huge ? kHugeAlign : kAlign, huge ? (cls + kHugeAlign - 1) / kHugeAlign * kHugeAlign : cls);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Huge pages cut page faults on first touch by 512x for big activations and gradients.
  if (huge) madvise(p, cls, MADV_HUGEPAGE);
#endif
  return p;
}

}  // namespace

void* cpu_alloc(size_t nbytes) {
  size_t cls = size_class(nbytes);
  count_alloc(cls);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(cls);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= cls;
      return p;
    }
  }
  try {
    return system_alloc(cls);
  } catch (...) {
    allocated.fetch_sub(cls, std::memory_order_relaxed);
    throw;
  }
}

void cpu_free(void* p, size_t nbytes) {
  if (!p) return;
  size_t cls = size_class(nbytes);
  allocated.fetch_sub(cls, std::memory_order_relaxed);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached + cls <= kCacheCap) {
      c.free_blocks[cls].push_back(p);
      c.cached += cls;
      return;
    }
  }
  std::free(p);
}

size_t cpu_cached_bytes() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().cached;
}

size_t cpu_allocated_bytes() { return allocated.load(std::memory_order_relaxed); }
size_t cpu_peak_allocated_bytes() { return peak.load(std::memory_order_relaxed); }
void cpu_reset_peak_allocated() { peak.store(allocated.load(std::memory_order_relaxed), std::memory_order_relaxed); }

void cpu_release_cached() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [cls, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached = 0;
}

namespace {

// The functions above as the CPU's Allocator (the device index is meaningless here).
class CpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes, int) override { return cpu_alloc(nbytes); }
  void deallocate(void* p, size_t nbytes, int) noexcept override { cpu_free(p, nbytes); }
  size_t allocated() const override { return cpu_allocated_bytes(); }
  size_t peak() const override { return cpu_peak_allocated_bytes(); }
  void reset_peak() override { cpu_reset_peak_allocated(); }
  size_t cached() const override { return cpu_cached_bytes(); }
  void empty_cache() override { cpu_release_cached(); }
};

}  // namespace

STEEPEST_REGISTER_ALLOCATOR(CPU, new CpuAllocator());

}  // namespace steepest::detail
