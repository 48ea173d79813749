// The DLPack exchange structs (https://dmlc.github.io/dlpack), declared here from the
// public spec so steepest can hand tensors to numpy/torch/jax and take theirs without a copy.
// Layouts and enum values are fixed by the spec (ABI): do not reorder fields.
#pragma once
#include <cstdint>

namespace steepest::dlpack {

// The ABI version we produce and understand (major changes break the ABI).
constexpr uint32_t kMajor = 1, kMinor = 1;

struct DLPackVersion {
  uint32_t major;
  uint32_t minor;
};

// Where the memory lives. Only kDLCPU is usable by this build; the others are named so
// that error messages can say what the producer had.
enum DLDeviceType : int32_t {
  kDLCPU = 1,
  kDLCUDA = 2,
  kDLCUDAHost = 3,
  kDLOpenCL = 4,
  kDLVulkan = 7,
  kDLMetal = 8,
  kDLVPI = 9,
  kDLROCM = 10,
  kDLROCMHost = 11,
  kDLExtDev = 12,
  kDLCUDAManaged = 13,
  kDLOneAPI = 14,
  kDLWebGPU = 15,
  kDLHexagon = 16,
  kDLMAIA = 17,
};

struct DLDevice {
  DLDeviceType device_type;
  int32_t device_id;
};

// Element type: a code (kind), a width in bits and a vector lane count (always 1 here).
enum DLDataTypeCode : uint8_t {
  kDLInt = 0,
  kDLUInt = 1,
  kDLFloat = 2,
  kDLOpaqueHandle = 3,
  kDLBfloat = 4,
  kDLComplex = 5,
  kDLBool = 6,
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

// A strided view. shape/strides have ndim entries; strides count elements, not bytes, and
// may be null (compact row-major). The first element is at (char*)data + byte_offset.
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
};

// Pre-1.0 managed tensor ("dltensor" capsules). The consumer calls deleter(self) once it no
// longer needs the memory; manager_ctx is the producer's private state.
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};

// Flag bits of DLManagedTensorVersioned::flags.
constexpr uint64_t kFlagReadOnly = 1ull << 0;   // the consumer must not write
constexpr uint64_t kFlagIsCopied = 1ull << 1;   // the producer made a copy for this export
constexpr uint64_t kFlagSubbytePadded = 1ull << 2;

// 1.x managed tensor ("dltensor_versioned" capsules): version first, so a consumer can
// check it before touching anything else.
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned* self);
  uint64_t flags;
  DLTensor dl_tensor;
};

}  // namespace steepest::dlpack
