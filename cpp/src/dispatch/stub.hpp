// Dispatch stubs: the one point where an op picks the kernel for a tensor's device. Each
// kernel family declares a stub (a slot per device type) in its header under dispatch/, and
// each backend fills its slot from its own folder (kernels/cpu/, kernels/cuda/) with
// STEEPEST_REGISTER_KERNEL. Ops call the stub and never a backend directly. A slot left empty
// gives one error naming the op and the device. (Within the CPU slot the instruction set is
// chosen by the CPU backend's kernel table: see kernels/cpu/kernel_table.hpp.)
#pragma once
#include <cstddef>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "steepest/device.hpp"
#include "steepest/error.hpp"
#include "steepest/tensor.hpp"

namespace steepest::dispatch {

constexpr int kNumDeviceTypes = 2;  // DeviceType::CPU, DeviceType::CUDA
static_assert(int(DeviceType::CUDA) == kNumDeviceTypes - 1, "a new DeviceType needs a stub slot");

// What every stub shares whatever its kernel type: its name and which slots are filled.
// Slots hold type-erased function pointers; Stub<Fn> casts them back to Fn.
class StubBase {
 public:
  StubBase(const StubBase&) = delete;
  StubBase& operator=(const StubBase&) = delete;
  const char* name() const { return name_; }
  bool has(DeviceType t) const { return slots_[int(t)] != nullptr; }

 protected:
  using AnyFn = void (*)();
  explicit constexpr StubBase(const char* name) : name_(name) {}
  // NotImplementedError naming `op` (default: the stub's name) and the device.
  [[noreturn]] void missing(Device d, const char* op) const;
  const char* name_;
  AnyFn slots_[kNumDeviceTypes] = {};
};

// Fn is a plain function pointer type; the stub holds one per device type.
template <class Fn>
class Stub : public StubBase {
 public:
  using Fn_t = Fn;
  explicit constexpr Stub(const char* name) : StubBase(name) {}

  // The kernel for a device, or NotImplementedError naming `op` (default: the stub's name).
  Fn get(Device d, const char* op = nullptr) const {
    AnyFn f = slots_[int(d.type)];
    if (f == nullptr) missing(d, op);
    return reinterpret_cast<Fn>(f);
  }
  // Calls the device's kernel with the arguments.
  template <class... A>
  decltype(auto) operator()(Device d, A&&... args) const {
    return get(d)(std::forward<A>(args)...);
  }
  void set(DeviceType t, Fn f) { slots_[int(t)] = reinterpret_cast<AnyFn>(f); }
};

// Every defined stub, in the order their families' objects loaded: the one list a test
// walks to check that each stub has a kernel on each backend. STEEPEST_DEFINE_STUB adds to it.
const std::vector<const StubBase*>& all_stubs();
void add_stub(const StubBase* s);

// The device every tensor operand of an op is on. Operands on two devices are an error in
// torch's words ("Expected all tensors to be on the same device, ...").
// Null or undefined operands (absent ones) don't count; none at all is the CPU.
Device common_device(std::initializer_list<const Tensor*> operands);
Device common_device(const std::vector<const Tensor*>& operands);
[[noreturn]] void throw_device_mismatch(Device first, Device other);
// The two-tensor form, inline: every binary op pays for it.
inline Device common_device(const Tensor& a, const Tensor& b) {
  const Device d = a.device(), e = b.device();
  if (!(d == e)) throw_device_mismatch(d, e);
  return d;
}

// Host-side reads (item(), printing, saving) need the data in CPU memory. check_on_host gives
// NotImplementedError "<what> is on <device>; ..." for anything else.
inline bool readable_on_host(const Tensor& t) { return t.device().is_cpu(); }
void check_on_host(const Tensor& t, const std::string& what);

// Fills a slot during static initialisation (the library is shared: every object's
// initialisers run when it loads). Stubs are function-local statics, so they exist before
// any registrar touches them whatever the order of initialisation.
template <class Fn>
struct Registrar {
  Registrar(Stub<Fn>& stub, DeviceType t, Fn f) { stub.set(t, f); }
};

// Lists a stub the first time its accessor builds it.
struct Listed {
  explicit Listed(const StubBase* s) { add_stub(s); }
};

}  // namespace steepest::dispatch

// In a family header: declares `name()`, returning the family's stub for kernels of type Fn.
#define STEEPEST_DECLARE_STUB(Fn, name) ::steepest::dispatch::Stub<Fn>& name()
// In one .cpp (the family's op file): defines it, and lists it in all_stubs() when the
// library loads (so a stub no backend registers for still shows up there).
#define STEEPEST_DEFINE_STUB(Fn, name)                                                   \
  ::steepest::dispatch::Stub<Fn>& name() {                                               \
    static ::steepest::dispatch::Stub<Fn> s{#name};                                      \
    static const ::steepest::dispatch::Listed listed{&s};                        \
    return s;                                                                            \
  }                                                                                      \
  static const bool STEEPEST_STUB_CAT(steepest_stub_listed_, name) = (name(), true)
#define STEEPEST_STUB_CAT2(a, b) a##b
#define STEEPEST_STUB_CAT(a, b) STEEPEST_STUB_CAT2(a, b)
// In a backend's file: registers `fn` as the kernel of `name` for device type DEV (CPU, CUDA).
#define STEEPEST_REGISTER_KERNEL(name, DEV, fn)                                                   \
  static const ::steepest::dispatch::Registrar<std::remove_reference_t<decltype(name())>::Fn_t>   \
      STEEPEST_STUB_CAT(steepest_registrar_, __LINE__)(name(), ::steepest::DeviceType::DEV, fn)
