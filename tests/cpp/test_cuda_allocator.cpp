// The CUDA caching allocator's bookkeeping (kernels/cuda/caching_allocator.hpp) on host memory:
// real malloc'd segments stand in for cudaMalloc, and events are flags the test completes.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "kernels/cuda/caching_allocator.hpp"

namespace {

using steepest::cuda::CachingAllocator;
using steepest::cuda::kMinBlock;
using steepest::cuda::kSegmentGranule;

struct HostBackend {
  using Stream = int;
  using Event = int;
  std::set<void*> live;      // raw segments held
  size_t raw_allocs = 0;
  size_t limit = SIZE_MAX;   // total bytes the "device" has
  size_t in_use = 0;
  std::map<void*, size_t> sizes;
  std::map<int, bool> events;  // event id -> done
  int next_event = 0;

  void* raw_alloc(size_t n) {
    if (in_use + n > limit) return nullptr;
    void* p = std::malloc(n);
    std::memset(p, 0xAB, n);  // touch it: a real allocation
    live.insert(p);
    sizes[p] = n;
    in_use += n;
    ++raw_allocs;
    return p;
  }
  void raw_free(void* p) {
    REQUIRE(live.count(p) == 1);
    live.erase(p);
    in_use -= sizes[p];
    sizes.erase(p);
    std::free(p);
  }
  Event record(Stream) { events[next_event] = false; return next_event++; }
  bool done(Event e) { return events.at(e); }
  void release(Event e) { events.erase(e); }
  void wait(Event e) { events.at(e) = true; }
};

// Every byte of [p, p+n) is inside one live raw segment.
bool inside_segment(HostBackend& b, void* p, size_t n) {
  for (auto& [base, size] : b.sizes) {
    auto lo = reinterpret_cast<uintptr_t>(base), q = reinterpret_cast<uintptr_t>(p);
    if (q >= lo && q + n <= lo + size) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("cuda caching allocator: size classes") {
  using namespace steepest::cuda;
  CHECK(round_request(0) == 512);
  CHECK(round_request(1) == 512);
  CHECK(round_request(512) == 512);
  CHECK(round_request(513) == 1024);
  CHECK(segment_bytes(512) == kSegmentGranule);
  CHECK(segment_bytes(kSmallRequest) == kSegmentGranule);
  CHECK(segment_bytes(kSmallRequest + 512) == kSegmentGranule);
  CHECK(segment_bytes(kSegmentGranule + 512) == 2 * kSegmentGranule);
  CHECK(format_bytes(100) == "100 bytes");
  CHECK(format_bytes(size_t(3) << 20) == "3.00 MiB");
  CHECK(format_bytes(size_t(3) << 29) == "1.50 GiB");
}

TEST_CASE("cuda caching allocator: steady-state loop makes no new raw allocation") {
  CachingAllocator<HostBackend> a;
  std::vector<size_t> sizes = {4, 1000, 4096, 70000, 3 << 20, 513, 1 << 20};
  for (int iter = 0; iter < 5; ++iter) {
    std::vector<void*> ps;
    for (size_t n : sizes) {
      void* p = a.allocate(n, 0);
      REQUIRE(inside_segment(a.backend(), p, n));
      std::memset(p, iter, n);  // the block is real, writable memory
      ps.push_back(p);
    }
    // Distinct live blocks never overlap.
    for (size_t i = 0; i < ps.size(); ++i)
      for (size_t j = i + 1; j < ps.size(); ++j) {
        auto a0 = reinterpret_cast<uintptr_t>(ps[i]), b0 = reinterpret_cast<uintptr_t>(ps[j]);
        CHECK((a0 + sizes[i] <= b0 || b0 + sizes[j] <= a0));
      }
    for (void* p : ps) a.deallocate(p);
    if (iter == 0) REQUIRE(a.backend().raw_allocs > 0);
  }
  const size_t after_first = a.backend().raw_allocs;
  for (int iter = 0; iter < 20; ++iter) {
    std::vector<void*> ps;
    for (size_t n : sizes) ps.push_back(a.allocate(n, 0));
    for (void* p : ps) a.deallocate(p);
  }
  CHECK(a.backend().raw_allocs == after_first);
  CHECK(a.stats().allocated == 0);
}

TEST_CASE("cuda caching allocator: small blocks split one segment and merge back") {
  CachingAllocator<HostBackend> a;
  void* p = a.allocate(1000, 0);
  void* q = a.allocate(1000, 0);
  CHECK(a.backend().raw_allocs == 1);  // both from one 2 MiB segment
  CHECK(static_cast<char*>(q) - static_cast<char*>(p) == 1024);
  auto s = a.stats();
  CHECK(s.allocated == 2048);
  CHECK(s.requested == 2000);
  CHECK(s.reserved == kSegmentGranule);
  a.deallocate(p);
  a.deallocate(q);
  // Merged back into one whole segment: a request for all of it needs no new raw allocation.
  void* big = a.allocate(kSegmentGranule / 2, 0);  // 1 MiB: the small pool's largest request
  CHECK(big == p);
  a.deallocate(big);
  a.empty_cache();
  CHECK(a.backend().live.empty());
  CHECK(a.stats().reserved == 0);
}

TEST_CASE("cuda caching allocator: a block in use keeps its segment through empty_cache") {
  CachingAllocator<HostBackend> a;
  void* p = a.allocate(100, 0);
  void* q = a.allocate(5 << 20, 0);
  CHECK(a.backend().live.size() == 2);
  a.deallocate(q);
  a.empty_cache();  // the large segment is unused: released; the small one holds p
  CHECK(a.backend().live.size() == 1);
  CHECK(a.stats().reserved == kSegmentGranule);
  a.deallocate(p);
  a.empty_cache();
  CHECK(a.backend().live.empty());
  CHECK(a.stats().num_raw_frees == 2);
}

TEST_CASE("cuda caching allocator: large requests split only a big enough remainder") {
  CachingAllocator<HostBackend> a;
  void* p = a.allocate(3 << 20, 0);  // a 4 MiB segment; the 1 MiB rest is not > 1 MiB: not split
  CHECK(a.stats().allocated == size_t(4) << 20);
  a.deallocate(p);
  void* q = a.allocate(7 << 20, 0);  // the 4 MiB block is too small: a new 8 MiB segment, unsplit
  CHECK(a.backend().raw_allocs == 2);
  a.deallocate(q);
  void* r = a.allocate(6 << 20, 0);  // the 8 MiB block, rest 2 MiB > 1 MiB: split
  CHECK(a.stats().allocated == size_t(6) << 20);
  void* t = a.allocate((3 << 20) / 2, 0);  // 1.5 MiB fits the 2 MiB rest of the 8 MiB segment
  CHECK(a.backend().raw_allocs == 2);
  CHECK(static_cast<char*>(t) == static_cast<char*>(r) + (6 << 20));
  a.deallocate(r);
  a.deallocate(t);
}

TEST_CASE("cuda caching allocator: blocks are reused only on their own stream") {
  CachingAllocator<HostBackend> a;
  void* p = a.allocate(4096, /*stream=*/1);
  a.deallocate(p);
  void* q = a.allocate(4096, /*stream=*/2);
  CHECK(q != p);
  CHECK(a.backend().raw_allocs == 2);
  void* r = a.allocate(4096, 1);
  CHECK(r == p);
  a.deallocate(q);
  a.deallocate(r);
}

TEST_CASE("cuda caching allocator: record_stream defers reuse until the other stream is done") {
  CachingAllocator<HostBackend> a;
  void* p = a.allocate(4096, 1);
  a.record_stream(p, 2);
  a.deallocate(p);
  REQUIRE(a.backend().events.size() == 1);
  void* q = a.allocate(4096, 1);
  CHECK(q != p);  // stream 2 may still be reading p
  for (auto& e : a.backend().events) e.second = true;
  a.deallocate(q);
  void* r = a.allocate(4096, 1);  // the event completed: p (merged back) is first in line again
  CHECK(r == p);
  CHECK(a.backend().events.empty());
  a.deallocate(r);
  CHECK_THROWS_AS(a.record_stream(reinterpret_cast<void*>(0x10), 2), steepest::ValueError);
}

TEST_CASE("cuda caching allocator: peak statistics and reset") {
  CachingAllocator<HostBackend> a;
  void* p = a.allocate(10 * kMinBlock, 0);
  void* q = a.allocate(20 * kMinBlock, 0);
  a.deallocate(q);
  auto s = a.stats();
  CHECK(s.allocated == 10 * kMinBlock);
  CHECK(s.peak_allocated == 30 * kMinBlock);
  CHECK(s.peak_reserved == kSegmentGranule);
  a.reset_peak();
  CHECK(a.stats().peak_allocated == 10 * kMinBlock);
  CHECK(a.cached() == kSegmentGranule - 10 * kMinBlock);
  a.deallocate(p);
}

TEST_CASE("cuda caching allocator: out of memory frees the cache, retries, then raises torch's message") {
  CachingAllocator<HostBackend> a;
  a.backend().limit = size_t(6) << 20;
  void* p = a.allocate(4 << 20, 0);
  a.deallocate(p);  // 4 MiB cached
  void* q = a.allocate(5 << 20, 0);  // needs 6 MiB: only after the cached 4 MiB is released
  CHECK(a.stats().num_alloc_retries == 1);
  CHECK(a.stats().reserved == size_t(6) << 20);
  try {
    a.allocate(1 << 20, 0);
    FAIL("expected OutOfMemory");
  } catch (const steepest::cuda::OutOfMemory& e) {
    CHECK(std::string(e.what()).rfind("CUDA out of memory. Tried to allocate 1.00 MiB", 0) == 0);
  }
  CHECK(a.stats().num_ooms == 1);
  a.deallocate(q);
}
