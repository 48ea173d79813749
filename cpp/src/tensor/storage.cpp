// Storage allocation through the device's registered allocator, the allocator registry
// itself, and release of owned or borrowed memory.
#include "steepest/storage.hpp"

#include "steepest/error.hpp"
#include "tensor/allocator.hpp"

namespace steepest {

namespace detail {

namespace {
// A function-local array: registrars in other objects may run before this file's initialisers.
Allocator** allocators() {
  static Allocator* slots[2] = {};  // DeviceType::CPU, DeviceType::CUDA
  static_assert(int(DeviceType::CUDA) == 1, "a new DeviceType needs an allocator slot");
  return slots;
}
}  // namespace

Allocator* allocator_for(DeviceType t) { return allocators()[int(t)]; }

Allocator& allocator(Device d) {
  Allocator* a = allocator_for(d.type);
  if (!a) {
    STEEPEST_CHECK(!d.is_cuda(), NotImplementedError, "cannot allocate on ", d.str(),
                   ": this build of steepest has no CUDA backend (build with -DSTEEPEST_CUDA=ON)");
    throw NotImplementedError("cannot allocate on " + d.str() + ": no allocator is registered for it");
  }
  return *a;
}

void register_allocator(DeviceType t, Allocator* a) { allocators()[int(t)] = a; }

}  // namespace detail

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  detail::Allocator& a = detail::allocator(device);
  device.index = a.device_index(device.index);
  void* p = a.allocate(nbytes, device.index);
  return std::shared_ptr<Storage>(new Storage(p, nbytes, device, {}));
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release) {
  if (!release) release = [] {};
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(release)));
}

Storage::~Storage() {
  if (release_) release_();
  else detail::allocator_for(device_.type)->deallocate(data_, nbytes_, device_.index);
}

}  // namespace steepest
