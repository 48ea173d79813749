// st.cuda's runtime calls (devices, streams, events, pinned host memory) and the device-copy
// kernel that moves dense bytes between the host and a device or between devices.
#include <cstring>

#include "dispatch/device_copy.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/launch.cuh"
#include "steepest/cuda.hpp"
#include "steepest/ops.hpp"

namespace steepest::cuda {

namespace {
void require_device(const char* what) {
  STEEPEST_CHECK(cuda_is_available(), Error, what, ": no CUDA device is available (st.cuda.is_available() is False)");
}
int resolve(int index, const char* what) {
  require_device(what);
  if (index < 0) STEEPEST_CUDA_CHECK(cudaGetDevice(&index));
  STEEPEST_CHECK(index < device_count(), ValueError, what, ": invalid device index ", index, " (",
                 device_count(), " CUDA devices)");
  return index;
}
cudaStream_t as_stream(StreamHandle s) { return reinterpret_cast<cudaStream_t>(s); }
cudaEvent_t as_event(EventHandle e) { return reinterpret_cast<cudaEvent_t>(e); }
}  // namespace

int device_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

int current_device() { return resolve(-1, "current_device"); }

void set_device(int index) { STEEPEST_CUDA_CHECK(cudaSetDevice(resolve(index, "set_device"))); }

std::string device_name(int index) {
  cudaDeviceProp p;
  STEEPEST_CUDA_CHECK(cudaGetDeviceProperties(&p, resolve(index, "get_device_name")));
  return p.name;
}

std::pair<int, int> device_capability(int index) {
  cudaDeviceProp p;
  STEEPEST_CUDA_CHECK(cudaGetDeviceProperties(&p, resolve(index, "get_device_capability")));
  return {p.major, p.minor};
}

size_t device_total_memory(int index) {
  cudaDeviceProp p;
  STEEPEST_CUDA_CHECK(cudaGetDeviceProperties(&p, resolve(index, "get_device_properties")));
  return p.totalGlobalMem;
}

void synchronize(int index) {
  index = resolve(index, "synchronize");
  int prev = 0;
  STEEPEST_CUDA_CHECK(cudaGetDevice(&prev));
  STEEPEST_CUDA_CHECK(cudaSetDevice(index));
  cudaError_t r = cudaDeviceSynchronize();
  (void)cudaSetDevice(prev);
  STEEPEST_CUDA_CHECK(r);
}

StreamHandle stream_create(int priority) {
  require_device("Stream");
  cudaStream_t s = nullptr;
  STEEPEST_CUDA_CHECK(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, priority));
  return reinterpret_cast<StreamHandle>(s);
}
void stream_destroy(StreamHandle s) {
  if (s) (void)cudaStreamDestroy(as_stream(s));
}
void stream_synchronize(StreamHandle s) { STEEPEST_CUDA_CHECK(cudaStreamSynchronize(as_stream(s))); }
bool stream_query(StreamHandle s) {
  cudaError_t r = cudaStreamQuery(as_stream(s));
  if (r == cudaErrorNotReady) { (void)cudaGetLastError(); return false; }
  STEEPEST_CUDA_CHECK(r);
  return true;
}
std::pair<int, int> stream_priority_range() {
  int least = 0, greatest = 0;
  STEEPEST_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  return {least, greatest};
}
StreamHandle current_stream_handle() { return reinterpret_cast<StreamHandle>(current_stream()); }
void set_current_stream_handle(StreamHandle s) { set_current_stream(as_stream(s)); }

