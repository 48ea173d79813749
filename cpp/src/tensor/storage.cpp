// Storage allocation (64-byte aligned) and release of owned or borrowed memory.
#include "steepest/storage.hpp"

#include <cstdlib>
#include <new>

#include "steepest/error.hpp"

namespace steepest {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  STEEPEST_CHECK(device.is_cpu(), NotImplementedError, "cannot allocate on ", device.str(),
                 ": this build of steepest has no CUDA backend");
  // aligned_alloc needs a size that is a multiple of the alignment; never ask for 0 bytes so
  // that even empty tensors have a valid, aligned address (numpy and DLPack want one).
  size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<Storage>(new Storage(p, nbytes, device, {}));
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release) {
  if (!release) release = [] {};
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(release)));
}

Storage::~Storage() {
  if (release_) release_();
  else std::free(data_);
}

}  // namespace steepest
