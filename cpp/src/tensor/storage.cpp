// Storage allocation (through the caching CPU allocator) and release of owned or borrowed memory.
#include "steepest/storage.hpp"

#include <cstdlib>
#include <new>

#include "steepest/error.hpp"
#include "tensor/cpu_allocator.hpp"

namespace steepest {

#ifdef STEEPEST_WITH_CUDA
namespace detail {  // cuda/device.cu
void* cuda_alloc(size_t nbytes, int index);
void cuda_free(void* p);
}  // namespace detail
#endif

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  if (device.is_cuda()) {
#ifdef STEEPEST_WITH_CUDA
    void* d = detail::cuda_alloc(nbytes, device.index);
    return std::shared_ptr<Storage>(new Storage(d, nbytes, device, [d] { detail::cuda_free(d); }));
#else
    throw NotImplementedError("cannot allocate on " + device.str() +
                              ": this build of steepest has no CUDA backend (build with -DSTEEPEST_CUDA=ON)");
#endif
  }
  // Even empty tensors get a valid, aligned address (numpy and DLPack want one).
  void* p = detail::cpu_alloc(nbytes);
  return std::shared_ptr<Storage>(new Storage(p, nbytes, device, {}));
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release) {
  if (!release) release = [] {};
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(release)));
}

Storage::~Storage() {
  if (release_) release_();
  else detail::cpu_free(data_, nbytes_);
}

}  // namespace steepest
