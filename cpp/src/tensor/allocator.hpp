// The allocator interface behind Storage: one allocator per device type, registered by its
// backend when the library loads (the CPU caching allocator in tensor/cpu_allocator.cpp, the
// CUDA one in kernels/cuda/allocator.cu), so Storage never names a backend.
#pragma once
#include <cstddef>

#include "steepest/device.hpp"

namespace steepest::detail {

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Memory for nbytes (a valid, aligned address even for 0) on device `index`; throws on failure.
  virtual void* allocate(size_t nbytes, int index) = 0;
  // Returns a block from allocate(); nbytes as passed to it. Called from destructors: never throws.
  virtual void deallocate(void* p, size_t nbytes, int index) noexcept = 0;
  // The device a request for `index` lands on: -1 (the current device) resolved, so a
  // Storage records the concrete device (cuda:0, never a bare "cuda").
  virtual int device_index(int index) const { return index; }

  // Statistics, in bytes: blocks handed to live tensors, their high-water mark since the last
  // reset_peak(), and memory held for reuse (released to the system by empty_cache()).
  virtual size_t allocated() const = 0;
  virtual size_t peak() const = 0;
  virtual void reset_peak() = 0;
  virtual size_t cached() const = 0;
  virtual void empty_cache() = 0;
  // Everything taken from the system: live blocks plus the cache.
  size_t reserved() const { return allocated() + cached(); }
};

// The allocator of a device type, or null where this build has none.
Allocator* allocator_for(DeviceType t);
// The allocator for `d`, or NotImplementedError saying this build cannot allocate there.
Allocator& allocator(Device d);
void register_allocator(DeviceType t, Allocator* a);

// Registers an allocator during static initialisation (the library is shared, so every
// object's initialisers run when it loads). Allocators are never destroyed: tensors may
// be freed during static teardown.
struct AllocatorRegistrar {
  AllocatorRegistrar(DeviceType t, Allocator* a) { register_allocator(t, a); }
};

}  // namespace steepest::detail

#define STEEPEST_REGISTER_ALLOCATOR(DEV, make)                                                \
  static const ::steepest::detail::AllocatorRegistrar steepest_allocator_registrar_##DEV( \
      ::steepest::DeviceType::DEV, make)
