// Dispatch stubs: the one point where an op picks the kernel for a tensor's device. Each
// kernel family declares a stub (a slot per device type) in its header under dispatch/, and
// each backend fills its slot from its own folder (kernels/cpu/, kernels/cuda/) with
// STEEPEST_REGISTER_KERNEL. Ops call the stub and never a backend directly. A slot left empty
// gives one error naming the op and the device. (Within the CPU slot the instruction set is
// chosen by the CPU backend's kernel table: see kernels/cpu/kernel_table.hpp.)
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

#include "steepest/device.hpp"
#include "steepest/error.hpp"

namespace steepest::dispatch {

constexpr int kNumDeviceTypes = 2;  // DeviceType::CPU, DeviceType::CUDA
static_assert(int(DeviceType::CUDA) == kNumDeviceTypes - 1, "a new DeviceType needs a stub slot");

// Fn is a plain function pointer type; the stub holds one per device type.
template <class Fn>
class Stub {
 public:
  using Fn_t = Fn;
  explicit constexpr Stub(const char* name) : name_(name) {}
  Stub(const Stub&) = delete;
  Stub& operator=(const Stub&) = delete;

  const char* name() const { return name_; }
  // The kernel for a device, or NotImplementedError naming `op` (default: the stub's name).
  Fn get(Device d, const char* op = nullptr) const {
    Fn f = slots_[int(d.type)];
    STEEPEST_CHECK(f != nullptr, NotImplementedError, op ? op : name_, ": not implemented for ", d.str(),
                   " tensors (no ", d.is_cuda() ? "CUDA" : "CPU", " kernel is registered in this build)");
    return f;
  }
  bool has(DeviceType t) const { return slots_[int(t)] != nullptr; }
  // Calls the device's kernel with the arguments.
  template <class... A>
  decltype(auto) operator()(Device d, A&&... args) const {
    return get(d)(std::forward<A>(args)...);
  }
  void set(DeviceType t, Fn f) { slots_[int(t)] = f; }

 private:
  const char* name_;
  Fn slots_[kNumDeviceTypes] = {};
};

// Fills a slot during static initialisation (the library is shared: every object's
// initialisers run when it loads). Stubs are function-local statics, so they exist before
// any registrar touches them whatever the order of initialisation.
template <class Fn>
struct Registrar {
  Registrar(Stub<Fn>& stub, DeviceType t, Fn f) { stub.set(t, f); }
};

}  // namespace steepest::dispatch

// In a family header: declares `name()`, returning the family's stub for kernels of type Fn.
#define STEEPEST_DECLARE_STUB(Fn, name) ::steepest::dispatch::Stub<Fn>& name()
// In one .cpp (the family's op file): defines it.
#define STEEPEST_DEFINE_STUB(Fn, name)              \
  ::steepest::dispatch::Stub<Fn>& name() {          \
    static ::steepest::dispatch::Stub<Fn> s{#name}; \
    return s;                                       \
  }
#define STEEPEST_STUB_CAT2(a, b) a##b
#define STEEPEST_STUB_CAT(a, b) STEEPEST_STUB_CAT2(a, b)
// In a backend's file: registers `fn` as the kernel of `name` for device type DEV (CPU, CUDA).
#define STEEPEST_REGISTER_KERNEL(name, DEV, fn)                                                   \
  static const ::steepest::dispatch::Registrar<std::remove_reference_t<decltype(name())>::Fn_t>   \
      STEEPEST_STUB_CAT(steepest_registrar_, __LINE__)(name(), ::steepest::DeviceType::DEV, fn)
