// The CPU allocator behind Storage: 64-byte aligned blocks, rounded to size classes and
// cached after release, so the next op of the same size reuses memory that is already
// mapped (no page faults, no zeroing by the kernel). Large blocks ask for huge pages.
#pragma once
#include <cstddef>

namespace steepest::detail {

void* cpu_alloc(size_t nbytes);             // never null (throws std::bad_alloc)
void cpu_free(void* p, size_t nbytes);      // nbytes: as passed to cpu_alloc
size_t cpu_cached_bytes();                  // memory held for reuse
void cpu_release_cached();                  // give the cached memory back to the system
// Bytes of live tensor memory (size classes of blocks handed out and not yet freed), and the
// highest value since the last reset: what activation memory costs, independent of caching.
size_t cpu_allocated_bytes();
size_t cpu_peak_allocated_bytes();
void cpu_reset_peak_allocated();            // peak := current

}  // namespace steepest::detail
