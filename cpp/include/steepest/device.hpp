// Where a tensor's memory lives: the CPU, or a CUDA device with an index.
#pragma once
#include <string>

namespace steepest {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;  // -1: the current device of that type (CUDA) / the only one (CPU)

  Device() = default;
  Device(DeviceType t, int i = -1) : type(t), index(i) {}
  explicit Device(const std::string& spec);  // "cpu", "cuda", "cuda:1"; ValueError otherwise

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;  // "cpu", "cuda:0"
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

const Device kCPU{};

// True when this build has a CUDA backend and a device is present.
bool cuda_is_available();

}  // namespace steepest
