// The bookkeeping of the CUDA caching allocator as plain C++, parameterised over a "raw memory"
// backend (cudaMalloc/cudaFree and CUDA events on the device; host memory in the doctest), so
// size classes, block splitting and merging, per-stream reuse, deferred frees of blocks used on
// other streams, empty_cache and the statistics are tested on every build without a GPU.
//
// Backend concept (all calls made under the allocator's lock):
//   void* raw_alloc(size_t bytes);           // nullptr when the device is out of memory
//   void raw_free(void* p);
//   Event record(Stream s);                   // marks the stream's queued work
//   bool done(Event e);                       // that work has finished
//   void release(Event e);                    // the event is no longer needed
//   void wait(Event e);                       // blocks until done (empty_cache)
// with member types Backend::Stream and Backend::Event (cheap, copyable, Stream ordered).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "steepest/error.hpp"

namespace steepest::cuda {

// Size classes: every request is rounded up to 512 B. Requests up to 1 MiB share 2 MiB
// segments ("small" pool); bigger ones get segments rounded up to 2 MiB ("large" pool).
constexpr size_t kMinBlock = 512;
constexpr size_t kSmallRequest = size_t(1) << 20;
constexpr size_t kSegmentGranule = size_t(2) << 20;

constexpr size_t round_request(size_t n) { return n < kMinBlock ? kMinBlock : (n + kMinBlock - 1) / kMinBlock * kMinBlock; }
constexpr bool is_small(size_t rounded) { return rounded <= kSmallRequest; }
constexpr size_t segment_bytes(size_t rounded) {
  return is_small(rounded) ? kSegmentGranule : (rounded + kSegmentGranule - 1) / kSegmentGranule * kSegmentGranule;
}
// A free remainder is worth keeping as its own block when another request could use it: any
// 512 B in the small pool; in the large pool only more than a small request (as torch does),
// so large blocks do not fragment into pieces only small requests fit.
constexpr bool should_split(size_t block, size_t rounded) {
  const size_t rest = block - rounded;
  return is_small(rounded) ? rest >= kMinBlock : rest > kSmallRequest;
}

// "2.00 MiB" / "1.50 GiB" / "512 bytes": sizes in the out-of-memory message, as torch writes them.
std::string format_bytes(size_t n);

struct AllocatorStats {
  size_t allocated = 0, peak_allocated = 0;  // bytes in blocks handed out (rounded sizes)
  size_t requested = 0;                      // bytes asked for by those blocks' callers
  size_t reserved = 0, peak_reserved = 0;    // bytes in segments taken from the backend
  size_t num_blocks = 0, num_segments = 0;   // live blocks, segments held
  size_t num_raw_allocs = 0, num_raw_frees = 0;
  size_t num_alloc_retries = 0, num_ooms = 0;
};

// Thrown when the backend cannot supply memory even after the cache is released.
struct OutOfMemory : Error { using Error::Error; };

template <class Backend>
class CachingAllocator {
 public:
  using Stream = typename Backend::Stream;
  using Event = typename Backend::Event;

  explicit CachingAllocator(Backend b = Backend()) : backend_(std::move(b)) {}
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;
  ~CachingAllocator() = default;  // memory stays with the device until the process ends

  Backend& backend() { return backend_; }

  // A block of at least `nbytes` for work on `stream`; throws OutOfMemory.
  void* allocate(size_t nbytes, Stream stream) {
    std::lock_guard<std::mutex> lock(mu_);
    process_events();
    const size_t size = round_request(nbytes);
    Block* b = take_free(size, stream);
    if (!b) b = new_segment(size, stream, nbytes);
    if (should_split(b->size, size)) split(b, size);
    b->allocated = true;
    b->requested = nbytes;
    active_.emplace(b->ptr, b);
    stats_.allocated += b->size;
    stats_.requested += nbytes;
    stats_.num_blocks += 1;
    if (stats_.allocated > stats_.peak_allocated) stats_.peak_allocated = stats_.allocated;
    return b->ptr;
  }

  // Returns a block. If it was used on other streams (record_stream), it is reused only once
  // the work queued there when it was freed has finished.
  void deallocate(void* p) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(p);
    if (it == active_.end()) return;  // not ours (never happens for Storage's blocks)
    Block* b = it->second;
    active_.erase(it);
    stats_.allocated -= b->size;
    stats_.requested -= b->requested;
    stats_.num_blocks -= 1;
    b->allocated = false;
    if (b->other_streams.empty()) {
      release_block(b);
      return;
    }
    try {
      for (const Stream& s : b->other_streams) pending_.push_back({backend_.record(s), b});
    } catch (...) {
      // Could not record: the block stays out of circulation rather than racing the stream.
    }
    b->other_streams.clear();
  }

