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

}  // namespace steepest::detail
