// Parsing and printing devices ("cpu", "cuda:1").
#include "steepest/device.hpp"

#include <atomic>

#include "steepest/error.hpp"
#include "steepest/ops/device.hpp"

namespace steepest {

Device::Device(const std::string& spec) {
  std::string kind = spec, idx;
  auto colon = spec.find(':');
  if (colon != std::string::npos) {
    kind = spec.substr(0, colon);
    idx = spec.substr(colon + 1);
    STEEPEST_CHECK(!idx.empty(), ValueError, "bad device index in '", spec, "' (expected a number after ':')");
  }
  if (kind == "cpu") type = DeviceType::CPU;
  else if (kind == "cuda") type = DeviceType::CUDA;
  else throw ValueError("unknown device '" + spec + "' (expected 'cpu', 'cuda' or 'cuda:N')");
  if (!idx.empty()) {
    bool digits = idx.find_first_not_of("0123456789") == std::string::npos;
    STEEPEST_CHECK(digits && idx.size() < 6, ValueError, "bad device index in '", spec, "'");
    index = std::stoi(idx);
    STEEPEST_CHECK(type != DeviceType::CPU || index == 0, ValueError, "bad device '", spec, "': cpu has only index 0");
    if (type == DeviceType::CPU) index = -1;
  }
}

std::string Device::str() const {
  if (type == DeviceType::CPU) return "cpu";
  return index < 0 ? "cuda" : "cuda:" + std::to_string(index);
}

#ifndef STEEPEST_WITH_CUDA
bool cuda_is_available() { return false; }
#endif

namespace {
std::atomic<uint16_t> g_default_device{0};  // type in the high byte, index + 1 in the low
}  // namespace

Device default_device() {
  const uint16_t v = g_default_device.load(std::memory_order_relaxed);
  return Device(DeviceType(v >> 8), int(v & 0xff) - 1);
}

void set_default_device(Device d) {
  STEEPEST_CHECK(d.index < 255, ValueError, "set_default_device: device index ", d.index, " is too large");
  g_default_device.store(uint16_t((unsigned(d.type) << 8) | unsigned(d.index + 1)), std::memory_order_relaxed);
}

}  // namespace steepest