  // The tensor owning block `p` is also used on `stream`: its memory is not reused before
  // that stream's work queued at the time of the free has finished.
  void record_stream(void* p, Stream stream) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(p);
    STEEPEST_CHECK(it != active_.end(), ValueError,
                   "record_stream: the tensor's memory was not allocated by steepest's CUDA allocator");
    if (!(stream == it->second->stream)) it->second->other_streams.insert(stream);
  }

  // Releases every segment none of whose memory is in use (waiting for deferred frees first).
  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& pe : pending_) backend_.wait(pe.first);
    process_events();
    release_free_segments();
  }

  AllocatorStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.peak_allocated = stats_.allocated;
    stats_.peak_reserved = stats_.reserved;
  }
  // Bytes cached: in segments but not handed out.
  size_t cached() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_.reserved - stats_.allocated;
  }

 private:
  struct Block {
    void* ptr = nullptr;
    size_t size = 0, requested = 0;
    Stream stream{};
    bool small = true, allocated = false;
    Block *prev = nullptr, *next = nullptr;  // neighbours within the segment
    std::set<Stream> other_streams;
  };
  // Free blocks ordered by (stream, size, address): the best fit on a stream is a lower_bound.
  struct Order {
    bool operator()(const Block* a, const Block* b) const {
      if (a->stream < b->stream) return true;
      if (b->stream < a->stream) return false;
      if (a->size != b->size) return a->size < b->size;
      return reinterpret_cast<uintptr_t>(a->ptr) < reinterpret_cast<uintptr_t>(b->ptr);
    }
  };
  using Pool = std::set<Block*, Order>;

  Pool& pool_of(bool small) { return small ? small_ : large_; }

  Block* take_free(size_t size, Stream stream) {
    Pool& pool = pool_of(is_small(size));
    Block key;
    key.stream = stream;
    key.size = size;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || !((*it)->stream == stream)) return nullptr;
    Block* b = *it;
    pool.erase(it);
    return b;
  }

  Block* new_segment(size_t size, Stream stream, size_t nbytes) {
    const size_t seg = segment_bytes(size);
    void* p = backend_.raw_alloc(seg);
    if (!p) {
      // Out of memory: give every unused cached segment back and try once more.
      stats_.num_alloc_retries += 1;
      for (auto& pe : pending_) backend_.wait(pe.first);
      process_events();
      release_free_segments();
      p = backend_.raw_alloc(seg);
    }
    if (!p) {
      stats_.num_ooms += 1;
      throw OutOfMemory(str("CUDA out of memory. Tried to allocate ", format_bytes(nbytes), ". Of the memory steepest holds, ",
                            format_bytes(stats_.allocated), " is allocated by tensors and ",
                            format_bytes(stats_.reserved - stats_.allocated),
                            " is reserved but unallocated (st.cuda.empty_cache() cannot free more: it was already released)."));
    }
    stats_.num_raw_allocs += 1;
    stats_.num_segments += 1;
    stats_.reserved += seg;
    if (stats_.reserved > stats_.peak_reserved) stats_.peak_reserved = stats_.reserved;
    Block* b = new Block;
    b->ptr = p;
    b->size = seg;
    b->stream = stream;
    b->small = is_small(size);
    return b;
  }

  // Cuts b to `size`; the rest becomes a free block right after it.
  void split(Block* b, size_t size) {
    Block* rest = new Block;
    rest->ptr = static_cast<char*>(b->ptr) + size;
    rest->size = b->size - size;
    rest->stream = b->stream;
    rest->small = b->small;
    rest->prev = b;
    rest->next = b->next;
    if (b->next) b->next->prev = rest;
    b->next = rest;
    b->size = size;
    pool_of(rest->small).insert(rest);
  }

  // b is free: merge it with free neighbours and put it back in its pool.
  void release_block(Block* b) {
    Pool& pool = pool_of(b->small);
    // A neighbour is merged when it is free: in the pool (not in use, not awaiting an event).
    Block* prev = b->prev;
    if (prev && !prev->allocated && pool.count(prev)) {
      pool.erase(prev);
      b->ptr = prev->ptr;
      b->size += prev->size;
      b->prev = prev->prev;
      if (b->prev) b->prev->next = b;
      delete prev;
    }
    Block* next = b->next;
    if (next && !next->allocated && pool.count(next)) {
      pool.erase(next);
      b->size += next->size;
      b->next = next->next;
      if (b->next) b->next->prev = b;
      delete next;
    }
    pool.insert(b);
  }

  // Blocks whose other streams' work has finished go back to their pools.
  void process_events() {
    if (pending_.empty()) return;
    std::vector<std::pair<Event, Block*>> still;
    std::unordered_map<Block*, int> waiting;
    for (auto& pe : pending_) {
      if (backend_.done(pe.first)) {
        backend_.release(pe.first);
        waiting[pe.second] += 0;
      } else {
        still.push_back(pe);
        waiting[pe.second] += 1;
      }
    }
    pending_.swap(still);
    for (auto& w : waiting)
      if (w.second == 0) release_block(w.first);
  }

  void release_free_segments() {
    Pool* pools[2] = {&small_, &large_};
    for (Pool* pool : pools) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* b = *it;
        if (b->prev || b->next) { ++it; continue; }  // part of a segment still in use
        backend_.raw_free(b->ptr);
        stats_.num_raw_frees += 1;
        stats_.num_segments -= 1;
        stats_.reserved -= b->size;
        it = pool->erase(it);
        delete b;
      }
    }
  }

  Backend backend_;
  mutable std::mutex mu_;
  Pool small_, large_;
  std::unordered_map<void*, Block*> active_;
  std::vector<std::pair<Event, Block*>> pending_;
  AllocatorStats stats_;
};

inline std::string format_bytes(size_t n) {
  char buf[64];
  if (n < 1024) return str(n, " bytes");
  const double v = double(n);
  if (n < (size_t(1) << 20)) std::snprintf(buf, sizeof buf, "%.2f KiB", v / 1024.0);
  else if (n < (size_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.2f MiB", v / 1048576.0);
  else std::snprintf(buf, sizeof buf, "%.2f GiB", v / 1073741824.0);
  return buf;
}

}  // namespace steepest::cuda
