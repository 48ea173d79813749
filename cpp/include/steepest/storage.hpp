// Storage: a refcounted block of device memory that any number of tensor views share.
// It either owns a 64-byte aligned allocation or borrows memory kept alive by an owner
// (a numpy array, a DLPack producer), released through a callback.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "device.hpp"

namespace steepest {

class Storage {
 public:
  static constexpr size_t kAlignment = 64;

  // New uninitialised memory of `nbytes` on `device`.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device = kCPU);
  // Borrowed memory: `release` runs when the last view is gone.
  static std::shared_ptr<Storage> borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool owns_memory() const { return !release_; }

  // Bumped by every in-place write through any view; autograd compares it to detect that a
  // tensor saved for backward was changed.
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  Storage(void* data, size_t nbytes, Device device, std::function<void()> release)
      : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}
  void* data_;
  size_t nbytes_;
  Device device_;
  std::function<void()> release_;  // empty: we own data_ and free it ourselves
  uint64_t version_ = 0;
};

}  // namespace steepest