EventHandle event_create(bool enable_timing, bool blocking) {
  require_device("Event");
  unsigned flags = (enable_timing ? 0u : unsigned(cudaEventDisableTiming)) | (blocking ? unsigned(cudaEventBlockingSync) : 0u);
  cudaEvent_t e = nullptr;
  STEEPEST_CUDA_CHECK(cudaEventCreateWithFlags(&e, flags));
  return reinterpret_cast<EventHandle>(e);
}
void event_destroy(EventHandle e) {
  if (e) (void)cudaEventDestroy(as_event(e));
}
void event_record(EventHandle e, StreamHandle s) { STEEPEST_CUDA_CHECK(cudaEventRecord(as_event(e), as_stream(s))); }
void event_synchronize(EventHandle e) { STEEPEST_CUDA_CHECK(cudaEventSynchronize(as_event(e))); }
bool event_query(EventHandle e) {
  cudaError_t r = cudaEventQuery(as_event(e));
  if (r == cudaErrorNotReady) { (void)cudaGetLastError(); return false; }
  STEEPEST_CUDA_CHECK(r);
  return true;
}
float event_elapsed_ms(EventHandle start, EventHandle end) {
  float ms = 0;
  STEEPEST_CUDA_CHECK(cudaEventElapsedTime(&ms, as_event(start), as_event(end)));
  return ms;
}
void stream_wait_event(StreamHandle s, EventHandle e) {
  STEEPEST_CUDA_CHECK(cudaStreamWaitEvent(as_stream(s), as_event(e), 0));
}

Tensor pin_memory(const Tensor& t) {
  STEEPEST_CHECK(t.device().is_cpu(), ValueError, "pin_memory: cannot pin a ", t.device().str(),
                 " tensor: only CPU tensors can be pinned");
  require_device("pin_memory");
  if (is_pinned(t)) return t;
  Tensor src = contiguous(t);
  const size_t nbytes = size_t(src.numel()) * src.itemsize();
  void* p = nullptr;
  STEEPEST_CUDA_CHECK(cudaHostAlloc(&p, nbytes == 0 ? 1 : nbytes, cudaHostAllocDefault));
  if (nbytes) std::memcpy(p, src.data_ptr(), nbytes);
  auto storage = Storage::borrow(p, nbytes, kCPU, [p] { (void)cudaFreeHost(p); });
  return Tensor::make(storage, src.shape(), src.strides(), 0, src.dtype());
}

bool is_pinned(const Tensor& t) {
  if (!t.device().is_cpu() || !cuda_is_available()) return false;
  cudaPointerAttributes a;
  if (cudaPointerGetAttributes(&a, t.storage()->data()) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return a.type == cudaMemoryTypeHost;
}

}  // namespace steepest::cuda

namespace steepest::kernels::cuda {

namespace {

// dst and src are dense with one dtype and shape; at least one is on a CUDA device.
void device_copy(const Tensor& dst, const Tensor& src, bool non_blocking) {
  using namespace steepest::cuda;
  const size_t nbytes = size_t(dst.numel()) * dst.itemsize();
  const Device dd = dst.device(), sd = src.device();
  const int dev = dd.is_cuda() ? dd.index : sd.index;
  int prev = 0;
  STEEPEST_CUDA_CHECK(cudaGetDevice(&prev));
  if (prev != dev) STEEPEST_CUDA_CHECK(cudaSetDevice(dev));
  cudaStream_t s = current_stream();
  cudaMemcpyKind kind = dd.is_cuda() && sd.is_cuda() ? cudaMemcpyDeviceToDevice
                        : dd.is_cuda()               ? cudaMemcpyHostToDevice
                                                     : cudaMemcpyDeviceToHost;
  cudaError_t r;
  if (dd.is_cuda() && sd.is_cuda() && dd.index != sd.index)
    r = cudaMemcpyPeerAsync(dst.data_ptr(), dd.index, src.data_ptr(), sd.index, nbytes, s);
  else
    r = cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), nbytes, kind, s);
  // The host may read or free its side right after: wait unless the caller asked not to and
  // the host side is pinned (pageable memory is staged, so the wait costs nothing there).
  if (r == cudaSuccess && kind != cudaMemcpyDeviceToDevice) {
    const Tensor& host = kind == cudaMemcpyHostToDevice ? src : dst;
    if (!non_blocking || !is_pinned(host)) r = cudaStreamSynchronize(s);
  }
  if (prev != dev) (void)cudaSetDevice(prev);
  STEEPEST_CUDA_CHECK(r);
}

}  // namespace

STEEPEST_REGISTER_KERNEL(dispatch::device_copy_stub, CUDA, device_copy);

}  // namespace steepest::kernels::cuda
