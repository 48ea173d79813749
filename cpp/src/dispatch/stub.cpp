// The list of all dispatch stubs, the error of an empty slot, and the device rules every op
// shares (one device per op; host-side reads only of CPU tensors).
#include "dispatch/stub.hpp"

namespace steepest::dispatch {

namespace {
std::vector<const StubBase*>& stubs() {
  static std::vector<const StubBase*> v;  // filled during static initialisation, then read-only
  return v;
}
}  // namespace

const std::vector<const StubBase*>& all_stubs() { return stubs(); }
void add_stub(const StubBase* s) { stubs().push_back(s); }

void StubBase::missing(Device d, const char* op) const {
  throw NotImplementedError(str(op ? op : name_, ": not implemented for ", d.str(), " tensors (no ",
                                d.is_cuda() ? "CUDA" : "CPU", " kernel is registered in this build)"));
}

void throw_device_mismatch(Device first, Device other) {
  throw Error(str("Expected all tensors to be on the same device, but found at least two devices, ", first.str(),
                  " and ", other.str(), "!"));
}

namespace {
template <class Range>
Device common_device_of(const Range& operands) {
  const Tensor* first = nullptr;
  for (const Tensor* t : operands) {
    if (!t || !t->defined()) continue;
    if (!first) { first = t; continue; }
    if (!(t->device() == first->device())) throw_device_mismatch(first->device(), t->device());
  }
  return first ? first->device() : kCPU;
}
}  // namespace

Device common_device(std::initializer_list<const Tensor*> operands) { return common_device_of(operands); }
Device common_device(const std::vector<const Tensor*>& operands) { return common_device_of(operands); }

void check_on_host(const Tensor& t, const std::string& what) {
  STEEPEST_CHECK(readable_on_host(t), NotImplementedError, what, " is on ", t.device().str(),
                 "; only CPU tensors can be read on the host so far (move it to the CPU first)");
}

}  // namespace steepest::dispatch
