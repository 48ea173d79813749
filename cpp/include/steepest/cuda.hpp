// The CUDA runtime as steepest exposes it (st.cuda): devices, streams, events, the caching
// allocator's statistics, pinned host memory. Plain C++ (no CUDA header): streams and events
// are opaque handles. Defined only in a build with the CUDA backend (STEEPEST_WITH_CUDA).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "steepest/tensor.hpp"

namespace steepest::cuda {

// Devices. An index of -1 means the calling thread's current device.
int device_count();
int current_device();
void set_device(int index);
std::string device_name(int index);
std::pair<int, int> device_capability(int index);
size_t device_total_memory(int index);
void synchronize(int index);  // waits for all work queued on the device

// The caching allocator's counters for one device, in bytes (num_* are counts).
struct MemoryStats {
  size_t allocated = 0, peak_allocated = 0;  // in blocks handed to tensors (rounded sizes)
  size_t requested = 0;                      // as asked for by those tensors
  size_t reserved = 0, peak_reserved = 0;    // in segments taken with cudaMalloc
  size_t num_blocks = 0, num_segments = 0;
  size_t num_raw_allocs = 0, num_raw_frees = 0;
  size_t num_alloc_retries = 0, num_ooms = 0;
};
MemoryStats memory_stats(int index);
void reset_peak_memory_stats(int index);
void empty_cache();  // releases every unused cached segment of every device

// Streams: a handle is a cudaStream_t's value; 0 is the legacy default stream.
using StreamHandle = uintptr_t;
StreamHandle stream_create(int priority);  // on the current device; lower numbers run first
void stream_destroy(StreamHandle s);
void stream_synchronize(StreamHandle s);
bool stream_query(StreamHandle s);          // true when all its work has finished
std::pair<int, int> stream_priority_range();  // (least, greatest) priority, e.g. (0, -5)
StreamHandle current_stream_handle();        // the calling thread's current stream
void set_current_stream_handle(StreamHandle s);

// Events: a handle is a cudaEvent_t's value.
using EventHandle = uintptr_t;
EventHandle event_create(bool enable_timing, bool blocking);
void event_destroy(EventHandle e);
void event_record(EventHandle e, StreamHandle s);
void event_synchronize(EventHandle e);
bool event_query(EventHandle e);
float event_elapsed_ms(EventHandle start, EventHandle end);  // both recorded with timing
void stream_wait_event(StreamHandle s, EventHandle e);

// Tensor.record_stream: t's memory is not reused before work queued on `s` when t is freed
// has finished.
void record_stream(const Tensor& t, StreamHandle s);

// Page-locked host memory: a copy of t (a CPU tensor) in memory allocated with cudaHostAlloc,
// so copies from it to the device can run asynchronously.
Tensor pin_memory(const Tensor& t);
bool is_pinned(const Tensor& t);

}  // namespace steepest::cuda
